package store

// This file: manufacturer migration between wallets, its plan's facts and
// its start (migration 017; issue 12's first two steps).

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// MigrationAssessment is what moving one manufacturer out of a wallet
// involves (wallet_migration_assessment): its paths and identifiers, how
// recently it allocated, and the complexity and business priority the
// schema derives from them.
type MigrationAssessment struct {
	Name              string
	Index             int
	RegistryStatus    string
	Organization      string // empty: none recorded
	OrganizationType  string
	KeyDelegation     string
	LivePaths         int64 // active or migrating
	ActivePaths       int64 // the ones a start queues
	Identifiers       int64 // summed over the live paths
	RecentAllocations int64 // in the last 30 days
	LastAllocatedAt   *time.Time
	QueueHigh         int64 // active paths allocated in the last 30 days
	QueueMedium       int64 // 30 to 90 days ago
	QueueLow          int64 // before that
	Complexity        string
	ComplexityScore   int64
	BusinessPriority  string
}

// MigrationRefusal is one reason a migration cannot start, and what to do.
type MigrationRefusal struct {
	Reason string
	Fix    string
}

// MigrationAssessments reads the assessment of every manufacturer of wallet
// from; it writes nothing.
func (db *DB) MigrationAssessments(ctx context.Context, from int) ([]MigrationAssessment, error) {
	rows, err := db.pool.Query(ctx, `SELECT manufacturer_name, manufacturer_index, registry_status,
		coalesce(organization, ''), coalesce(organization_type, ''), key_delegation_level, live_paths, active_paths,
		identifiers, recent_allocations, last_allocated_at, queue_high, queue_medium, queue_low,
		complexity, complexity_score, business_priority
		FROM wallet_migration_assessment($1, NULL)`, from)
	if err != nil {
		return nil, fmt.Errorf("manufacturers of %s: %w", model.VersionName(from), explain(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MigrationAssessment, error) {
		var a MigrationAssessment
		err := r.Scan(&a.Name, &a.Index, &a.RegistryStatus, &a.Organization, &a.OrganizationType, &a.KeyDelegation,
			&a.LivePaths, &a.ActivePaths, &a.Identifiers, &a.RecentAllocations, &a.LastAllocatedAt,
			&a.QueueHigh, &a.QueueMedium, &a.QueueLow, &a.Complexity, &a.ComplexityScore, &a.BusinessPriority)
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("manufacturers of %s: %w", model.VersionName(from), explain(err))
	}
	return out, nil
}

// MigrationRefusals says why name cannot be moved from one wallet to the
// other (none: it can), the same list wallet_migration_start refuses on.
func (db *DB) MigrationRefusals(ctx context.Context, from, to int, name string) ([]MigrationRefusal, error) {
	rows, err := db.pool.Query(ctx, "SELECT reason, fix FROM wallet_migration_refusals($1, $2, $3)", from, to, name)
	if err != nil {
		return nil, fmt.Errorf("checks of migrating %s: %w", name, explain(err))
	}
	out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[MigrationRefusal])
	if err != nil {
		return nil, fmt.Errorf("checks of migrating %s: %w", name, explain(err))
	}
	return out, nil
}

// MigrationStarted is what StartMigration did.
type MigrationStarted struct {
	ID        int64
	Queued    int64
	Seq       int64
	LimitsSeq int64 // the load limits' audit row; 0 without limits
}

// MigrationLimits is a migration's own load limits (console migration
// start --max-load): nil leaves one to the worker's default, 0 turns it off.
type MigrationLimits struct {
	MaxWaiting, MaxActive *int
}

// Set says whether any limit is given.
func (l MigrationLimits) Set() bool { return l.MaxWaiting != nil || l.MaxActive != nil }

// StartMigration starts moving manufacturer name from one wallet to the
// other through wallet_migration_start, in one transaction (seed 000,
// zero-downtime migration): the target's registry row as migrating, the
// lineage in_progress at 0 %, the active paths queued by age, the
// migration's row, the audit row; and its load limits when lim sets any,
// with their own audit row. A refusal changes nothing.
func (db *DB) StartMigration(ctx context.Context, from, to int, name, reason string, batch int, actor string, lim MigrationLimits) (MigrationStarted, error) {
	var m MigrationStarted
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT migration_id, queued, seq FROM wallet_migration_start($1, $2, $3, $4, $5, $6)",
			from, to, name, reason, batch, actor).Scan(&m.ID, &m.Queued, &m.Seq); err != nil {
			return err
		}
		noteAudit(ctx, m.Seq)
		if !lim.Set() {
			return nil
		}
		var seq *int64
		if err := tx.QueryRow(ctx, "SELECT wallet_migration_limits($1, $2, $3, $4)", m.ID, lim.MaxWaiting, lim.MaxActive, actor).Scan(&seq); err != nil {
			return err
		}
		if seq != nil {
			m.LimitsSeq = *seq
			noteAudit(ctx, *seq)
		}
		return nil
	})
	if err != nil {
		return MigrationStarted{}, fmt.Errorf("start the migration of %s: %w", name, err)
	}
	return m, nil
}
