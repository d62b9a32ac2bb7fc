//go:build !linux

package hsm

import (
	"errors"
	"os/exec"
)

// runWithPINs needs a pseudo-terminal; only Linux is supported.
func runWithPINs(cmd *exec.Cmd, answers []string) (string, error) {
	return "", errors.New("initialising a SoftHSM token is supported on Linux only")
}
