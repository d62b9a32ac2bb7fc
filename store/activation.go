package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// ActivationFacts is what the database says of activating a wallet: its
// status, the current default (0: none) and each precondition of the
// activation as a check (wallet_activation_checks, the same the activation
// function refuses on).
type ActivationFacts struct {
	Status  model.Status
	Default int
	Checks  []model.Check
}

// ActivationFacts reads what activating version depends on; it writes nothing.
func (db *DB) ActivationFacts(ctx context.Context, version int) (ActivationFacts, error) {
	vn := model.VersionName(version)
	var f ActivationFacts
	var st string
	err := db.pool.QueryRow(ctx, `SELECT status, coalesce((SELECT version_id FROM wallet_versions WHERE is_default), 0)
		FROM wallet_versions WHERE version_id = $1`, version).Scan(&st, &f.Default)
	if errors.Is(err, pgx.ErrNoRows) {
		return f, fmt.Errorf("wallet %s: %w (see `console status` for the wallets that exist)", vn, ErrNotFound)
	}
	if err != nil {
		return f, fmt.Errorf("activation of %s: %w", vn, explain(err))
	}
	f.Status = model.Status(st)
	rows, err := db.pool.Query(ctx, "SELECT name, passed, evidence, fix FROM wallet_activation_checks($1)", version)
	if err != nil {
		return f, fmt.Errorf("activation checks of %s: %w", vn, explain(err))
	}
	f.Checks, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Check, error) {
		var c model.Check
		var passed bool
		err := r.Scan(&c.Name, &passed, &c.Evidence, &c.Fix)
		c.State = model.CheckFail
		if passed {
			c.State, c.Fix = model.CheckPass, ""
		}
		return c, err
	})
	if err != nil {
		return f, fmt.Errorf("activation checks of %s: %w", vn, explain(err))
	}
	return f, nil
}

// Activate makes a deployed wallet active through the database's
// wallet_activate, all or nothing (seed 000, 4.2): the status, the default
// moved when makeDefault (only if it is still expectDefault, so that of two
// operators moving it at once the second is told instead of overriding),
// Plings registered as manufacturer 1, Plings' lineage, the audit row. The
// ceremony key and backup proof are verified again first (the database
// cannot verify Ed25519).
func (db *DB) Activate(ctx context.Context, version int, makeDefault bool, expectDefault int, actor string) (int64, error) {
	vn := model.VersionName(version)
	if err := db.refuseUnverifiedKey(ctx, version); err != nil {
		return 0, err
	}
	var seq int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT wallet_activate($1, $2, $3, $4)", version, makeDefault, expectDefault, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("activate %s: %w", vn, err)
	}
	return seq, nil
}
