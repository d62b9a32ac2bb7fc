package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// migrationFixture: v1 and v2 active (Plings and IKEA in both), Volvo (3)
// in v2 with paths of every age, Lego (4) in v2 whose index v1 gives to
// Bosch, v3 only created. Returns the database's name and the store.
func migrationFixture(t *testing.T) (string, *store.DB) {
	t.Helper()
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	activeWallet(t, db, 1)
	activeWallet(t, db, 2)
	ctx := context.Background()
	for _, m := range []store.NewManufacturer{{Wallet: 2, Index: 3, Name: "Volvo"}, {Wallet: 2, Index: 4, Name: "Lego"},
		{Wallet: 1, Index: 4, Name: "Bosch"}} {
		if err := db.RegisterManufacturer(ctx, m, "tester"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateWallet(ctx, store.NewWallet{Version: 3, Description: "not active"}, "tester"); err != nil {
		t.Fatal(err)
	}
	// Volvo in v2: 3 paths from the last 30 days, 2 from 30-90 days ago, 4
	// older, and one exhausted (not live: never queued).
	mustExec(t, db, `INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by, allocated_at, status)
		SELECT 2, '3.' || g, 'production', 10, '00000000-0000-0000-0000-000000000000',
		       now() - CASE WHEN g <= 3 THEN interval '1 day' * g WHEN g <= 5 THEN interval '40 days' * (g - 3)
		                    ELSE interval '100 days' * g END,
		       CASE WHEN g = 10 THEN 'exhausted' ELSE 'active' END
		  FROM generate_series(1, 10) g`)
	return name, db
}

// The plan's facts: priorities by age, complexity, business priority.
func TestMigrationAssessment(t *testing.T) {
	_, db := migrationFixture(t)
	as, err := db.MigrationAssessments(context.Background(), 2)
	if err != nil {
		t.Fatal(err)
	}
	var volvo *store.MigrationAssessment
	for i := range as {
		if as[i].Name == "Volvo" {
			volvo = &as[i]
		}
	}
	if volvo == nil {
		t.Fatalf("no Volvo in %+v", as)
	}
	if volvo.LivePaths != 9 || volvo.ActivePaths != 9 || volvo.Identifiers != 90 || volvo.RecentAllocations != 3 ||
		volvo.QueueHigh != 3 || volvo.QueueMedium != 2 || volvo.QueueLow != 4 {
		t.Errorf("Volvo: %+v", *volvo)
	}
	if volvo.Complexity != "low" || volvo.BusinessPriority != "high" || volvo.Index != 3 {
		t.Errorf("Volvo: complexity %s, priority %s, index %d", volvo.Complexity, volvo.BusinessPriority, volvo.Index)
	}
}

// Each refusal, through psql as the operator; none writes anything.
func TestMigrationStartRefusals(t *testing.T) {
	name, db := migrationFixture(t)
	writes := func() int {
		return count(t, db, `SELECT (SELECT count(*) FROM manufacturer_registry) + (SELECT count(*) FROM manufacturer_lineage)
			+ (SELECT count(*) FROM path_migration_queue) + (SELECT count(*) FROM manufacturer_migrations)
			+ (SELECT count(*) FROM wallet_operations_log)`)
	}
	before := writes()
	for _, c := range []struct{ sql, want string }{
		{"SELECT wallet_migration_start(2, 3, 'Volvo', 'test', 5000, NULL)", "v3 is created: paths are moved only into an active wallet"},
		{"SELECT wallet_migration_start(2, 1, 'Lego', 'test', 5000, NULL)", "index 4 is taken in v1 by Bosch"},
		{"SELECT wallet_migration_start(2, 1, 'IKEA', 'test', 5000, NULL)", "IKEA is already registered in v1"},
		{"SELECT wallet_migration_start(2, 1, 'Scania', 'test', 5000, NULL)", "Scania is not registered in v2"},
		{"SELECT wallet_migration_start(2, 2, 'Volvo', 'test', 5000, NULL)", "the source and the target are the same wallet"},
		{"SELECT wallet_migration_start(2, 9, 'Volvo', 'test', 5000, NULL)", "there is no wallet v9"},
		{"SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 0, NULL)", "a batch of 0 paths"},
	} {
		refused(t, name, "alice", c.sql, c.want)
	}
	// An open incident on either wallet.
	for _, v := range []int{1, 2} {
		mustExec(t, db, "INSERT INTO incidents (wallet_version, severity, title) VALUES ($1, 'high', 'HSM latency')", v)
		before = writes()
		refused(t, name, "alice", "SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 5000, NULL)", "on v"+string(rune('0'+v))+" is open (high, HSM latency)")
		mustExec(t, db, "UPDATE incidents SET status = 'resolved', resolved_at = now()")
	}
	if after := writes(); after != before {
		t.Errorf("refused starts wrote %d rows", after-before)
	}
	// A failure after the registry, lineage and queue rows are written (the
	// migration's row refused by a trigger the test puts there) leaves none
	// of them: the start is one transaction.
	mustExec(t, db, `CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS
		$$BEGIN RAISE EXCEPTION 'the test refuses the migration row'; END$$`)
	mustExec(t, db, "CREATE TRIGGER test_refuse BEFORE INSERT ON manufacturer_migrations FOR EACH ROW EXECUTE FUNCTION test_refuse()")
	refused(t, name, "alice", "SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 5000, NULL)", "the test refuses the migration row")
	if after := writes(); after != before {
		t.Errorf("a start that failed at its last step left %d rows", after-before)
	}
	mustExec(t, db, "DROP TRIGGER test_refuse ON manufacturer_migrations")
	// Neither the viewer nor the approver may start one; both may read the plan.
	for _, login := range []string{"viewer", "bob"} {
		refused(t, name, login, "SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 5000, NULL)", "permission denied for function wallet_migration_start")
		accepted(t, name, login, "SELECT * FROM wallet_migration_refusals(2, 1, 'Volvo')")
		accepted(t, name, login, "SELECT * FROM wallet_migration_assessment(2, NULL)")
	}
	// No table grant came with it.
	for _, login := range []string{"viewer", "alice", "bob"} {
		refused(t, name, login, "INSERT INTO path_migration_queue (source_wallet_version, target_wallet_version, manufacturer_name, base_path, priority) VALUES (2, 1, 'Volvo', '3.1', 'high')", "permission denied")
		refused(t, name, login, "UPDATE manufacturer_migrations SET state = 'completed'", "permission denied")
	}
}

// The start as the operator: the seed's rows, the queue's priorities by
// age, and a second start of the same manufacturer refused.
func TestMigrationStart(t *testing.T) {
	name, db := migrationFixture(t)
	accepted(t, name, "alice", "SELECT * FROM wallet_migration_start(2, 1, 'Volvo', 'wallet_deprecation', 2000, 'alice starts Volvo')")
	if n := count(t, db, `SELECT count(*) FROM manufacturer_registry WHERE wallet_version = 1 AND manufacturer_index = 3
		AND manufacturer_name = 'Volvo' AND status = 'migrating' AND migrated_from_wallet = 2`); n != 1 {
		t.Errorf("target registry rows: %d", n)
	}
	if n := count(t, db, `SELECT count(*) FROM manufacturer_registry WHERE wallet_version = 2 AND manufacturer_name = 'Volvo' AND status = 'migrating'`); n != 1 {
		t.Errorf("source registry row not migrating")
	}
	if n := count(t, db, `SELECT count(*) FROM manufacturer_lineage WHERE canonical_name = 'Volvo' AND current_wallet_version = 1
		AND current_manufacturer_index = 3 AND predecessor_wallet = 2 AND migration_status = 'in_progress'
		AND migration_completion_percentage = 0`); n != 1 {
		t.Errorf("lineage rows: %d", n)
	}
	// Priority by age, each row against its path's allocation time; high
	// first, then medium, then low (the order the engine moves them in).
	rows, err := db.Pool().Query(context.Background(), `SELECT q.base_path, q.priority, q.phase,
		CASE WHEN p.allocated_at > now() - interval '30 days' THEN 'high'
		     WHEN p.allocated_at > now() - interval '90 days' THEN 'medium' ELSE 'low' END
		FROM path_migration_queue q JOIN path_registry p ON p.wallet_version = 2 AND p.base_path = q.base_path
		WHERE q.source_wallet_version = 2 AND q.target_wallet_version = 1 AND q.migration_status = 'queued' ORDER BY q.id`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var path, prio, want string
		var phase int
		if err := rows.Scan(&path, &prio, &phase, &want); err != nil {
			t.Fatal(err)
		}
		if prio != want || phase != map[string]int{"high": 1, "medium": 2, "low": 3}[prio] {
			t.Errorf("%s queued %s phase %d; allocated when it is %s", path, prio, phase, want)
		}
		got = append(got, prio)
	}
	if strings.Join(got, " ") != "high high high medium medium low low low low" {
		t.Errorf("queue order: %v", got)
	}
	if n := count(t, db, `SELECT count(*) FROM manufacturer_migrations WHERE manufacturer_name = 'Volvo' AND source_wallet_version = 2
		AND target_wallet_version = 1 AND state = 'running' AND phase = 1 AND total_phases = 3 AND batch_size = 2000
		AND priority = 'high' AND complexity = 'low'`); n != 1 {
		t.Errorf("migration rows: %d", n)
	}
	if n := count(t, db, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'manufacturer_migration_started'
		AND wallet_version = 1 AND operation_status = 'in_progress' AND db_user = 'alice'
		AND (operation_details->>'total_paths_queued')::int = 9 AND (operation_details->>'source_wallet')::int = 2`); n != 1 {
		t.Errorf("audit rows: %d", n)
	}
	// In flight: a second start, to the same or another wallet, is refused.
	refused(t, name, "alice", "SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 5000, NULL)", "a migration of Volvo is already in flight")
}

// Two operators start at once: the same manufacturer to two wallets, and
// two manufacturers with the same index into one wallet. The second start
// of each pair waits for the first (the wallets' rows) and is then refused
// on what the first wrote, never a duplicate key error or a second queue.
func TestMigrationStartsAtOnce(t *testing.T) {
	name, db := migrationFixture(t)
	activeWallet(t, db, 4)
	activeWallet(t, db, 5)
	if err := db.RegisterManufacturer(context.Background(), store.NewManufacturer{Wallet: 5, Index: 4, Name: "Scania"}, "tester"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	connect := func() *pgx.Conn {
		c, err := pgx.Connect(ctx, pgtest.DSNAs(t, name, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close(ctx) })
		return c
	}
	for _, c := range []struct {
		first, second, want string
	}{
		{"SELECT wallet_migration_start(2, 1, 'Volvo', 'test', 5000, NULL)",
			"SELECT wallet_migration_start(2, 4, 'Volvo', 'test', 5000, NULL)", "a migration of Volvo is already in flight"},
		{"SELECT wallet_migration_start(2, 4, 'Lego', 'test', 5000, NULL)",
			"SELECT wallet_migration_start(5, 4, 'Scania', 'test', 5000, NULL)", "index 4 is taken in v4 by Lego"},
	} {
		a, b := connect(), connect()
		tx, err := a.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, c.first); err != nil {
			t.Fatalf("%s: %v", c.first, err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := b.Exec(ctx, c.second)
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("%s did not wait for the first start: %v", c.second, err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		err = <-done
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s after the first committed: %v; want %q", c.second, err, c.want)
		}
	}
}
