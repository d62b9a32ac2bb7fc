package model

import (
	"fmt"
	"io"
	"os"
)

// Size limits of the files the console reads. None of them is large; a file
// past its limit is the wrong file (or /dev/zero), refused before it is read
// into memory.
const (
	MaxTranscriptBytes  = 16 << 20 // a ceremony transcript (JSON lines)
	MaxRequestFileBytes = 1 << 20  // a creation request export
	MaxPINFileBytes     = 1 << 10  // a PIN file: one line
	MaxKeyFileBytes     = 64 << 10 // an OpenSSH .pub file, a signature, a small config
)

// TooLargeError says that a file is larger than the console reads.
type TooLargeError struct {
	Path  string
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is larger than %d bytes: is it the right file?", e.Path, e.Limit)
}

// ReadFileLimit reads the file at path, refusing (with *TooLargeError) one
// larger than limit bytes. It reads at most limit+1 bytes whatever the file
// is (a device, a FIFO, /dev/zero), so it never runs out of memory.
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: path, Limit: limit}
	}
	return b, nil
}

// LimitFile reads from f like io.LimitReader(f, limit), but returns
// *TooLargeError (named by path) once more than limit bytes come, instead of
// stopping silently: for the scanners that read a file line by line.
func LimitFile(f io.Reader, path string, limit int64) io.Reader {
	return &limitedFile{r: f, path: path, left: limit, limit: limit}
}

type limitedFile struct {
	r           io.Reader
	path        string
	left, limit int64
}

func (l *limitedFile) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, &TooLargeError{Path: l.path, Limit: l.limit}
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, &TooLargeError{Path: l.path, Limit: l.limit}
	}
	return n, err
}
