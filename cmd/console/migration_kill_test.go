package main

import (
	"context"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Acceptance 1 of issue 12: the worker killed with SIGKILL at 50 random
// points while it moves 200,000 paths, started again each time. At the
// end every source path is in the target exactly once, none is live in the
// source, and `migration verify` and `audit verify` pass.
func TestMigrationWorkerKilled50Times(t *testing.T) {
	if testing.Short() {
		t.Skip("moves 200,000 paths")
	}
	d := newDeployDB(t)
	ctx := context.Background()
	// KTH Prototype Lab (index 16 in v3, free in v1) gets 200,000 more
	// paths, allocated over the last 200 days (every priority). Loaded as
	// the owner in one statement, with the engine's switch: the rows are
	// leaves under fresh categories, disjoint by construction (the engine's
	// rows skip the guard, so the range's end is given).
	tx, err := d.db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{"SET LOCAL wallet.engine = 'on'", `INSERT INTO path_registry
		(wallet_version, base_path, allocation_type, quantity, allocated_range_end, allocated_by, allocated_at, manufacturer_name)
		SELECT 3, '16.' || (5000 + g / 1000) || '.' || (g % 1000 + 1), 'production', 10, 10, '00000000-0000-0000-0000-000000000000',
		       now() - interval '1 hour' * (g % 4800), 'KTH Prototype Lab'
		  FROM generate_series(0, 199999) g`} {
		if _, err := tx.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	var source int
	if err := d.db.Pool().QueryRow(ctx, `SELECT count(*) FROM path_registry WHERE wallet_version = 3 AND manufacturer_index = 16
		AND status = 'active'`).Scan(&source); err != nil {
		t.Fatal(err)
	}
	out := mustConsole(t, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "KTH Prototype Lab",
		"--batch", "500", "--dsn", d.alice)
	m := regexp.MustCompile(`migration #(\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("start printed no migration id:\n%s", out)
	}
	id := m[1]
	if !strings.Contains(out, strconv.Itoa(source)+" paths queued") && !strings.Contains(out, "queued "+strconv.Itoa(source)) {
		t.Logf("start said:\n%s", out)
	}

	moved := func() (int, string) {
		var n int
		var state string
		if err := d.db.Pool().QueryRow(ctx, "SELECT moved_paths, state FROM manufacturer_migrations WHERE id = $1", id).Scan(&n, &state); err != nil {
			t.Fatal(err)
		}
		return n, state
	}
	rng := rand.New(rand.NewPCG(12, 2026))
	kills := 0
	for kills < 50 {
		if _, state := moved(); state != "running" {
			t.Fatalf("the migration is %s after %d kills: the test needs it to last longer", state, kills)
		}
		// Two loops: a kill lands in two batches at once.
		w := startConsole(t, "migration", "run", id, "--batch", "500", "--chunk-time", "20ms", "--workers", "2", "--dsn", d.alice)
		// Killed between 150 ms and 400 ms in: the process needs about 100 ms
		// to connect, so most kills land inside a batch.
		time.Sleep(time.Duration(150+rng.IntN(250)) * time.Millisecond)
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := w.wait(t, 10*time.Second); code != -int(syscall.SIGKILL) {
			t.Fatalf("kill %d: the worker exited %d before the kill:\n%s", kills+1, code, w.output())
		}
		kills++
	}
	before, _ := moved()
	if before == 0 || before >= source {
		t.Fatalf("after 50 kills %d of %d paths are moved: the kills did not land during the migration", before, source)
	}
	t.Logf("50 kills; %d of %d paths moved by then", before, source)

	if out := mustConsole(t, "migration", "run", id, "--dsn", d.alice); !strings.Contains(out, "State: moved") {
		t.Fatalf("the last run did not finish the move:\n%s", out)
	}
	// Exactly once, none left, nothing extra.
	for what, sql := range map[string]string{
		"source paths not in the target exactly once": `SELECT count(*) FROM path_registry s
			WHERE s.wallet_version = 3 AND s.manufacturer_index = 16 AND s.migrated_to_wallet = 1
			  AND (SELECT count(*) FROM path_registry t WHERE t.wallet_version = 1 AND t.base_path = s.base_path) <> 1`,
		"paths live in the source": `SELECT count(*) FROM path_registry WHERE wallet_version = 3 AND manufacturer_index = 16
			AND status IN ('active', 'migrating')`,
		"copies in the target without a source row": `SELECT count(*) FROM path_registry t WHERE t.wallet_version = 1
			AND t.manufacturer_index = 16 AND NOT EXISTS (SELECT 1 FROM path_registry s WHERE s.wallet_version = 3
			AND s.base_path = t.base_path AND s.migrated_to_wallet = 1)`,
		"queue rows moved twice or not at all": `SELECT count(*) FROM path_migration_queue WHERE migration_id = ` + id + `
			AND (migration_status <> 'completed' OR batch_no IS NULL)`,
	} {
		var n int
		if err := d.db.Pool().QueryRow(ctx, sql).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("%s: %d", what, n)
		}
	}
	// The two loops ran side by side: batches whose times overlap.
	var overlapping int
	if err := d.db.Pool().QueryRow(ctx, `SELECT count(*) FROM migration_batches a JOIN migration_batches b
		ON b.migration_id = a.migration_id AND b.batch_no > a.batch_no AND b.started_at < a.finished_at AND a.started_at < b.finished_at
		WHERE a.migration_id = `+id).Scan(&overlapping); err != nil {
		t.Fatal(err)
	}
	if overlapping == 0 {
		t.Errorf("no two batches ran at the same time: --workers 2 ran one loop")
	}
	var inTarget int
	if err := d.db.Pool().QueryRow(ctx, "SELECT count(*) FROM path_registry WHERE wallet_version = 1 AND manufacturer_index = 16").Scan(&inTarget); err != nil {
		t.Fatal(err)
	}
	if inTarget != source {
		t.Errorf("%d paths in the target, want %d", inTarget, source)
	}
	v := console(t, nil, "migration", "verify", id, "--dsn", d.alice)
	if v.code != 0 || !strings.Contains(v.stdout, "completed") {
		t.Errorf("migration verify: exit %d\n%s%s", v.code, v.stdout, v.stderr)
	}
	a := console(t, nil, "audit", "verify", "--dsn", d.alice)
	if a.code != 0 {
		t.Errorf("audit verify: exit %d\n%s%s", a.code, a.stdout, a.stderr)
	}
}
