package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/ui"
)

// intValue is an integer flag whose refusals are in the operator's words
// (pflag's own say `strconv.ParseInt: parsing "…": value out of range`).
type intValue struct {
	p        *int
	min, max int
}

// intFlag registers --name as a whole number in [min, max].
func intFlag(fs *flag.FlagSet, name string, def, min, max int, usage string) *int {
	p := new(int)
	*p = def
	fs.Var(&intValue{p: p, min: min, max: max}, name, usage)
	return p
}

func (v *intValue) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange, err == nil && n > int64(v.max):
		return fmt.Errorf("number too large: at most %d", v.max)
	case err != nil:
		return errors.New("not a whole number")
	case n < int64(v.min):
		return fmt.Errorf("must be at least %d", v.min)
	}
	*v.p = int(n)
	return nil
}

func (v *intValue) String() string { return strconv.Itoa(*v.p) }
func (v *intValue) Type() string   { return "int" }

// int64Value is intValue for 64 bits (random seeds).
type int64Value struct{ p *int64 }

func int64Flag(fs *flag.FlagSet, name string, def int64, usage string) *int64 {
	p := new(int64)
	*p = def
	fs.Var(&int64Value{p}, name, usage)
	return p
}

func (v *int64Value) Set(s string) error {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	var ne *strconv.NumError
	switch {
	case errors.As(err, &ne) && ne.Err == strconv.ErrRange:
		return fmt.Errorf("number too large: at most %d", int64(math.MaxInt64))
	case err != nil:
		return errors.New("not a whole number")
	}
	*v.p = n
	return nil
}

func (v *int64Value) String() string { return strconv.FormatInt(*v.p, 10) }
func (v *int64Value) Type() string   { return "int" }

// durationValue is a duration flag worded for operators.
type durationValue struct{ p *time.Duration }

func durationFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	p := new(time.Duration)
	*p = def
	fs.Var(&durationValue{p}, name, usage)
	return p
}

func (v *durationValue) Set(s string) error {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		return errors.New("not a duration: write it like 5s, 1m or 1h")
	}
	*v.p = d
	return nil
}

func (v *durationValue) String() string { return v.p.String() }
func (v *durationValue) Type() string   { return "duration" }

// printJSON is the one way a command prints JSON: indented, keys in
// snake_case (the model's json tags; README, "JSON output").
func printJSON(out io.Writer, v any) error {
	// Not a web page: "> 100 ms" and "H&M" print as written. ASCII control
	// characters are escaped by the encoder, the rest by inertJSON, so the
	// text stays inert.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := out.Write(inertJSON(buf.Bytes()))
	return err
}

// inertJSON escapes, as \uXXXX, every character of encoded JSON that is not
// printable (C1 controls, bidirectional overrides such as U+202E, other
// format characters) and that the encoder left raw: a terminal or a pager
// showing the output cannot be steered by the data, and a JSON reader
// decodes the same text. Outside strings encoded JSON is ASCII, so only the
// strings' contents change; ASCII controls are already escaped.
func inertJSON(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			out = append(out, `\ufffd`...)
		} else if r < utf8.RuneSelf || unicode.IsPrint(r) {
			out = append(out, b[:n]...)
		} else if r1, r2 := utf16.EncodeRune(r); r1 != unicode.ReplacementChar {
			out = fmt.Appendf(out, "\\u%04x\\u%04x", r1, r2)
		} else {
			out = fmt.Appendf(out, "\\u%04x", r)
		}
		b = b[n:]
	}
	return out
}

// operatorText is an error as the terminal shows it: its text made inert
// (it may quote the database or a file), line by line.
func operatorText(err error) string {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = ui.Inert(l)
	}
	return strings.Join(lines, "\n")
}
