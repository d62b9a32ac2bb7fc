package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// This file: the ceremony's witness roster (witness add, witness list).

func bindWitnessAdd(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		name, keyFile := c.args[0], c.args[1]
		// Refuse a bad name before the database is opened.
		if err := store.CheckWitnessName(name); err != nil {
			return err
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		typ, fp, err := s.AddWitness(ctx, name, keyFile)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "witness %s added to the roster: %s %s\n", name, ui.Inert(typ), fp)
		return nil
	}
}

func bindWitnessList(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			ws, err := s.Witnesses(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if ws == nil {
					ws = []model.Witness{}
				}
				return printJSON(c.out, ws)
			}
			if len(ws) == 0 {
				fmt.Fprintf(c.out, "the roster is empty; a ceremony needs %d witnesses: console witness add NAME KEYFILE\n", model.CeremonyWitnesses)
				return nil
			}
			tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "WITNESS\tKEY TYPE\tFINGERPRINT\tCOMMENT")
			for _, w := range ws {
				f := strings.Fields(w.PublicKey)
				_, fp, _ := store.ParseWitnessKey(w.PublicKey)
				comment := "-"
				if len(f) > 2 {
					comment = strings.Join(f[2:], " ")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", ui.Inert(w.Name), ui.Inert(f[0]), fp, ui.Inert(comment))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(ws) < model.CeremonyWitnesses {
				fmt.Fprintf(c.out, "%d active witnesses; a ceremony needs %d\n", len(ws), model.CeremonyWitnesses)
			}
			return nil
		})
	}
}
