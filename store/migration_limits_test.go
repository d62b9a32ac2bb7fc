package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
)

// A migration's own load limits (console migration start --max-load, 021):
// set with the start in its transaction and audited, only by the operator;
// every worker without a --max-load of its own throttles on them.
func TestMigrationOwnLoadLimits(t *testing.T) {
	name, owner := migrationFixture(t)
	alice := asAlice(t, name)
	ctx := context.Background()
	one := 1
	st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 2, "alice", store.MigrationLimits{MaxActive: &one})
	if err != nil {
		t.Fatal(err)
	}
	if st.LimitsSeq == 0 || st.LimitsSeq <= st.Seq {
		t.Errorf("start: %+v, want the limits' audit row after the start's", st)
	}
	if n := count(t, owner, `SELECT count(*) FROM wallet_operations_log WHERE seq = $1 AND operation_type = 'manufacturer_migration_limits'
		AND operation_details->>'max_active' = '1' AND NOT operation_details ? 'max_waiting'`, st.LimitsSeq); n != 1 {
		t.Errorf("the limits' audit row #%d is not there as written", st.LimitsSeq)
	}
	m, err := alice.MigrationByID(ctx, st.ID)
	if err != nil || m.MaxActive == nil || *m.MaxActive != 1 || m.MaxWaiting != nil {
		t.Fatalf("after the start: %+v %v", m, err)
	}

	// Only the operator sets them; nonsense and a finished migration are refused.
	for _, login := range []string{"viewer", "bob"} {
		refused(t, name, login, "SELECT wallet_migration_limits(1, 3, 0, NULL)", "permission denied for function wallet_migration_limits")
	}
	refused(t, name, "alice", "SELECT wallet_migration_limits(1, -1, 0, NULL)", "a load limit is a number of sessions from 0 (off) to 100000, not -1")
	refused(t, name, "alice", "SELECT wallet_migration_limits(1, 0, 200000, NULL)", "a load limit is a number of sessions from 0 (off) to 100000, not 200000")
	refused(t, name, "alice", "SELECT wallet_migration_limits(99, 3, 0, NULL)", "there is no migration #99")
	refused(t, name, "alice", "UPDATE manufacturer_migrations SET max_active = 0", "permission denied for table manufacturer_migrations")
	before := count(t, owner, "SELECT count(*) FROM wallet_operations_log")
	accepted(t, name, "alice", "SELECT wallet_migration_limits(1, NULL, 1, NULL)") // as they are: no audit row
	if after := count(t, owner, "SELECT count(*) FROM wallet_operations_log"); after != before {
		t.Errorf("setting the same limits wrote %d audit rows", after-before)
	}

	// Another session running a statement: the worker (no --max-load of its
	// own) holds back on the migration's active=1 and says so.
	busy, err := owner.Pool().Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Release()
	go func() { _, _ = busy.Exec(context.Background(), "SELECT pg_sleep(4)") }()
	time.Sleep(300 * time.Millisecond)
	run := func(w ops.MigrationWorker) string {
		wctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
		defer cancel()
		reason := ""
		w.ID, w.Poll = st.ID, 100*time.Millisecond
		w.OnEvent = func(e ops.WorkerEvent) {
			if e.Throttle != "" && reason == "" {
				reason = e.Throttle
				cancel()
			}
		}
		if err := ops.New(alice).RunMigrations(wctx, w); err != nil {
			t.Fatal(err)
		}
		return reason
	}
	if got := run(ops.MigrationWorker{MaxWaiting: 8}); !strings.Contains(got, "sessions running a statement (limit 1)") {
		t.Errorf("the worker with the migration's limits: throttle %q, want the migration's active=1", got)
	}
	// A worker's own --max-load comes first.
	if got := run(ops.MigrationWorker{MaxWaiting: 8, OwnLoad: true, MinBatch: 1, MaxBatch: 2}); got != "" {
		t.Errorf("the worker with its own limits throttled: %q", got)
	}
}
