package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// readPIN takes the PIN from file (automation) or asks for it on the
// terminal with echo off. The PIN is never a flag value, never logged.
func readPIN(file, what string) ([]byte, error) {
	if file != "" {
		b, err := os.ReadFile(file)
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
