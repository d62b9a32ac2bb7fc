package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// This file: the schema and the demo data (`console migrate`, `console demo`).

// Migrate brings the schema up to date, under the migration lock.
func (s *Service) Migrate(ctx context.Context) (store.MigrateResult, error) {
	return s.DB.Migrate(ctx)
}

// DemoOptions say what `console demo` loads.
type DemoOptions struct {
	// Paths > 0 generates that many path allocations (COPY) in Wallet
	// instead of the demo inventory.
	Paths  int
	Wallet int
	Seed   int64
	// IfEmpty loads the inventory only into a database with no wallet yet.
	IfEmpty bool
	// Keys makes the wallets' master keys (DemoKeysOn: on an HSM token);
	// nil makes them in memory.
	Keys store.DemoKeys
}

// DemoResult is what was loaded; Skipped says why nothing was.
type DemoResult struct {
	Summary string
	Skipped string
}

// ErrBadDemo is a demo request that makes no sense (negative counts).
var ErrBadDemo = errors.New("bad demo request")

// Demo loads the demo inventory into an empty database, or bulk paths.
func (s *Service) Demo(ctx context.Context, o DemoOptions) (DemoResult, error) {
	if o.Paths < 0 {
		return DemoResult{}, fmt.Errorf("--paths must be 0 (the demo inventory) or a positive number of paths, not %d: %w", o.Paths, ErrBadDemo)
	}
	if o.Paths > 0 {
		if _, err := s.DB.Wallet(ctx, o.Wallet); err != nil {
			return DemoResult{}, err
		}
		res, err := s.DB.GeneratePaths(ctx, o.Wallet, o.Paths, o.Seed)
		if err != nil {
			return DemoResult{}, fmt.Errorf("generate %d paths in %s: %w", o.Paths, model.VersionName(o.Wallet), err)
		}
		return DemoResult{Summary: res.String()}, nil
	}
	if o.IfEmpty {
		ws, err := s.DB.Inventory(ctx)
		if err != nil {
			return DemoResult{}, err
		}
		if len(ws) > 0 {
			return DemoResult{Skipped: fmt.Sprintf("database: %s already holds %d wallet versions; demo data not loaded again", s.DB.Where(), len(ws))}, nil
		}
	}
	sum, err := s.DB.LoadDemoWith(ctx, s.now(), o.Keys)
	if err != nil {
		return DemoResult{}, err
	}
	return DemoResult{Summary: fmt.Sprintf("database: %s\n%s", s.DB.Where(), sum)}, nil
}
