package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// alice's store: the operator's login, as the worker runs it.
func asAlice(t *testing.T, name string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSNAs(t, name, "alice")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// runBatches calls the batch until the direction ends or stop batches ran.
func runBatches(t *testing.T, db *store.DB, id int64, size, stop int) store.BatchResult {
	t.Helper()
	var r store.BatchResult
	for i := 0; i < stop; i++ {
		var err error
		r, err = db.MigrationBatch(context.Background(), id, size, "test worker")
		if err != nil {
			t.Fatal(err)
		}
		if r.State != "running" && r.State != "rolling_back" {
			return r
		}
	}
	return r
}

// The whole forward path through the operator's login: batches move the
// queue in priority order, allocation in the source is sent to the target,
// an allocation in the target that overlaps a path not yet moved is
// refused, verify completes it, and the audit chain holds.
func TestMigrationEngineForward(t *testing.T) {
	name, owner := migrationFixture(t)
	alice := asAlice(t, name)
	ctx := context.Background()
	st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 3, "alice", store.MigrationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	// The source's namespace takes nothing now; the target checks both.
	refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(2, '3.77', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"Volvo (index 3) is being moved to v1: new paths under it are allocated in v1")
	refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3.9.1', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"path 3.9.1 overlaps 3.9 in wallet v2, from which Volvo is being moved here")
	refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"path 3 overlaps 3.1 in wallet v2")
	refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3.10', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"path 3.10 overlaps 3.10 in wallet v2") // exhausted in v2: the same path is not allocated twice
	// A login that sets the engine's switch by hand gains nothing.
	refused(t, name, "alice", "SET wallet.engine = 'on'; SELECT * FROM wallet_allocate_path(1, '3.9.1', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"overlaps 3.9 in wallet v2")
	// The engine's rows skip the guard (020's WHEN): a login with the switch
	// on still cannot write a row itself, nor turn the per-row checks off as
	// the engine's batch does (session_replication_role is the owner's).
	for _, login := range []string{"viewer", "alice", "bob"} {
		refused(t, name, login, "SET wallet.engine = 'on'; UPDATE path_registry SET status = 'active' WHERE wallet_version = 1",
			"permission denied for table path_registry")
		refused(t, name, login, "SET wallet.engine = 'on'; INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_range_end, allocated_by) VALUES (1, '3.9.1', 'production', 1, 1, '00000000-0000-0000-0000-000000000000')",
			"permission denied for table path_registry")
		refused(t, name, login, "SET session_replication_role = replica", "permission denied to set parameter")
	}
	accepted(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3.11', 'production', 5, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)")

	r := runBatches(t, alice, st.ID, 3, 1)
	if r.Moved != 3 || r.BatchNo != 1 || r.Remaining != 6 {
		t.Fatalf("first batch: %+v", r)
	}
	// The three newest (high) first.
	if n := count(t, owner, `SELECT count(*) FROM path_registry WHERE wallet_version = 1 AND migrated_from_wallet = 2
		AND base_path IN ('3.1', '3.2', '3.3') AND status = 'active'`); n != 3 {
		t.Errorf("first batch moved %d of the high paths", n)
	}
	if n := count(t, owner, `SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND base_path IN ('3.1', '3.2', '3.3')
		AND status = 'migrated' AND migrated_to_wallet = 1 AND migrated_at IS NOT NULL`); n != 3 {
		t.Errorf("source rows marked: %d", n)
	}
	// A verify in flight reports nothing wrong and completes nothing.
	v, err := alice.VerifyMigration(ctx, st.ID, "")
	if err != nil || v.FindingCount != 0 || v.Completed {
		t.Fatalf("verify in flight: %+v %v", v, err)
	}
	r = runBatches(t, alice, st.ID, 3, 10)
	if r.State != "moved" || r.Remaining != 0 {
		t.Fatalf("after the batches: %+v", r)
	}
	if n := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND manufacturer_index = 3 AND status IN ('active', 'migrating')"); n != 0 {
		t.Errorf("%d paths left live in the source", n)
	}
	v, err = alice.VerifyMigration(ctx, st.ID, "")
	if err != nil || v.FindingCount != 0 || !v.Completed || v.State != "completed" {
		t.Fatalf("verify at 100 %%: %+v %v", v, err)
	}
	if n := count(t, owner, `SELECT count(*) FROM manufacturer_registry WHERE (wallet_version = 1 AND manufacturer_index = 3 AND status = 'active')
		OR (wallet_version = 2 AND manufacturer_index = 3 AND status = 'migrated')`); n != 2 {
		t.Errorf("registry after completion: %d rows right", n)
	}
	if n := count(t, owner, `SELECT count(*) FROM manufacturer_lineage WHERE canonical_name = 'Volvo' AND migration_status = 'completed'
		AND migration_completion_percentage = 100`); n != 1 {
		t.Error("lineage not completed")
	}
	if n := count(t, owner, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'path_migration_batch' AND db_user = 'alice'"); n != 3 {
		t.Errorf("%d batch audit rows, want 3", n)
	}
	// Every check of the chain still passes.
	rep, err := owner.VerifyAudit(ctx)
	if err != nil || !rep.OK {
		t.Errorf("audit chain: %+v %v", rep, err)
	}
	// Completed: the source's namespace still sends allocations on.
	refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(2, '3.77', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
		"Volvo (index 3) has moved to v1")

	// Tampering after the fact is found: a copy changed, a copy gone.
	mustExec(t, owner, "UPDATE path_registry SET quantity = 11, allocated_range_end = 11 WHERE wallet_version = 1 AND base_path = '3.4'")
	mustExec(t, owner, "DELETE FROM path_registry WHERE wallet_version = 1 AND base_path = '3.6'")
	v, err = alice.VerifyMigration(ctx, st.ID, "")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string][]string{}
	for _, f := range v.Findings {
		kinds[f.Kind] = f.Keys
	}
	if strings.Join(kinds["different in the target"], ",") != "3.4" || strings.Join(kinds["missing in the target"], ",") != "3.6" ||
		strings.Join(kinds["batch checksum differs"], ",") != "batch 2" {
		t.Errorf("tampering found: %+v", v.Findings)
	}
}

// Rollback after some batches and after completion: every moved path back
// in the source exactly once, paths allocated in the target under the
// namespace since the start go to the source too, and the registry and
// lineage are as before.
func TestMigrationEngineRollback(t *testing.T) {
	for _, after := range []string{"partial", "completed"} {
		t.Run(after, func(t *testing.T) {
			name, owner := migrationFixture(t)
			alice := asAlice(t, name)
			ctx := context.Background()
			before := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND manufacturer_index = 3 AND status = 'active'")
			st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 2, "alice", store.MigrationLimits{})
			if err != nil {
				t.Fatal(err)
			}
			runBatches(t, alice, st.ID, 2, 2)
			accepted(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3.20.1', 'production', 5, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)")
			if after == "completed" {
				runBatches(t, alice, st.ID, 2, 20)
				if v, err := alice.VerifyMigration(ctx, st.ID, ""); err != nil || !v.Completed {
					t.Fatalf("verify: %+v %v", v, err)
				}
			}
			refused(t, name, "viewer", "SELECT wallet_migration_rollback("+itoa(int(st.ID))+", 'x', NULL)", "permission denied")
			if _, err := alice.RollbackMigration(ctx, st.ID, "", ""); err == nil || !strings.Contains(err.Error(), "needs a reason") {
				t.Errorf("rollback without a reason: %v", err)
			}
			if _, err := alice.RollbackMigration(ctx, st.ID, "the target's HSM is slow", ""); err != nil {
				t.Fatal(err)
			}
			// Now the target sends allocations back; the source checks the target.
			refused(t, name, "alice", "SELECT * FROM wallet_allocate_path(1, '3.30', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)",
				"is being moved to v2")
			r := runBatches(t, alice, st.ID, 2, 40)
			if r.State != "rolled_back" {
				t.Fatalf("rollback ended %+v", r)
			}
			if n := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 1 AND manufacturer_index = 3"); n != 0 {
				t.Errorf("%d of Volvo's paths left in v1", n)
			}
			if n := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND manufacturer_index = 3 AND status = 'active'"); n != before+1 {
				t.Errorf("%d active in v2, want %d (the queued ones and the one allocated in v1)", n, before+1)
			}
			if n := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND base_path = '3.20.1' AND migrated_from_wallet = 1"); n != 1 {
				t.Error("the path allocated in v1 during the migration is not in v2")
			}
			if n := count(t, owner, `SELECT count(*) FROM manufacturer_registry WHERE manufacturer_name = 'Volvo'`); n != 1 {
				t.Errorf("Volvo registered %d times after the rollback", n)
			}
			if n := count(t, owner, `SELECT count(*) FROM manufacturer_registry WHERE manufacturer_name = 'Volvo' AND wallet_version = 2
				AND status = 'active' AND allocations_go_to IS NULL AND overlap_also_in IS NULL`); n != 1 {
				t.Error("v2's row not restored")
			}
			if n := count(t, owner, `SELECT count(*) FROM manufacturer_lineage WHERE canonical_name = 'Volvo' AND current_wallet_version = 2
				AND migration_status = 'rolled_back'`); n != 1 {
				t.Error("lineage not restored")
			}
			v, err := alice.VerifyMigration(ctx, st.ID, "")
			if err != nil || v.FindingCount != 0 {
				t.Errorf("verify after the rollback: %+v %v", v, err)
			}
			if _, err := alice.RollbackMigration(ctx, st.ID, "again", ""); err == nil || !strings.Contains(err.Error(), "rolled back already") {
				t.Errorf("a second rollback: %v", err)
			}
			accepted(t, name, "alice", "SELECT * FROM wallet_allocate_path(2, '3.40', 'production', 1, 1, NULL, NULL, '00000000-0000-0000-0000-000000000000', NULL, NULL)")
		})
	}
}

// The controls' refusals, and a rollback once the source is retired.
func TestMigrationControlRefusals(t *testing.T) {
	name, owner := migrationFixture(t)
	alice := asAlice(t, name)
	ctx := context.Background()
	st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 2, "alice", store.MigrationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.PauseMigration(ctx, st.ID, "night freeze", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.PauseMigration(ctx, st.ID, "again", ""); err == nil || !strings.Contains(err.Error(), "is already paused") ||
		!strings.Contains(err.Error(), "night freeze") {
		t.Errorf("pause of a paused migration: %v", err)
	}
	if r, err := alice.MigrationBatch(ctx, st.ID, 5, ""); err != nil || r.Moved != 0 || r.State != "paused" {
		t.Errorf("a batch while paused: %+v %v", r, err)
	}
	if _, err := alice.ResumeMigration(ctx, st.ID, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.ResumeMigration(ctx, st.ID, "", ""); err == nil || !strings.Contains(err.Error(), "is running, not paused") {
		t.Errorf("resume of a running migration: %v", err)
	}
	if _, err := alice.ThrottleMigration(ctx, st.ID, "month-end close", nil, ""); err != nil {
		t.Fatal(err)
	}
	if r, err := alice.MigrationBatch(ctx, st.ID, 5, ""); err != nil || r.Moved != 0 || r.State != "throttled" {
		t.Errorf("a batch while throttled: %+v %v", r, err)
	}
	m, err := alice.MigrationByID(ctx, st.ID)
	if err != nil || m.ThrottleReason != "month-end close" || m.ThrottledBy != "operator" {
		t.Errorf("throttle shown: %+v %v", m, err)
	}
	if _, err := alice.ThrottleMigration(ctx, st.ID, "", nil, ""); err != nil {
		t.Fatal(err)
	}
	runBatches(t, alice, st.ID, 5, 10)
	if _, err := alice.PauseMigration(ctx, st.ID, "late", ""); err == nil || !strings.Contains(err.Error(), "is moved: there is nothing to pause") {
		t.Errorf("pause of a moved migration: %v", err)
	}
	// The source retired (as the owner: the wallet's own retirement is a
	// later issue): no rollback.
	mustExec(t, owner, "UPDATE wallet_versions SET status = 'deprecated' WHERE version_id = 2")
	mustExec(t, owner, "UPDATE wallet_versions SET status = 'retired' WHERE version_id = 2")
	if _, err := alice.RollbackMigration(ctx, st.ID, "too late", ""); err == nil ||
		!strings.Contains(err.Error(), "cannot be rolled back: its source v2 is retired") {
		t.Errorf("rollback with the source retired: %v", err)
	}
	if _, err := alice.PauseMigration(ctx, 99, "x", ""); err == nil || !strings.Contains(err.Error(), "there is no migration #99") {
		t.Errorf("pause of no migration: %v", err)
	}
	// Neither the viewer nor the approver drives a migration.
	for _, login := range []string{"viewer", "bob"} {
		for _, sql := range []string{"SELECT * FROM wallet_migration_batch(1, 10, NULL)", "SELECT wallet_migration_pause(1, 'x', NULL)",
			"SELECT wallet_migration_verify(1, NULL)", "SELECT wallet_migration_throttle(1, 'x', NULL, NULL)"} {
			refused(t, name, login, sql, "permission denied")
		}
	}
	// No console role writes the engine's tables.
	for _, login := range []string{"viewer", "alice", "bob"} {
		refused(t, name, login, "INSERT INTO migration_batches VALUES (1, 99, 'forward', 1, 0, '3.1', '3.1', 'x', now(), now(), 'me')", "permission denied")
		refused(t, name, login, "UPDATE manufacturer_registry SET allocations_go_to = NULL", "permission denied")
	}
}

// Acceptance 4: a rollback after 40 % and one after 100 % (completed)
// return every path to the source exactly once, and a migration started
// again after a rollback moves them all.
func TestMigrationRollbackAt40And100Percent(t *testing.T) {
	name, owner := migrationFixture(t)
	alice := asAlice(t, name)
	ctx := context.Background()
	// 5,000 paths of Volvo's besides the fixture's, every age.
	mustExec(t, owner, `INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by, allocated_at)
		SELECT 2, '3.100.' || g, 'production', 1, '00000000-0000-0000-0000-000000000000', now() - interval '1 day' * (g % 200)
		  FROM generate_series(1, 4991) g`)
	const total = 5000
	sourceRows := func() string {
		var s string
		if err := owner.Pool().QueryRow(ctx, `SELECT md5(string_agg(base_path || status || coalesce(migrated_to_wallet::text, '-'), ',' ORDER BY base_path))
			FROM path_registry WHERE wallet_version = 2 AND manufacturer_index = 3`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	before := sourceRows()
	for _, stop := range []string{"40%", "100%"} {
		st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 500, "alice", store.MigrationLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if st.Queued != total {
			t.Fatalf("queued %d, want %d", st.Queued, total)
		}
		if stop == "40%" {
			runBatches(t, alice, st.ID, 500, 4)
			m, _ := alice.MigrationByID(ctx, st.ID)
			if m.Moved != 2000 {
				t.Fatalf("moved %d at the 40 %% stop", m.Moved)
			}
		} else {
			runBatches(t, alice, st.ID, 500, 100)
			if v, err := alice.VerifyMigration(ctx, st.ID, ""); err != nil || !v.Completed {
				t.Fatalf("verify: %+v %v", v, err)
			}
		}
		if _, err := alice.RollbackMigration(ctx, st.ID, "rollback at "+stop, ""); err != nil {
			t.Fatal(err)
		}
		if r := runBatches(t, alice, st.ID, 500, 100); r.State != "rolled_back" {
			t.Fatalf("rollback at %s ended %+v", stop, r)
		}
		v, err := alice.VerifyMigration(ctx, st.ID, "")
		if err != nil || v.FindingCount != 0 {
			t.Fatalf("verify after the rollback at %s: %+v %v", stop, v, err)
		}
		if n := count(t, owner, "SELECT count(*) FROM path_registry WHERE wallet_version = 1 AND manufacturer_index = 3"); n != 0 {
			t.Errorf("rollback at %s: %d paths left in the target", stop, n)
		}
		if got := sourceRows(); got != before {
			t.Errorf("rollback at %s: the source's paths are not as they were", stop)
		}
		m, _ := alice.MigrationByID(ctx, st.ID)
		want := map[string]int64{"40%": 2000, "100%": total}[stop]
		if m.Returned != want || m.Moved != want {
			t.Errorf("rollback at %s: moved %d, returned %d, want %d each", stop, m.Moved, m.Returned, want)
		}
	}
}

// Several workers at once: never the same path in two batches, every path
// moved once, and the counters agree (verify).
// volvoMany gives Volvo (index 3 in v2) 6,000 more paths, 3.200.1 to
// 3.200.6000, allocated an hour apart (every priority): 6,009 to move.
func volvoMany(t *testing.T, owner *store.DB) {
	t.Helper()
	mustExec(t, owner, `INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by, allocated_at)
		SELECT 2, '3.200.' || g, 'production', 1, '00000000-0000-0000-0000-000000000000', now() - interval '1 hour' * g
		  FROM generate_series(1, 6000) g`)
}

func TestMigrationWorkersNeverShareABatch(t *testing.T) {
	name, owner := migrationFixture(t)
	volvoMany(t, owner)
	alice := asAlice(t, name)
	ctx := context.Background()
	st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 100, "alice", store.MigrationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		db := asAlice(t, name)
		go func() {
			for {
				r, err := db.MigrationBatch(ctx, st.ID, 100, "worker")
				if err != nil || (r.State != "running") {
					errs <- err
					return
				}
			}
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := count(t, owner, `SELECT count(*) FROM (SELECT base_path FROM path_migration_queue WHERE migration_id = $1
		GROUP BY base_path HAVING count(DISTINCT batch_no) <> 1) x`, st.ID); n != 0 {
		t.Errorf("%d paths in more or fewer than one batch", n)
	}
	if n := count(t, owner, "SELECT count(DISTINCT worker) FROM migration_batches WHERE migration_id = $1", st.ID); n < 2 {
		t.Errorf("the batches came from %d workers: the test did not run them side by side", n)
	}
	if n := count(t, owner, "SELECT sum(paths) FROM migration_batches WHERE migration_id = $1", st.ID); n != 6009 {
		t.Errorf("the batches moved %d paths, want 6009", n)
	}
	if v, err := alice.VerifyMigration(ctx, st.ID, ""); err != nil || !v.Completed {
		t.Errorf("verify: %+v %v", v, err)
	}
}
