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
	mustExec(t, db, `INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed)
		SELECT gen_random_uuid_for_fixture.id, $1, 'test ' || g, 'critical', true
		  FROM (SELECT gen_random_uuid() AS id) gen_random_uuid_for_fixture, generate_series(1, 7) g`, v)
	mustExec(t, db, `INSERT INTO deployments (wallet_version, state, traffic_percentage, step) VALUES ($1, 'completed', 100, 5)`, v)
}
