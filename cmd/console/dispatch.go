package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/registry"
)

// call is one invocation of a command: its globals, its positional
// arguments (after the command's words) and where to print.
type call struct {
	name string
	g    globals
	args []string
	out  io.Writer
	fs   *flag.FlagSet
}

// handler runs a command once its flags are parsed.
type handler func(ctx context.Context, c *call) error

// binding registers a command's own flags on fs and returns its handler,
// which reads them.
type binding func(fs *flag.FlagSet) handler

// command builds the FlagSet of the registry command name: the globals,
// then the command's own flags.
func command(name string) (*flag.FlagSet, *call, handler) {
	fs := flag.NewFlagSet("console "+name, flag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard) // errors are printed once, by run
	c := &call{name: name, fs: fs}
	c.g.register(fs)
	h := bindings[name](fs)
	return fs, c, h
}

// dispatch finds the command in args, parses its flags and runs it.
func dispatch(ctx context.Context, args []string, out io.Writer) error {
	name, rest, err := splitCommand(args)
	if err != nil {
		return err
	}
	fs, c, h := command(name)
	c.out = out
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(out, name)
			return err
		}
		return usageExit(name, flagError(name, err))
	}
	c.args = fs.Args()
	if err := checkArgs(name, c.args); err != nil {
		return usageExit(name, err)
	}
	return h(ctx, c)
}

// usageExitCodes are the commands whose usage errors have an exit status of
// their own (the rest exit 1).
var usageExitCodes = map[string]int{"validate": exitValidation}

func usageExit(name string, err error) error {
	if code, ok := usageExitCodes[name]; ok {
		return &exitError{code: code, err: err}
	}
	return err
}

// splitCommand finds the command: the first one or two arguments that are
// neither flags nor a flag's value and name a registry command. Which flags
// take a value is asked of the commands' FlagSets, so no list is kept here.
func splitCommand(args []string) (string, []string, error) {
	var words []int // positions of the arguments that are not flags
	for i := 0; i < len(args) && len(words) < 2; i++ {
		a := args[i]
		switch {
		case a == "--":
			i = len(args)
		case a == "-h" || a == "--help":
			// help for the command found so far, or the general help
			if len(words) == 0 {
				return "help", nil, nil
			}
		case strings.HasPrefix(a, "-") && len(a) > 1:
			if !strings.Contains(a, "=") && takesValue(strings.TrimLeft(a, "-")) {
				i++
			}
		default:
			words = append(words, i)
		}
	}
	if len(words) == 0 {
		return "console", args, nil
	}
	without := func(pos ...int) []string {
		var out []string
		for i, a := range args {
			skip := false
			for _, p := range pos {
				skip = skip || p == i
			}
			if !skip {
				out = append(out, a)
			}
		}
		return out
	}
	first := args[words[0]]
	if len(words) == 2 {
		if e, ok := registry.Lookup(registry.Command, first+" "+args[words[1]]); ok {
			return e.Name, without(words...), nil
		}
	}
	if e, ok := registry.Lookup(registry.Command, first); ok {
		return e.Name, without(words[0]), nil
	}
	if verbs := verbsOf(first); len(verbs) > 0 {
		if len(words) == 2 {
			return "", nil, fmt.Errorf("unknown %s command %q: use %s", first, args[words[1]], strings.Join(verbs, ", "))
		}
		return "", nil, fmt.Errorf("%s takes one of: %s (e.g. `console %s %s`)", first, strings.Join(verbs, ", "), first, verbs[0])
	}
	return "", nil, fmt.Errorf("unknown command %q: run `console help` for the list", first)
}

// verbsOf lists the second words of the two-word commands that begin with group.
func verbsOf(group string) []string {
	var out []string
	for _, e := range registry.Of(registry.Command) {
		if g, verb, ok := strings.Cut(e.Name, " "); ok && g == group {
			out = append(out, verb)
		}
	}
	return out
}

// takesValue says whether the long flag name takes a value in any command
// (a bool flag, or one with NoOptDefVal, does not). A test checks that no
// name takes one in one command and none in another.
func takesValue(name string) bool {
	name, _, _ = strings.Cut(name, "=")
	for _, e := range registry.Of(registry.Command) {
		fs, _, _ := command(e.Name)
		if f := fs.Lookup(name); f != nil {
			return f.NoOptDefVal == ""
		}
	}
	return false
}

// checkArgs holds the positional arguments to the registry's Args.
func checkArgs(name string, args []string) error {
	e, _ := registry.Lookup(registry.Command, name)
	need := 0
	for _, a := range e.Args {
		if a.Required {
			need++
		}
	}
	if len(args) >= need && len(args) <= len(e.Args) {
		return nil
	}
	if len(e.Args) == 0 {
		return fmt.Errorf("%s takes no arguments (got %q); `console help %s` lists its flags", name, args, name)
	}
	var want []string
	for _, a := range e.Args {
		w := strings.ToUpper(a.Name)
		if a.Help != "" {
			w += " (" + a.Help + ")"
		}
		want = append(want, w)
	}
	return fmt.Errorf("%s takes %s: console %s", name, strings.Join(want, " and "), e.Usage())
}

// flagError words pflag's refusals for the operator: an unknown flag names
// the command that does not take it.
func flagError(name string, err error) error {
	msg := err.Error()
	if f, ok := strings.CutPrefix(msg, "unknown flag: "); ok {
		return fmt.Errorf("%s does not take %s (`console help %s` lists its flags)", name, f, name)
	}
	if f, ok := strings.CutPrefix(msg, "unknown shorthand flag: "); ok {
		return fmt.Errorf("%s does not take %s (`console help %s` lists its flags)", name, f, name)
	}
	if m := badBool.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s: %s takes true or false (or no value at all), not %q", name, m[2], m[1])
	}
	return fmt.Errorf("%s: %s", name, msg)
}

// badBool is pflag's refusal of a bool flag's value, which quotes strconv.
var badBool = regexp.MustCompile(`^invalid argument "(.*)" for "(.*?)" flag: strconv\.ParseBool`)

// serve opens the operations layer for one command, runs fn on it, and
// closes it: the shape every command that needs the database shares.
func (c *call) serve(ctx context.Context, fn func(*ops.Service) error) error {
	s, closeS, err := c.g.service(ctx)
	if err != nil {
		return err
	}
	defer closeS()
	return fn(s)
}
