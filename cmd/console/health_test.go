package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

func TestHealthExitCodes(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(sql string) {
		t.Helper()
		if _, err := db.Pool().Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// A calm day: good averages, no errors, no open alerts.
	exec(`UPDATE wallet_health_metrics SET error_count = 0, path_allocation_avg_ms = 200,
		signature_avg_ms = 5, hsm_response_avg_ms = 10`)
	exec(`UPDATE security_alerts SET status = 'resolved', resolved_at = now()`)

	// v4 has no metrics at all: three checks and its error rate have nothing
	// to go on, so v4 is unknown and so is the whole (it was "healthy").
	r := console(t, nil, "health", "--dsn", dsn, "--json")
	var rep ops.HealthReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("json: %v\n%s", err, r.stdout)
	}
	if r.code != exitUnknown || rep.Overall != model.HealthUnknown {
		t.Errorf("v4 without metrics: exit %d, overall %s; want %d, unknown\n%s", r.code, rep.Overall, exitUnknown, r.stderr)
	}
	for _, w := range rep.Wallets {
		if w.Version == 4 && w.Overall != model.HealthUnknown {
			t.Errorf("v4 without metrics is %s, want unknown: %+v", w.Overall, w.Checks)
		}
	}
	// status says the same of every wallet as health.
	st := console(t, nil, "status", "--dsn", dsn, "--json")
	var inv struct {
		Wallets []model.WalletSummary `json:"wallets"`
	}
	if err := json.Unmarshal([]byte(st.stdout), &inv); err != nil {
		t.Fatalf("status json: %v", err)
	}
	for _, w := range rep.Wallets {
		for _, s := range inv.Wallets {
			if s.Version == w.Version && s.Health != w.Overall {
				t.Errorf("%s: status says %s, health says %s", w.Name, s.Health, w.Overall)
			}
		}
	}
	exec(`INSERT INTO wallet_health_metrics (wallet_version, metric_date, error_count, request_count,
		path_allocation_avg_ms, signature_avg_ms, hsm_response_avg_ms) VALUES (4, current_date, 0, 10, 200, 5, 10)`)

	r = console(t, nil, "health", "--dsn", dsn, "--json")
	if r.code != exitHealthy {
		t.Fatalf("calm day: exit %d, want %d\n%s%s", r.code, exitHealthy, r.stdout, r.stderr)
	}
	rep = ops.HealthReport{}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || rep.Overall != "healthy" || len(rep.Wallets) != 4 {
		t.Errorf("json: %v %+v", err, rep)
	}

	exec(`INSERT INTO security_alerts (wallet_version, severity, alert_type, message) VALUES (3, 'warning', 'odd_login', 'login from a new host')`)
	if r := console(t, nil, "health", "--dsn", dsn); r.code != exitWarning || !strings.Contains(r.stdout, "1 security warning(s) open") {
		t.Errorf("open warning: exit %d, want %d\n%s", r.code, exitWarning, r.stdout)
	}
	exec(`UPDATE wallet_health_metrics SET error_count = request_count / 50 WHERE wallet_version = 1`) // 2 %
	if r := console(t, nil, "health", "--dsn", dsn); r.code != exitUnhealthy {
		t.Errorf("2 %% errors: exit %d, want %d\n%s", r.code, exitUnhealthy, r.stdout)
	}
	exec(`UPDATE wallet_health_metrics SET error_count = 0`)
	exec(`INSERT INTO security_alerts (wallet_version, severity, alert_type, message) VALUES (1, 'critical', 'key_use', 'signature outside hours')`)
	if r := console(t, nil, "health", "--dsn", dsn); r.code != exitUnhealthy || !strings.Contains(r.stdout, "critical security alert") {
		t.Errorf("open critical: exit %d, want %d\n%s", r.code, exitUnhealthy, r.stdout)
	}

	r = console(t, nil, "health", "--dsn", "host=127.0.0.1 port=1 user=x dbname=y connect_timeout=2")
	if r.code != exitUnknown || !strings.Contains(r.stderr, "health unknown") {
		t.Errorf("unreachable database: exit %d, want %d: %s", r.code, exitUnknown, r.stderr)
	}

	// Live HSM: measured, and a token that cannot be used makes it unknown.
	env, pin := softToken(t)
	r = console(t, env, "health", "--dsn", dsn, "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir())
	if !strings.Contains(r.stdout, "token ops (live)") || r.code == exitUnknown {
		t.Errorf("live HSM: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = console(t, env, "health", "--dsn", dsn, "--token", "missing", "--pin-file", pin, "--data-dir", t.TempDir())
	if r.code != exitUnknown {
		t.Errorf("missing token: exit %d, want %d: %s", r.code, exitUnknown, r.stderr)
	}
}

// A server on PostgreSQL's defaults (the test harness's) is told which of
// its settings slow allocation down; the overall state does not change.
func TestHealthNamesSettingsThatHurtAllocation(t *testing.T) {
	dsn := pgtest.DSN(t, pgtest.NewDatabase(t))
	r := console(t, nil, "health", "--json", "--dsn", dsn)
	var rep struct {
		Settings []struct {
			Name   string `json:"name"`
			Advice string `json:"advice"`
		} `json:"database_settings"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("health --json: %v\n%s%s", err, r.stdout, r.stderr)
	}
	names := map[string]bool{}
	for _, s := range rep.Settings {
		names[s.Name] = true
	}
	if !names["jit"] || !names["max_wal_size"] || !names["checkpoint_timeout"] {
		t.Errorf("advice on the defaults: %+v", rep.Settings)
	}
	if out := console(t, nil, "health", "--dsn", dsn).stdout; !strings.Contains(out, "server settings that slow allocation down:") ||
		!strings.Contains(out, "jit = on") {
		t.Errorf("health's text:\n%s", out)
	}
}
