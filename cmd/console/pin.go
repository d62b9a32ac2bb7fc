package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// pinTries is how many PINs the full-screen console asks for at start
// before it runs without the HSM.
const pinTries = 3

// loginTries logs in with PINs from read, up to tries of them: a PIN the
// token refuses as incorrect is asked again (warn hears how many tries are
// left), anything else (a locked PIN, no terminal) ends at once. Each PIN is
// cleared after use and never written anywhere.
func loginTries(login func([]byte) error, read func() ([]byte, error), tries int, warn io.Writer) error {
	var err error
	for i := 1; i <= tries; i++ {
		var pin []byte
		if pin, err = read(); err != nil {
			return err
		}
		err = login(pin)
		clear(pin)
		if err == nil || !errors.Is(err, hsm.ErrPINIncorrect) {
			return err
		}
		if left := tries - i; left > 0 && warn != nil {
			fmt.Fprintf(warn, "PIN incorrect; %d tries left\n", left)
		}
	}
	if tries > 1 {
		return fmt.Errorf("%d PINs refused: %w", tries, err)
	}
	return err
}

// readPIN takes the PIN from file (automation) or asks for it on the
// terminal with echo off. The PIN is never a flag value, never logged.
func readPIN(file, what string) ([]byte, error) {
	if file != "" {
		b, err := model.ReadFileLimit(file, model.MaxPINFileBytes)
		if err != nil {
			return nil, fmt.Errorf("read the PIN file: %w", err)
		}
		pin := bytes.TrimRight(b, "\r\n")
		if len(pin) == 0 {
			return nil, fmt.Errorf("the PIN file %s is empty", file)
		}
		return pin, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errors.New("no terminal to ask for the PIN on: give --pin-file FILE")
	}
	defer tty.Close()
	fd := int(tty.Fd())
	old, err := unix.IoctlGetTermios(fd, unix.TCGETS)
	if err != nil {
		return nil, errors.New("no terminal to ask for the PIN on: give --pin-file FILE")
	}
	noEcho := *old
	noEcho.Lflag &^= unix.ECHO
	noEcho.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, unix.TCSETS, &noEcho); err != nil {
		return nil, fmt.Errorf("turn echo off: %w", err)
	}
	defer unix.IoctlSetTermios(fd, unix.TCSETS, old)
	fmt.Fprintf(tty, "PIN for %s (not shown): ", what)
	line, err := bufio.NewReader(tty).ReadBytes('\n')
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read the PIN: %w", err)
	}
	pin := bytes.TrimRight(line, "\r\n")
	if len(pin) == 0 {
		return nil, errors.New("no PIN given")
	}
	return pin, nil
}
