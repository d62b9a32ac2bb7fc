package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/registry"
)

// This file: `console help`, made from the registry and each command's
// FlagSet, so that it cannot drift from what the commands take.

func bindHelp(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		if len(c.args) > 0 {
			name := strings.Join(c.args, " ")
			if _, ok := registry.Lookup(registry.Command, name); !ok {
				return fmt.Errorf("help: unknown command %q: run `console help` for the list", name)
			}
			printCommandHelp(c.out, name)
			return nil
		}
		printUsage(c.out)
		return nil
	}
}

// printUsage lists every command with its arguments, summary and own flags,
// then the global flags.
func printUsage(out io.Writer) {
	fmt.Fprint(out, "Usage: console [global flags] <command> [flags]\n\nCommands:\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, e := range registry.Of(registry.Command) {
		usage := e.Usage()
		if e.Name == "console" {
			usage = "(none)"
		}
		fmt.Fprintf(tw, "  %s\t%s\n", usage, e.Summary)
		if fl := ownFlags(e.Name); fl != "" {
			fmt.Fprintf(tw, "  \t  flags: %s\n", fl)
		}
	}
	tw.Flush()
	fmt.Fprint(out, "\n`console help COMMAND` (or COMMAND --help) describes one command's flags.\n\nGlobal flags:\n")
	fmt.Fprint(out, globalFlags().FlagUsages())
}

// printCommandHelp describes one command and each of its own flags.
func printCommandHelp(out io.Writer, name string) {
	e, _ := registry.Lookup(registry.Command, name)
	fmt.Fprintf(out, "Usage: console %s [flags]\n\n%s\n", e.Usage(), e.Summary)
	for _, a := range e.Args {
		if a.Help != "" {
			fmt.Fprintf(out, "  %s: %s\n", strings.ToUpper(a.Name), a.Help)
		}
	}
	fs, _, _ := command(name)
	own := flag.NewFlagSet(name, flag.ContinueOnError)
	global := globalFlags()
	fs.VisitAll(func(f *flag.Flag) {
		if global.Lookup(f.Name) == nil {
			own.AddFlag(f)
		}
	})
	own.SortFlags = false
	if u := own.FlagUsages(); u != "" {
		fmt.Fprintf(out, "\nFlags:\n%s", u)
	}
	fmt.Fprintf(out, "\nGlobal flags:\n%s", global.FlagUsages())
}

// ownFlags lists a command's flags that are not global, for the overview.
func ownFlags(name string) string {
	fs, _, _ := command(name)
	global := globalFlags()
	var names []string
	fs.VisitAll(func(f *flag.Flag) {
		if global.Lookup(f.Name) != nil {
			return
		}
		n := "--" + f.Name
		if f.NoOptDefVal == "" {
			n += " " + strings.ToUpper(f.Value.Type())
		}
		names = append(names, n)
	})
	return strings.Join(names, ", ")
}

func globalFlags() *flag.FlagSet {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SortFlags = false
	new(globals).register(fs)
	return fs
}
