package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// TestHealthHistory: the latest n results per wallet and check, oldest first,
// in check order; a NULL value stays nil; retired wallets are left out.
func TestHealthHistory(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 1)
	if err := db.CreateWallet(ctx, store.NewWallet{Version: 2, Environment: model.EnvironmentTesting}, "tester"); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5 { // hsm_connectivity 10, 11, … 14 ms, every 6 hours
		mustExec(t, db, `INSERT INTO wallet_health_checks (wallet_version, checked_at, check_name, state, value)
			VALUES (1, $1, 'hsm_connectivity', 'healthy', $2)`, base.Add(time.Duration(i)*6*time.Hour), 10+i)
	}
	mustExec(t, db, `INSERT INTO wallet_health_checks (wallet_version, checked_at, check_name, state, value)
		VALUES (1, $1, 'error_rate', 'warning', 0.25), (1, $2, 'security_alerts', 'failed', NULL),
		       (2, $1, 'database_response_time', 'healthy', 3.5)`, base, base.Add(time.Hour))

	pts, err := db.HealthHistory(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		w     int
		check model.CheckName
		at    time.Time
		state model.HealthState
		value float64
		null  bool
	}
	var g []got
	for _, p := range pts {
		r := got{w: p.Wallet, check: p.Check, at: p.At.UTC(), state: p.State, null: p.Value == nil}
		if p.Value != nil {
			r.value = *p.Value
		}
		g = append(g, r)
	}
	want := []got{
		{1, model.CheckHSMConnectivity, base.Add(12 * time.Hour), model.HealthHealthy, 12, false},
		{1, model.CheckHSMConnectivity, base.Add(18 * time.Hour), model.HealthHealthy, 13, false},
		{1, model.CheckHSMConnectivity, base.Add(24 * time.Hour), model.HealthHealthy, 14, false},
		{1, model.CheckErrorRate, base, model.HealthWarning, 0.25, false},
		{1, model.CheckSecurityAlerts, base.Add(time.Hour), model.HealthFailed, 0, true},
		{2, model.CheckDatabaseResponse, base, model.HealthHealthy, 3.5, false},
	}
	if len(g) != len(want) {
		t.Fatalf("got %d points, want %d: %+v", len(g), len(want), g)
	}
	for i := range want {
		if g[i] != want[i] {
			t.Errorf("point %d: %+v, want %+v", i, g[i], want[i])
		}
	}
	if pts, err := db.HealthHistory(ctx, 0); err != nil || len(pts) != 0 {
		t.Errorf("n=0: %v %v", pts, err)
	}

	// Inputs carry the environment; a wallet not in service yet (created)
	// and a retired one have none.
	if in, err := db.HealthInputs(ctx); err != nil || len(in) != 1 {
		t.Errorf("inputs with v2 created: %+v, %v", in, err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := db.SetStatus(ctx, 2, s, store.Op{Type: "wallet_" + string(s)}); err != nil {
			t.Fatal(err)
		}
	}
	in, err := db.HealthInputs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(in) != 2 || in[0].Environment != "production" || in[1].Environment != "testing" {
		t.Errorf("inputs: %+v", in)
	}
	mustExec(t, db, `ALTER TABLE wallet_versions DISABLE TRIGGER USER`)
	mustExec(t, db, `UPDATE wallet_versions SET status = 'retired' WHERE version_id = 2`)
	mustExec(t, db, `ALTER TABLE wallet_versions ENABLE TRIGGER USER`)
	pts, err = db.HealthHistory(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pts {
		if p.Wallet == 2 {
			t.Errorf("retired wallet in the history: %+v", p)
		}
	}
}
