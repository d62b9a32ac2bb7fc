package hsm

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
)

// SoftHSMConfName is the config file NewSoftHSMToken writes in its directory.
const SoftHSMConfName = "softhsm2.conf"

// NewSoftHSMToken makes a SoftHSM2 token store of its own under dir and
// initialises a token labelled label in it, returning the path of the
// softhsm2.conf to put in SOFTHSM2_CONF before opening the module (SoftHSM
// reads it at C_Initialize). It writes dir/softhsm2.conf (once; a second call
// with the same dir adds a token beside the first) with directories.tokendir
// = dir/tokens, and runs `softhsm2-util --init-token --free` with SOFTHSM2_CONF
// set in that command's environment only. The PINs are typed into
// softhsm2-util through a pseudo-terminal, so they never appear on a command
// line. It never touches the machine's default token store, and refuses a
// label already in dir.
func NewSoftHSMToken(dir, label, soPIN, userPIN string) (confPath string, err error) {
	op := fmt.Sprintf("create SoftHSM token %q in %s", label, dir)
	switch {
	case label == "" || len(label) > 32:
		return "", newError(op, ErrInvalidArgument, "a token label has 1 to 32 characters", "")
	case len(soPIN) < 4 || len(userPIN) < 4:
		return "", newError(op, ErrPINInvalid, "SoftHSM wants PINs of 4 to 255 characters", "")
	case strings.ContainsAny(soPIN+userPIN, "\r\n"):
		return "", newError(op, ErrPINInvalid, "a PIN cannot contain a line break", "")
	}
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		return "", newError(op, ErrModuleNotFound, "softhsm2-util is not installed", "install the softhsm2 package")
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", &Error{Op: op, Err: err}
	}
	tokendir := filepath.Join(dir, "tokens")
	if err := os.MkdirAll(tokendir, 0o700); err != nil {
		return "", &Error{Op: op, Err: err}
	}
	confPath = filepath.Join(dir, SoftHSMConfName)
	conf := fmt.Sprintf("# written by walletconsole: a token store of its own\n"+
		"directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n"+
		"slots.removable = false\nslots.mechanisms = ALL\nlibrary.reset_on_fork = false\n", tokendir)
	if old, err := model.ReadFileLimit(confPath, model.MaxKeyFileBytes); err == nil {
		if !bytes.Equal(old, []byte(conf)) {
			return "", newError(op, ErrInvalidArgument, confPath+" exists with other settings", "use an empty directory")
		}
	} else if errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(confPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return "", &Error{Op: op, Err: err}
		}
		_, werr := f.WriteString(conf)
		if cerr := f.Close(); werr == nil {
			werr = cerr
		}
		if werr != nil {
			return "", &Error{Op: op, Err: werr}
		}
	} else {
		return "", &Error{Op: op, Err: err}
	}

	env := append(os.Environ(), "SOFTHSM2_CONF="+confPath)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	showCmd := exec.CommandContext(ctx, util, "--show-slots")
	showCmd.Env = env
	show, err := showCmd.CombinedOutput()
	if err != nil {
		return "", newError(op, ErrModuleInit, "softhsm2-util --show-slots: "+strings.TrimSpace(string(show)), "check "+confPath)
	}
	for _, l := range softHSMLabels(show) {
		if l == label {
			return "", newError(op, ErrLabelExists, fmt.Sprintf("a token labelled %q is already in %s", label, tokendir), "choose another label")
		}
	}
	cmd := exec.CommandContext(ctx, util, "--init-token", "--free", "--label", label)
	cmd.Env = env
	out, err := runWithPINs(cmd, []string{soPIN, soPIN, userPIN, userPIN})
	if err != nil {
		return "", newError(op, ErrModuleInit, fmt.Sprintf("softhsm2-util --init-token: %v: %s", err, strings.TrimSpace(out)), "check "+confPath)
	}
	if !strings.Contains(out, "has been initialized") {
		return "", newError(op, ErrModuleInit, "softhsm2-util did not confirm: "+strings.TrimSpace(out), "")
	}
	return confPath, nil
}

// softHSMLabels pulls the token labels out of `softhsm2-util --show-slots`.
func softHSMLabels(out []byte) []string {
	var labels []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if l, ok := strings.CutPrefix(line, "Label:"); ok {
			if l = strings.TrimSpace(l); l != "" {
				labels = append(labels, l)
			}
		}
	}
	return labels
}
