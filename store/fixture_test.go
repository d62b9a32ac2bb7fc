package store_test

import (
	"context"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// activeWallet creates wallet v and walks it to active through the store, so
// every step has its audit row; Plings (1) and IKEA (2) are registered in it.
func activeWallet(t *testing.T, db *store.DB, v int) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateWallet(ctx, store.NewWallet{Version: v, Description: "test wallet"}, "tester"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed, model.StatusActive} {
		if err := db.SetStatus(ctx, v, s, store.Op{Type: "wallet_" + string(s), Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"Plings", "IKEA"} {
		if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: v, Index: i + 1, Name: name}, "tester"); err != nil {
			t.Fatal(err)
		}
	}
}

func mustExec(t *testing.T, db *store.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, db *store.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// readyToActivate gives deployed wallet v, as the owner, what activation
// asks of the lifecycle before it (a passing validation run and a rollout
// completed at 100 %), so that a test can look at the rest.
func readyToActivate(t *testing.T, db *store.DB, v int) {
	t.Helper()
	// A rollout takes traffic from another wallet: one must exist.
	if count(t, db, "SELECT count(*) FROM wallet_versions WHERE version_id <> $1", v) == 0 {
		if err := db.CreateWallet(context.Background(), store.NewWallet{Version: 100 + v}, "fixture"); err != nil {
			t.Fatal(err)
		}
	}
	mustExec(t, db, `INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed)
		SELECT gen_random_uuid_for_fixture.id, $1, 'test ' || g, 'critical', true
		  FROM (SELECT gen_random_uuid() AS id) gen_random_uuid_for_fixture, generate_series(1, 7) g`, v)
	mustExec(t, db, `INSERT INTO wallet_rollouts (wallet_version, from_wallet, step_weights, step_dwells, measure_interval, failure_limit,
		on_failure, gate_timeout, max_error_rate, max_allocation_ms, max_signature_ms, current_step, state, reason,
		go_approved_by, promotion_approved_by, started_by, finished_at)
		SELECT $1, coalesce((SELECT version_id FROM wallet_versions WHERE is_default), (SELECT min(version_id) FROM wallet_versions WHERE version_id <> $1)),
		'{1,100}', '{1 second,1 second}', '1 second', 2, 'rollback', '1 day', 0.1, 500, 10, 2, 'completed', 'completed (test fixture)',
		'carol', 'carol', 'bob', now()`, v)
	mustExec(t, db, `WITH z AS (UPDATE wallet_traffic_share SET traffic_percentage = 0 WHERE wallet_version <> $1)
		INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES ($1, 100)
		ON CONFLICT (wallet_version) DO UPDATE SET traffic_percentage = 100`, v)
}
