package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// Wallet returns the inventory row of one wallet version.
func (db *DB) Wallet(ctx context.Context, version int) (model.WalletSummary, error) {
	ws, err := db.summaries(ctx, &version)
	if err != nil {
		return model.WalletSummary{}, err
	}
	if len(ws) == 0 {
		return model.WalletSummary{}, fmt.Errorf("wallet %s: %w (see `console status` for the wallets that exist)", model.VersionName(version), ErrNotFound)
	}
	return ws[0], nil
}

// WalletDetail returns one wallet with its manufacturers, allocation counts
// by type, lineage and the recent operations (at most recent of them).
func (db *DB) WalletDetail(ctx context.Context, version int, recent int) (model.WalletDetail, error) {
	var d model.WalletDetail
	var err error
	if d.Wallet, err = db.Wallet(ctx, version); err != nil {
		return d, err
	}
	rows, err := db.pool.Query(ctx, `
		SELECT r.manufacturer_index, r.manufacturer_name, r.status, r.key_delegation_level,
		       coalesce(o.name, ''), r.registered_at, r.migrated_from_wallet,
		       coalesce(sum(s.paths) FILTER (WHERE s.status IN ('active', 'migrating')), 0)::bigint,
		       coalesce(sum(s.identifiers) FILTER (WHERE s.status IN ('active', 'migrating')), 0)::bigint
		  FROM manufacturer_registry r
		  LEFT JOIN organizations o ON o.id = r.organization_id
		  LEFT JOIN wallet_path_stats s
		         ON s.wallet_version = r.wallet_version AND s.manufacturer_index = r.manufacturer_index
		 WHERE r.wallet_version = $1
		 GROUP BY r.id, o.name
		 ORDER BY r.manufacturer_index`, version)
	if err != nil {
		return d, fmt.Errorf("wallet v%d manufacturers: %w", version, explain(err))
	}
	d.Manufacturers, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Manufacturer, error) {
		var m model.Manufacturer
		err := r.Scan(&m.Index, &m.Name, &m.Status, &m.DelegationLevel, &m.Organization, &m.RegisteredAt,
			&m.MigratedFrom, &m.Paths, &m.Identifiers)
		return m, err
	})
	if err != nil {
		return d, fmt.Errorf("wallet v%d manufacturers: %w", version, explain(err))
	}

	rows, err = db.pool.Query(ctx, `
		SELECT allocation_type, status, sum(paths)::bigint, sum(identifiers)::bigint, max(last_allocated_at)
		  FROM wallet_path_stats WHERE wallet_version = $1 AND paths > 0
		 GROUP BY 1, 2 ORDER BY 1, 2`, version)
	if err != nil {
		return d, fmt.Errorf("wallet v%d allocations: %w", version, explain(err))
	}
	d.Allocations, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.AllocationStats, error) {
		var a model.AllocationStats
		var last *time.Time
		err := r.Scan(&a.Type, &a.Status, &a.Paths, &a.Identifiers, &last)
		if last != nil {
			a.LastAllocatedAt = *last
		}
		return a, err
	})
	if err != nil {
		return d, fmt.Errorf("wallet v%d allocations: %w", version, explain(err))
	}

	rows, err = db.pool.Query(ctx, `
		SELECT canonical_name, current_wallet_version, current_manufacturer_index, predecessor_wallet,
		       predecessor_index, coalesce(migration_reason, ''), migration_status,
		       migration_completion_percentage, migration_date
		  FROM manufacturer_lineage
		 WHERE current_wallet_version = $1 OR predecessor_wallet = $1
		 ORDER BY canonical_name`, version)
	if err != nil {
		return d, fmt.Errorf("wallet v%d lineage: %w", version, explain(err))
	}
	d.Lineage, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Lineage, error) {
		var l model.Lineage
		err := r.Scan(&l.CanonicalName, &l.CurrentWallet, &l.CurrentIndex, &l.PredecessorWallet,
			&l.PredecessorIndex, &l.Reason, &l.Status, &l.Completion, &l.Date)
		return l, err
	})
	if err != nil {
		return d, fmt.Errorf("wallet v%d lineage: %w", version, explain(err))
	}

	d.Recent, err = db.Operations(ctx, OpFilter{Wallet: &version, Limit: recent})
	return d, err
}

// SetStatus moves a wallet to another status, with its audit row, in one
// transaction. The database refuses an illegal transition; the model is asked
// first so that the message is the same whichever refuses.
func (db *DB) SetStatus(ctx context.Context, version int, to model.Status, op Op) error {
	var from string
	if op.Wallet == nil {
		op.Wallet = &version
	}
	err := db.inTx(ctx, &op, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT status FROM wallet_versions WHERE version_id = $1 FOR UPDATE", version).Scan(&from); err != nil {
			if err == pgx.ErrNoRows {
				return fmt.Errorf("wallet %s: %w", model.VersionName(version), ErrNotFound)
			}
			return err
		}
		if _, err := model.CheckTransition(model.Status(from), to); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE wallet_versions SET status = $2 WHERE version_id = $1", version, string(to))
		return err
	})
	if err != nil {
		return fmt.Errorf("set v%d %s: %w", version, to, err)
	}
	return nil
}
