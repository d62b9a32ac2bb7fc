package main

import (
	"context"
	"fmt"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// This file: migrate and demo.

func bindMigrate(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		defer c.g.setupLog()()
		// Not g.open: that migrates already, and migrate says what it did.
		// On the embedded cluster, as its owner: the console's own login may
		// not change the schema.
		db, err := store.Open(ctx, store.Options{DSN: c.g.dsn, DataDir: c.g.dataDir, Owner: true})
		if err != nil {
			return err
		}
		defer db.Close()
		res, err := ops.New(db).Migrate(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "database: %s\n", db.Where())
		if len(res.Applied) == 0 {
			fmt.Fprintf(c.out, "schema is up to date at version %d; nothing to do\n", res.To)
			return nil
		}
		for _, m := range res.Applied {
			fmt.Fprintf(c.out, "applied %03d %s\n", m.Seq, m.Name)
		}
		fmt.Fprintf(c.out, "schema migrated from version %d to %d\n", res.From, res.To)
		return nil
	}
}

func bindDemo(fs *flag.FlagSet) handler {
	paths := intFlag(fs, "paths", 0, 0, 1_000_000_000, "instead of the demo inventory, generate this many path allocations (COPY) in --wallet")
	wallet := fs.String("wallet", "v1", "wallet for --paths")
	seed := int64Flag(fs, "seed", 1, "random seed for --paths")
	ifEmpty := fs.Bool("if-empty", false, "load the demo inventory only if the database has no wallets yet (make run)")
	var h hsmFlags
	h.register(fs)
	return func(ctx context.Context, c *call) error {
		o := ops.DemoOptions{Paths: *paths, Seed: *seed, IfEmpty: *ifEmpty}
		if h.token != "" && o.Paths == 0 {
			// The wallets' master keys on the token, so that the validation
			// suite finds them there.
			_, tok, closeTok, err := h.openToken(&c.g, true)
			if err != nil {
				return fmt.Errorf("demo --token %s: %w", ui.Inert(h.token), err)
			}
			defer closeTok()
			if o.Keys, err = ops.DemoKeysOn(tok); err != nil {
				return err
			}
		}
		if o.Paths > 0 {
			v, err := model.ParseVersion(*wallet)
			if err != nil {
				return err
			}
			o.Wallet = v
		}
		// Demo data is loaded by the owner (the embedded cluster's; a
		// server's is whoever --dsn names).
		c.g.owner = true
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		res, err := s.Demo(ctx, o)
		if err != nil {
			return err
		}
		if res.Skipped != "" {
			fmt.Fprintln(c.out, res.Skipped)
			return nil
		}
		fmt.Fprintln(c.out, res.Summary)
		return nil
	}
}
