package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/ui"
)

// Exit codes of `console health`, for cron and the daily checklist.
const (
	exitHealthy   = 0
	exitWarning   = 1
	exitUnhealthy = 2
	exitUnknown   = 3 // the database or the HSM could not be asked, or a check has nothing to go on
)

// bindHealth is `console health`: the six checks of every wallet that is
// not retired (ops.Health); the exit code is the overall state.
func bindHealth(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		unknown := func(err error) error {
			return &exitError{code: exitUnknown, err: fmt.Errorf("health unknown: %w", err)}
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return unknown(err)
		}
		defer closeS()
		if h.token != "" {
			_, t, closeHSM, err := h.openToken(&c.g, true)
			if err != nil {
				return unknown(err)
			}
			defer closeHSM()
			s.Token, s.Module = t, h.module
			defer s.Close() // the timer's key goes before the token closes
		}
		rep, err := s.Health(ctx)
		if err != nil {
			return unknown(err)
		}
		if *asJSON {
			if err := printJSON(c.out, rep); err != nil {
				return err
			}
		} else {
			printHealth(c.out, rep)
		}
		switch rep.Overall {
		case model.HealthHealthy:
			return nil
		case model.HealthWarning:
			return &exitError{code: exitWarning, err: fmt.Errorf("health: warning")}
		case model.HealthUnknown:
			return &exitError{code: exitUnknown, err: fmt.Errorf("health: unknown (a check has nothing to go on; see the checks marked unknown)")}
		default:
			return &exitError{code: exitUnhealthy, err: fmt.Errorf("health: %s", rep.Overall)}
		}
	}
}

func printHealth(out io.Writer, rep ops.HealthReport) {
	fmt.Fprintf(out, "database: %s\nhsm:      %s\noverall:  %s\n", rep.Database, ui.Inert(rep.HSM), rep.Overall)
	for _, w := range rep.Wallets {
		fmt.Fprintf(out, "\n%s (%s): %s\n", ui.Inert(w.Name), w.Status, w.Overall)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, c := range w.Checks {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, c.State, ui.Inert(c.Value), c.Threshold, ui.Inert(c.Message))
		}
		tw.Flush()
	}
	if len(rep.Settings) > 0 {
		fmt.Fprintln(out, "\nserver settings that slow allocation down:")
		for _, a := range rep.Settings {
			fmt.Fprintf(out, "  %s = %s: %s\n", a.Name, a.Value, a.Advice)
		}
	}
}
