package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// inventorySQL reads counters (wallet_path_stats), never the allocations
// themselves, so its cost does not grow with the number of paths.
const inventorySQL = `
SELECT w.version_id, w.version_name, w.status, w.environment, w.security_level, w.is_default,
       coalesce(w.description, ''), w.master_key_id, coalesce(w.public_key_fingerprint, ''), w.created_at,
       coalesce(m.n, 0),
       coalesce(s.paths, 0), coalesce(s.identifiers, 0), s.last_alloc,
       l.completion,
       h.states
  FROM wallet_versions w
  LEFT JOIN LATERAL (
         SELECT count(*) AS n FROM manufacturer_registry r
          WHERE r.wallet_version = w.version_id AND r.status NOT IN ('migrated', 'retired')) m ON true
  LEFT JOIN LATERAL (
         SELECT sum(paths) FILTER (WHERE status IN ('active', 'migrating'))::bigint AS paths,
                sum(identifiers) FILTER (WHERE status IN ('active', 'migrating'))::bigint AS identifiers,
                max(last_allocated_at) AS last_alloc
           FROM wallet_path_stats ps WHERE ps.wallet_version = w.version_id) s ON true
  LEFT JOIN LATERAL (
         SELECT avg(migration_completion_percentage)::float8 AS completion
           FROM manufacturer_lineage ml
          WHERE ml.predecessor_wallet = w.version_id
            AND ml.predecessor_wallet <> ml.current_wallet_version
            AND ml.migration_status IN ('in_progress', 'paused', 'completed')) l ON true
  LEFT JOIN LATERAL (
         SELECT array_agg(c.state) AS states
           FROM unnest(ARRAY['hsm_connectivity', 'signature_performance', 'path_allocation_rate',
                             'database_response_time', 'error_rate', 'security_alerts']) AS k(name)
           CROSS JOIN LATERAL (
                  SELECT hc.state FROM wallet_health_checks hc
                   WHERE hc.wallet_version = w.version_id AND hc.check_name = k.name
                   ORDER BY hc.checked_at DESC LIMIT 1) c) h ON true
 WHERE $1::int IS NULL OR w.version_id = $1
 ORDER BY w.version_id`

// Inventory lists every wallet version with its counts, last allocation,
// migration completion and stored health.
func (db *DB) Inventory(ctx context.Context) ([]model.WalletSummary, error) {
	return db.summaries(ctx, nil)
}

func (db *DB) summaries(ctx context.Context, only *int) ([]model.WalletSummary, error) {
	rows, err := db.pool.Query(ctx, inventorySQL, only)
	if err != nil {
		return nil, fmt.Errorf("inventory: %w", explain(err))
	}
	return scanSummaries(rows)
}

// InventoryWithHealth is Inventory and HealthInputs in one round trip (a
// pipelined batch): the inventory's health is evaluated from these, so the
// screen costs no extra round trip for its inputs.
func (db *DB) InventoryWithHealth(ctx context.Context) ([]model.WalletSummary, []HealthInput, error) {
	b := &pgx.Batch{}
	b.Queue(inventorySQL, nil)
	b.Queue(healthInputsSQL)
	br := db.pool.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("inventory: %w", explain(err))
	}
	ws, err := scanSummaries(rows)
	if err != nil {
		return nil, nil, err
	}
	rows, err = br.Query()
	if err != nil {
		return nil, nil, fmt.Errorf("health inputs: %w", explain(err))
	}
	in, err := scanHealthInputs(rows)
	if err != nil {
		return nil, nil, err
	}
	return ws, in, nil
}

func scanSummaries(rows pgx.Rows) ([]model.WalletSummary, error) {
	defer rows.Close()
	var out []model.WalletSummary
	for rows.Next() {
		var w model.WalletSummary
		var status, env, level string
		var last *time.Time
		var states []string
		if err := rows.Scan(&w.Version, &w.Name, &status, &env, &level, &w.IsDefault, &w.Description,
			&w.MasterKeyID, &w.Fingerprint, &w.CreatedAt, &w.Manufacturers, &w.Paths, &w.Identifiers, &last,
			&w.MigrationCompletion, &states); err != nil {
			return nil, fmt.Errorf("inventory: %w", err)
		}
		w.Status, w.Environment, w.SecurityLevel = model.Status(status), model.Environment(env), model.SecurityLevel(level)
		if last != nil {
			w.LastAllocation = *last
		}
		w.Health = overallOf(states)
		out = append(out, w)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("inventory: %w", explain(err))
	}
	return out, nil
}

func overallOf(states []string) model.HealthState {
	results := make([]model.CheckResult, 0, len(states))
	for _, s := range states {
		results = append(results, model.CheckResult{State: model.HealthState(s)})
	}
	return model.Overall(results)
}
