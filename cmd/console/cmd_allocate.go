package main

import (
	"context"
	"fmt"
	"strings"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
)

// bindAllocate is `console allocate` (ops.Allocate: its checks, then the
// allocation with its audit row).
func bindAllocate(fs *flag.FlagSet) handler {
	wallet := fs.String("wallet", "", "wallet version, e.g. v1")
	path := fs.String("path", "", "base path, e.g. 2.3.4.5.10")
	qty := intFlag(fs, "quantity", 1, 1, 1<<31-1, "number of identifiers")
	start := intFlag(fs, "range-start", 1, 1, 1<<31-1, "first instance number")
	typ := fs.String("type", "production", "allocation type: "+strings.Join(model.AllocationTypes, ", "))
	purpose := fs.String("purpose", "", "what the allocation is for")
	return func(ctx context.Context, c *call) error {
		if *wallet == "" || *path == "" {
			return fmt.Errorf("allocate needs --wallet and --path, e.g. `console allocate --wallet v1 --path 2.3.4 --quantity 100`")
		}
		v, err := model.ParseVersion(*wallet)
		if err != nil {
			return err
		}
		// Refuse bad input before touching the database.
		if _, err := model.ParsePath(*path); err != nil {
			return err
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		a, _, err := s.Allocate(ctx, model.AllocationRequest{Wallet: v, Path: *path, Type: *typ, Quantity: *qty,
			RangeStart: *start, Purpose: *purpose})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "allocated %s in %s: %s, instances %d-%d (%s)\n", a.Path, model.VersionName(a.Wallet), a.HDPrefix, a.RangeStart, a.RangeEnd, a.Type)
		return nil
	}
}
