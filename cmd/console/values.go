package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

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
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	// Not a web page: "> 100 ms" and "H&M" print as written. Control
	// characters are still escaped by the encoder, so the text stays inert.
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
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
