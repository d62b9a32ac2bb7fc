package main

import (
	"context"
	"fmt"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui"
)

// bindActivate is `console activate vN [--default]` (ops.Activate: the
// checks, each printed, then the activation in one transaction).
func bindActivate(fs *flag.FlagSet) handler {
	makeDefault := fs.Bool("default", false, "also make it the default wallet (the old default stays active)")
	return func(ctx context.Context, c *call) error {
		v, err := model.ParseVersion(c.args[0])
		if err != nil {
			return err
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		_, checks, err := s.PlanActivation(ctx, v, *makeDefault)
		if err != nil {
			return err
		}
		for _, ch := range checks {
			fmt.Fprintf(c.out, "%s %s: %s\n", checkMark(ch.State), ch.Name, ui.Inert(ch.Evidence))
		}
		out, err := s.Activate(ctx, v, *makeDefault)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.out, out.Summary)
		for _, ch := range out.Changes {
			fmt.Fprintf(c.out, "  %s\n", ch)
		}
		for _, seq := range out.AuditSeqs {
			fmt.Fprintf(c.out, "  audit row #%d\n", seq)
		}
		return nil
	}
}

// checkMark is a check's state as one character.
func checkMark(s model.CheckState) string {
	switch s {
	case model.CheckPass:
		return "✓"
	case model.CheckWarn:
		return "!"
	case model.CheckFail:
		return "✗"
	}
	return "?"
}
