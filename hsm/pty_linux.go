package hsm

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"unsafe"
)

// runWithPINs runs cmd on a pseudo-terminal and types answers[i] after the
// i-th "PIN: " prompt, so that secrets never go on a command line or through
// a pipe the tool would refuse. It returns what the command printed (the PINs
// are not echoed: the tool turns echo off).
func runWithPINs(cmd *exec.Cmd, answers []string) (string, error) {
	master, slave, err := openPTY()
	if err != nil {
		return "", fmt.Errorf("open a pseudo-terminal: %w", err)
	}
	defer master.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = cmd.Start()
	slave.Close()
	if err != nil {
		return "", err
	}
	var out bytes.Buffer
	buf := make([]byte, 1024)
	sent := 0
	for {
		n, rerr := master.Read(buf)
		out.Write(buf[:n])
		for sent < len(answers) && bytes.Count(out.Bytes(), []byte("PIN: ")) > sent {
			if _, err := master.Write([]byte(answers[sent] + "\n")); err != nil {
				break
			}
			sent++
		}
		if rerr != nil { // EIO once the child has gone and the slave is closed
			break
		}
	}
	werr := cmd.Wait()
	if werr == nil && sent < len(answers) {
		werr = errors.New("the tool did not ask for every PIN")
	}
	return out.String(), werr
}

// openPTY opens a pseudo-terminal pair (posix_openpt, unlockpt, ptsname).
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := master.Fd()
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("unlockpt: %w", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, fmt.Errorf("ptsname: %w", e)
	}
	slave, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
