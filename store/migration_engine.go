package store

// This file: the migration engine's calls (migration 018): one batch, the
// operator's controls, verify, and the status every screen reads.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// BatchResult is what one wallet_migration_batch call did.
type BatchResult struct {
	Moved     int    // paths moved (or returned, after a rollback)
	BatchNo   int    // 0: no batch was made
	State     string // the migration's state after it; "throttled" when the operator's throttle held it
	Remaining int64
	Seq       int64
}

// MigrationBatch moves at most limit paths of migration id in one short
// transaction (its audit row included). Rows other workers hold are
// skipped; a crash before the commit leaves nothing behind.
func (db *DB) MigrationBatch(ctx context.Context, id int64, limit int, note string) (BatchResult, error) {
	var r BatchResult
	var batch, seq *int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT moved, batch_no, state, remaining, seq FROM wallet_migration_batch($1, $2, $3)",
			id, limit, note).Scan(&r.Moved, &batch, &r.State, &r.Remaining, &seq); err != nil {
			return err
		}
		if seq != nil {
			noteAudit(ctx, *seq)
		}
		return nil
	})
	if err != nil {
		return BatchResult{}, fmt.Errorf("migration #%d, batch: %w", id, err)
	}
	if batch != nil {
		r.BatchNo = int(*batch)
	}
	if seq != nil {
		r.Seq = *seq
	}
	return r, nil
}

// migrationCall runs one of the controls (pause, resume, throttle,
// rollback) in its own transaction and returns its audit row.
func (db *DB) migrationCall(ctx context.Context, what string, id int64, sql string, args ...any) (int64, error) {
	var seq *int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, sql, args...).Scan(&seq); err != nil {
			return err
		}
		if seq != nil {
			noteAudit(ctx, *seq)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("%s migration #%d: %w", what, id, err)
	}
	if seq == nil {
		return 0, nil
	}
	return *seq, nil
}

// PauseMigration stops the batches after the ones in flight.
func (db *DB) PauseMigration(ctx context.Context, id int64, reason, note string) (int64, error) {
	return db.migrationCall(ctx, "pause", id, "SELECT wallet_migration_pause($1, $2, $3)", id, reason, note)
}

// ResumeMigration lets a paused migration carry on in its direction.
func (db *DB) ResumeMigration(ctx context.Context, id int64, reason, note string) (int64, error) {
	return db.migrationCall(ctx, "resume", id, "SELECT wallet_migration_resume($1, $2, $3)", id, reason, note)
}

// ThrottleMigration holds the batches for a reason until until (nil: until
// lifted); an empty reason lifts the operator's throttle.
func (db *DB) ThrottleMigration(ctx context.Context, id int64, reason string, until *time.Time, note string) (int64, error) {
	var r *string
	if reason != "" {
		r = &reason
	}
	return db.migrationCall(ctx, "throttle", id, "SELECT wallet_migration_throttle($1, $2, $3, $4)", id, r, until, note)
}

// WorkerThrottle records the worker's own throttle and its reason (empty:
// lifted); an audit row only when it begins or ends.
func (db *DB) WorkerThrottle(ctx context.Context, id int64, reason, note string) (int64, error) {
	var r *string
	if reason != "" {
		r = &reason
	}
	return db.migrationCall(ctx, "throttle", id, "SELECT wallet_migration_worker_throttle($1, $2, $3)", id, r, note)
}

// RollbackMigration turns the migration back: the batches then return
// every moved path to the source.
func (db *DB) RollbackMigration(ctx context.Context, id int64, reason, note string) (int64, error) {
	return db.migrationCall(ctx, "roll back", id, "SELECT wallet_migration_rollback($1, $2, $3)", id, reason, note)
}

// VerifyFinding is one kind of mismatch verify found, with its keys.
type VerifyFinding struct {
	Kind  string   `json:"kind"`
	Count int64    `json:"count"`
	Keys  []string `json:"keys"`
}

// VerifyResult is what wallet_migration_verify found and did.
type VerifyResult struct {
	MigrationID  int64            `json:"migration_id"`
	State        string           `json:"state"`
	Completed    bool             `json:"completed"`
	Findings     []VerifyFinding  `json:"findings"`
	FindingCount int64            `json:"finding_count"`
	Counts       map[string]int64 `json:"counts"`
	DurationMS   float64          `json:"duration_ms"`
	Seq          int64            `json:"seq"`
}

// VerifyMigration compares the manufacturer's paths in both wallets and
// recomputes every batch's checksum; a clean verify of a moved migration
// completes it, in the same transaction. It may take long on millions of
// paths: the statement limit is lifted for it (the lock limit is not).
func (db *DB) VerifyMigration(ctx context.Context, id int64, note string) (VerifyResult, error) {
	var v VerifyResult
	err := db.inTx(withoutTimeouts(ctx, false), nil, func(tx pgx.Tx) error {
		var js []byte
		if err := tx.QueryRow(ctx, "SELECT wallet_migration_verify($1, $2)", id, note).Scan(&js); err != nil {
			return err
		}
		if err := json.Unmarshal(js, &v); err != nil {
			return fmt.Errorf("the verify's answer: %w", err)
		}
		noteAudit(ctx, v.Seq)
		return nil
	})
	if err != nil {
		return VerifyResult{}, fmt.Errorf("verify migration #%d: %w", id, err)
	}
	return v, nil
}

// ManufacturerMigration is one manufacturer migration as every screen shows it: the
// exact counts (kept with the queue, in the batches' transactions), the
// rate over the last minute of batches and the state with its reasons.
type ManufacturerMigration struct {
	ID             int64
	Manufacturer   string
	Source, Target int
	Reason         string
	Priority       string
	Complexity     string
	Phase          int
	TotalPhases    int
	State          string
	Direction      string
	Total          int64
	Moved          int64
	Skipped        int64
	Returned       int64
	Batches        int
	BatchSize      int
	PauseReason    string
	ThrottleReason string
	ThrottledBy    string
	ThrottledUntil *time.Time
	StartedAt      *time.Time
	CompletedAt    *time.Time
	LastBatchAt    *time.Time
	VerifiedAt     *time.Time
	VerifyFindings *int
	// MaxWaiting and MaxActive are the migration's own load limits (nil:
	// the worker's).
	MaxWaiting, MaxActive *int
	// RecentPaths over RecentSeconds: the batches of the last minute.
	RecentPaths   int64
	RecentSeconds float64
}

const migrationColumns = `m.id, m.manufacturer_name, m.source_wallet_version, m.target_wallet_version, m.migration_reason,
	m.priority, m.complexity, m.phase, m.total_phases, m.state, m.direction, m.total_paths, m.moved_paths, m.skipped_paths,
	m.returned_paths, m.batches, m.batch_size, coalesce(m.pause_reason, ''), coalesce(m.throttle_reason, ''),
	coalesce(m.throttled_by, ''), m.throttled_until, m.started_at, m.completed_at, m.last_batch_at, m.verified_at,
	m.verify_findings, m.max_waiting, m.max_active, coalesce(r.paths, 0), coalesce(r.secs, 0)`

// The rate's window: the batches finished in the last minute, from the
// first one's start to the last one's end.
const migrationRecent = `LEFT JOIN LATERAL (
	SELECT sum(b.paths) AS paths, extract(epoch FROM max(b.finished_at) - min(b.started_at))::float8 AS secs
	  FROM migration_batches b
	 WHERE b.migration_id = m.id AND b.direction = m.direction AND b.finished_at > now() - interval '60 seconds') r ON true`

func scanMigration(row pgx.CollectableRow) (ManufacturerMigration, error) {
	var m ManufacturerMigration
	err := row.Scan(&m.ID, &m.Manufacturer, &m.Source, &m.Target, &m.Reason, &m.Priority, &m.Complexity, &m.Phase,
		&m.TotalPhases, &m.State, &m.Direction, &m.Total, &m.Moved, &m.Skipped, &m.Returned, &m.Batches, &m.BatchSize,
		&m.PauseReason, &m.ThrottleReason, &m.ThrottledBy, &m.ThrottledUntil, &m.StartedAt, &m.CompletedAt,
		&m.LastBatchAt, &m.VerifiedAt, &m.VerifyFindings, &m.MaxWaiting, &m.MaxActive, &m.RecentPaths, &m.RecentSeconds)
	return m, err
}

// ManufacturerMigrations lists every migration, the ones in flight first, newest first.
func (db *DB) ManufacturerMigrations(ctx context.Context) ([]ManufacturerMigration, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+migrationColumns+" FROM manufacturer_migrations m "+migrationRecent+`
		ORDER BY m.state IN ('running', 'paused', 'moved', 'rolling_back') DESC, m.id DESC`)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", explain(err))
	}
	out, err := pgx.CollectRows(rows, scanMigration)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", explain(err))
	}
	return out, nil
}

// MigrationByID reads one migration; ErrNotFound when there is none.
func (db *DB) MigrationByID(ctx context.Context, id int64) (ManufacturerMigration, error) {
	rows, err := db.pool.Query(ctx, "SELECT "+migrationColumns+" FROM manufacturer_migrations m "+migrationRecent+
		" WHERE m.id = $1", id)
	if err != nil {
		return ManufacturerMigration{}, fmt.Errorf("migration #%d: %w", id, explain(err))
	}
	m, err := pgx.CollectExactlyOneRow(rows, scanMigration)
	if err == pgx.ErrNoRows {
		return ManufacturerMigration{}, fmt.Errorf("there is no migration #%d (console migration status lists them): %w", id, ErrNotFound)
	}
	if err != nil {
		return ManufacturerMigration{}, fmt.Errorf("migration #%d: %w", id, explain(err))
	}
	return m, nil
}

// DatabaseLoad is what the worker throttles on: client sessions running a
// statement and those waiting for a lock, other than its own.
type DatabaseLoad struct {
	Active  int
	Waiting int
}

// Load reads the database's load (wallet_migration_load, as the owner, so
// that every session counts whatever the login may see).
func (db *DB) Load(ctx context.Context) (DatabaseLoad, error) {
	var l DatabaseLoad
	if err := db.pool.QueryRow(ctx, "SELECT active, waiting FROM wallet_migration_load()").Scan(&l.Active, &l.Waiting); err != nil {
		return l, fmt.Errorf("database load: %w", explain(err))
	}
	return l, nil
}

// SlowestRecentAllocation is the slowest allocation time the identifier
// service reported (not simulated) over the last two minutes in any of the
// wallets, and which wallet; 0 when it reported none.
func (db *DB) SlowestRecentAllocation(ctx context.Context, wallets []int) (int, float64, error) {
	var v int
	var ms float64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(max(wallet_version), 0), coalesce(max(allocation_ms), 0)::float8 FROM (
		SELECT wallet_version, allocation_ms FROM wallet_minute_metrics
		 WHERE wallet_version = ANY ($1) AND NOT simulated AND minute > now() - interval '2 minutes'
		   AND allocation_ms IS NOT NULL
		 ORDER BY allocation_ms DESC LIMIT 1) x`, wallets).Scan(&v, &ms)
	if err != nil {
		return 0, 0, fmt.Errorf("recent allocation times: %w", explain(err))
	}
	return v, ms, nil
}

// ProbeAllocationIndex times what an allocation's overlap check does
// first: a probe of the wallet's live paths (by index).
func (db *DB) ProbeAllocationIndex(ctx context.Context, wallet int) (time.Duration, error) {
	t0 := time.Now()
	var n int
	err := db.pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM path_registry
		WHERE wallet_version = $1 AND base_path >= '1.' AND base_path < '1/' AND status IN ('active', 'migrating') LIMIT 1) x`,
		wallet).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("probe of v%d's paths: %w", wallet, explain(err))
	}
	return time.Since(t0), nil
}
