package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The operator's controls on the demo's Volvo migration (v2 → v1, 80 %),
// through the binary: status and its JSON, pause twice, throttle with its
// reason on the status line, the worker to the end, verify completing it,
// a rollback and its verify; the viewer drives nothing.
func TestMigrationControlsOnTheDemo(t *testing.T) {
	d := newDeployDB(t)
	var ms []struct {
		ID         int64    `json:"id"`
		Name       string   `json:"manufacturer_name"`
		State      string   `json:"state"`
		Shown      string   `json:"state_shown"`
		Percent    float64  `json:"percent"`
		ETA        *float64 `json:"eta_seconds"`
		StatusLine string   `json:"status_line"`
	}
	readStatus := func(id string) {
		t.Helper()
		if err := json.Unmarshal([]byte(mustConsole(t, "migration", "status", id, "--json", "--dsn", d.alice)), &ms); err != nil || len(ms) != 1 {
			t.Fatalf("status --json: %v %+v", err, ms)
		}
	}
	readStatus("1")
	if ms[0].Name != "Volvo" || ms[0].State != "running" || ms[0].Percent != 80 || ms[0].ETA != nil {
		t.Errorf("Volvo's status before any batch: %+v (no batch in the last minute: no rate, no ETA)", ms[0])
	}
	viewer := console(t, nil, "migration", "pause", "1", "--reason", "x", "--dsn", strings.Replace(d.alice, "alice", "viewer", 1))
	if viewer.code == 0 || !strings.Contains(viewer.stderr, "permission denied") {
		t.Errorf("viewer pause: %d %s", viewer.code, viewer.stderr)
	}
	if r := console(t, nil, "migration", "pause", "1", "--dsn", d.alice); r.code == 0 || !strings.Contains(r.stderr, "needs --reason") {
		t.Errorf("pause without a reason: %d %s", r.code, r.stderr)
	}
	mustConsole(t, "migration", "pause", "1", "--reason", "quarter-end freeze", "--dsn", d.alice)
	r := console(t, nil, "migration", "pause", "1", "--reason", "again", "--dsn", d.alice)
	if r.code == 0 || !strings.Contains(r.stderr, "migration #1 is already paused") || !strings.Contains(r.stderr, "quarter-end freeze") {
		t.Errorf("second pause: %d %s", r.code, r.stderr)
	}
	if out := mustConsole(t, "migration", "status", "1", "--dsn", d.alice); !strings.Contains(out, "State: paused: quarter-end freeze") {
		t.Errorf("status while paused: %s", out)
	}
	mustConsole(t, "migration", "resume", "1", "--dsn", d.alice)
	mustConsole(t, "migration", "throttle", "1", "--reason", "HSM firmware update", "--for", "1h", "--dsn", d.alice)
	if out := mustConsole(t, "migration", "status", "--dsn", d.alice); !strings.Contains(out, "State: throttled by the operator: HSM firmware update") {
		t.Errorf("status while throttled: %s", out)
	}
	mustConsole(t, "migration", "throttle", "1", "--off", "--dsn", d.alice)
	if out := mustConsole(t, "migration", "run", "1", "--dsn", d.alice); !strings.Contains(out, "Moved: 320/320 100.0%") ||
		!strings.Contains(out, "migration verify 1") {
		t.Errorf("run to the end:\n%s", out)
	}
	v := console(t, nil, "migration", "verify", "1", "--dsn", d.alice)
	if v.code != 0 || !strings.Contains(v.stdout, "migration #1 completed") {
		t.Errorf("verify: %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	readStatus("1")
	if ms[0].State != "completed" {
		t.Errorf("after verify: %+v", ms[0])
	}
	mustConsole(t, "migration", "rollback", "1", "--reason", "the manufacturer asked to stay", "--dsn", d.alice)
	if out := mustConsole(t, "migration", "run", "1", "--dsn", d.alice); !strings.Contains(out, "Returned: 320/320") {
		t.Errorf("rollback run:\n%s", out)
	}
	v = console(t, nil, "migration", "verify", "1", "--json", "--dsn", d.alice)
	var vr struct {
		State        string `json:"state"`
		FindingCount int    `json:"finding_count"`
	}
	if err := json.Unmarshal([]byte(v.stdout), &vr); err != nil || v.code != 0 || vr.State != "rolled_back" || vr.FindingCount != 0 {
		t.Errorf("verify after the rollback: %d %v %+v %s", v.code, err, vr, v.stderr)
	}
	if r := console(t, nil, "migration", "status", "x7", "--dsn", d.alice); r.code == 0 || !strings.Contains(r.stderr, `"x7" is not a migration id`) {
		t.Errorf("status x7: %d %s", r.code, r.stderr)
	}
	if r := console(t, nil, "migration", "status", "99", "--dsn", d.alice); r.code == 0 || !strings.Contains(r.stderr, "there is no migration #99") {
		t.Errorf("status 99: %d %s", r.code, r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", d.alice); r.code != 0 {
		t.Errorf("audit verify: %d %s", r.code, r.stdout)
	}
}

// The worker holds back while sessions wait for a lock, says why on the
// status line and in the audit log, and carries on when they stop.
func TestMigrationWorkerThrottlesOnLockWaiters(t *testing.T) {
	d := newDeployDB(t)
	ctx := context.Background()
	// A session holds a lock and two wait for it.
	holder, err := d.db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx)
	if _, err := holder.Exec(ctx, "LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	waiters := make(chan error, 2)
	for i := 0; i < 2; i++ {
		go func() {
			_, err := d.db.Pool().Exec(ctx, "SELECT count(*) FROM organizations")
			waiters <- err
		}()
	}
	w := startConsole(t, "migration", "run", "1", "--max-load", "waiting=2", "--dsn", d.alice)
	waitFor(t, 20*time.Second, "the worker's throttle", func() bool {
		return strings.Contains(mustConsole(t, "migration", "status", "1", "--dsn", d.alice),
			"State: throttled by the worker: database load: 2 sessions wait for a lock (limit 2)")
	})
	if !strings.Contains(w.output(), "#1 throttled: database load: 2 sessions wait for a lock (limit 2)") {
		t.Errorf("the worker did not say why it waits:\n%s", w.output())
	}
	var moved int
	if err := d.db.Pool().QueryRow(ctx, "SELECT moved_paths FROM manufacturer_migrations WHERE id = 1").Scan(&moved); err != nil || moved != 256 {
		t.Errorf("moved %d while throttled (%v), want the demo's 256", moved, err)
	}
	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if err := <-waiters; err != nil {
			t.Fatal(err)
		}
	}
	if code := w.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("the worker exited %d:\n%s", code, w.output())
	}
	if !strings.Contains(w.output(), "Moved: 320/320 100.0%") {
		t.Errorf("the worker did not finish:\n%s", w.output())
	}
	var rows int
	if err := d.db.Pool().QueryRow(ctx, `SELECT count(*) FROM wallet_operations_log WHERE operation_type IN
		('manufacturer_migration_throttled', 'manufacturer_migration_unthrottled') AND operation_details->>'by' = 'worker'`).Scan(&rows); err != nil || rows != 2 {
		t.Errorf("%d audit rows for the worker's throttle (%v), want its start and its end", rows, err)
	}
}

// A reason with invisible and control characters stays inert on the status
// line and in the JSON.
func TestMigrationReasonsShownInert(t *testing.T) {
	d := newDeployDB(t)
	reason := "freeze \u202eesrever\u202c and \u009b31m red"
	mustConsole(t, "migration", "pause", "1", "--reason", reason, "--dsn", d.alice)
	for _, args := range [][]string{{"migration", "status"}, {"migration", "status", "--json"}} {
		out := mustConsole(t, append(args, "--dsn", d.alice)...)
		if strings.ContainsAny(out, "\u202e\u202c\u009b") {
			t.Errorf("%v: raw control characters in the output:\n%q", args, out)
		}
		if !strings.Contains(out, "freeze") {
			t.Errorf("%v: the reason is not shown:\n%s", args, out)
		}
	}
}

// An allocation under a namespace that is moving is refused in the source
// with the wallet to use; made there, it is checked against the source.
func TestAllocateDuringAMigration(t *testing.T) {
	d := newDeployDB(t)
	// The demo's v2 is deprecated: reopen nothing, just ask.
	r := console(t, nil, "allocate", "--wallet", "v2", "--path", "4.999", "--dsn", d.alice)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "manufacturer 4 (Volvo) is being moved to v1: new paths under it are allocated in v1") ||
		!strings.Contains(r.stdout+r.stderr, "allocate 4.999 in v1 instead") {
		t.Errorf("allocate in the source: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// In the target, a path over one still in the source is refused.
	var queued string
	if err := d.db.Pool().QueryRow(context.Background(), `SELECT base_path FROM path_migration_queue
		WHERE migration_id = 1 AND migration_status = 'queued' ORDER BY id LIMIT 1`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	r = console(t, nil, "allocate", "--wallet", "v1", "--path", queued+".7", "--dsn", d.alice)
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "overlaps "+queued+" in wallet v2, from which its manufacturer is being moved to v1") {
		t.Errorf("allocate over a queued path in the target: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	mustConsole(t, "allocate", "--wallet", "v1", "--path", "4.9999.1", "--quantity", "10", "--dsn", d.alice)
}
