package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 10, point 1: no console role may hold an advisory lock of its own
// (a viewer holding the audit chain's key stalled every write). Every
// advisory-lock function PostgreSQL has, whatever its arguments, is refused
// through psql to the viewer, the operator and the approver.
func TestConsoleRolesCannotTakeAdvisoryLocks(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool().Query(context.Background(), `SELECT p.proname, pg_get_function_identity_arguments(p.oid)
		FROM pg_proc p WHERE p.pronamespace = 'pg_catalog'::regnamespace AND p.proname LIKE 'pg%advisory%' ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string
	for rows.Next() {
		var fn, args string
		if err := rows.Scan(&fn, &args); err != nil {
			t.Fatal(err)
		}
		switch args {
		case "":
			calls = append(calls, fn+"()")
		case "bigint":
			calls = append(calls, fn+"(20251113)")
		case "integer, integer":
			calls = append(calls, fn+"(20251113, 1)")
		default:
			t.Errorf("advisory-lock function %s(%s): arguments this test does not know", fn, args)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// pg_advisory_lock, _shared, _xact_lock, _xact_lock_shared, pg_try_* of
	// each, unlock, unlock_shared (each bigint and int, int) and unlock_all.
	if len(calls) < 21 {
		t.Fatalf("only %d advisory-lock functions in pg_proc: %v", len(calls), calls)
	}
	for _, login := range []string{"viewer", "alice", "bob"} {
		for _, call := range calls {
			refused(t, name, login, "SELECT "+call, "permission denied for function")
		}
	}
}

// The schema's own locks still work for the console roles: the triggers that
// take them run as the owner. A later migration that replaces one of them
// without SECURITY DEFINER would break every write of an operator; this
// says so first.
func TestSchemaLocksRunAsTheOwner(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Pool().Query(context.Background(), `SELECT p.proname FROM pg_proc p
		WHERE p.pronamespace = 'public'::regnamespace AND p.prosrc ~ 'pg_(try_)?advisory' AND NOT p.prosecdef ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	invoker, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(invoker) > 0 {
		t.Errorf("functions of the schema that take advisory locks as their caller (need SECURITY DEFINER): %v", invoker)
	}
	activeWallet(t, db, 1)
	// Overlap and allocation locks, the audit chain, the request id's lock,
	// the two-person rule's lock, as the console roles.
	accepted(t, name, "alice", allocateFn(1, "2.4.4", "production"))
	accepted(t, name, "alice", "SELECT wallet_file_request(NULL, NULL, 'testing', 'capacity_expansion', NULL, NULL, 'more room', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'psql')")
	accepted(t, name, "bob", "SELECT wallet_decide_request((SELECT request_id FROM wallet_creation_requests LIMIT 1), 'security', 'approved', NULL, NULL)")
	if n := count(t, db, "SELECT count(*) FROM wallet_creation_approvals WHERE approver = 'bob'"); n != 1 {
		t.Errorf("bob's approval was not recorded")
	}
}

// holdLock opens a session of its own as the owner, runs sql in an open
// transaction and keeps it open until the test ends: a lock some other
// session holds.
func holdLock(t *testing.T, dsn, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tx.Rollback(ctx)
		_ = conn.Close(ctx)
	})
}

// Issue 10, point 1: a lock another session holds makes an operator's
// allocation or request fail within the lock timeout, in words the operator
// can act on, instead of hanging.
func TestHeldLockIsAClearErrorNotAHang(t *testing.T) {
	ctx := context.Background()
	name := pgtest.NewDatabase(t)
	owner, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close()
	activeWallet(t, owner, 1)

	const timeout = 300 * time.Millisecond
	alice, err := store.Open(ctx, store.Options{DSN: pgtest.DSNAs(t, name, "alice"), LockTimeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	var setting string
	if err := alice.Pool().QueryRow(ctx, "SHOW lock_timeout").Scan(&setting); err != nil || setting != "300ms" {
		t.Fatalf("lock_timeout of the session: %q %v, want 300ms", setting, err)
	}

	clear := func(what string, start time.Time, err error) {
		t.Helper()
		took := time.Since(start)
		var rule *store.RuleError
		if !errors.As(err, &rule) || rule.Code != "55P03" {
			t.Fatalf("%s under a held lock: %v (%T), want the lock-timeout refusal", what, err, err)
		}
		for _, want := range []string{"nothing was changed", "waited 300 ms for a lock another session holds",
			"try again, or find who holds it", "pg_stat_activity"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %q does not say %q", what, err, want)
			}
		}
		if took > 5*time.Second {
			t.Errorf("%s failed after %s, want within a few times the %s lock timeout", what, took, timeout)
		}
	}

	t.Run("a row lock on the wallet stops an allocation", func(t *testing.T) {
		holdLock(t, pgtest.DSN(t, name), "SELECT 1 FROM wallet_versions WHERE version_id = 1 FOR UPDATE")
		start := time.Now()
		_, err := alice.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.7", Type: "production", Quantity: 1, Actor: "alice"})
		clear("allocation", start, err)
	})
	t.Run("the audit chain's lock held by the owner stops a request", func(t *testing.T) {
		holdLock(t, pgtest.DSN(t, name), "SELECT pg_advisory_xact_lock(20251113, 1)")
		start := time.Now()
		_, err := alice.FileRequest(ctx, testingRequest(), "alice")
		clear("request", start, err)
	})
	t.Run("once the lock is gone the same change goes through", func(t *testing.T) {
		if _, err := alice.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.7", Type: "production", Quantity: 1, Actor: "alice"}); err != nil {
			t.Fatal(err)
		}
	})
}

// Every session has a statement_timeout too (default 30 s); the owner's
// long jobs lift it for their own connections and give it back.
func TestStatementTimeoutAndLongJobs(t *testing.T) {
	ctx := context.Background()
	name := pgtest.NewDatabase(t)
	def, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	var lock, stmt string
	if err := def.Pool().QueryRow(ctx, "SELECT current_setting('lock_timeout'), current_setting('statement_timeout')").Scan(&lock, &stmt); err != nil {
		t.Fatal(err)
	}
	if lock != "5s" || stmt != "30s" {
		t.Errorf("default session limits: lock_timeout %s, statement_timeout %s; want 5s and 30s", lock, stmt)
	}
	activeWallet(t, def, 1)

	short, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name), StatementTimeout: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer short.Close()
	_, err = short.Pool().Exec(ctx, "SELECT pg_sleep(0.5)")
	if err == nil {
		t.Fatal("a 500 ms statement ran under a 20 ms statement_timeout")
	}
	// A bulk job runs past the limit: 20,000 paths take far longer than 20 ms.
	res, err := short.GeneratePaths(ctx, 1, 20000, 7)
	if err != nil {
		t.Fatalf("GeneratePaths under a 20 ms statement_timeout: %v", err)
	}
	if res.Rows != 20000 {
		t.Errorf("generated %d rows, want 20000", res.Rows)
	}
	if _, err := short.Migrate(ctx); err != nil {
		t.Fatalf("Migrate under a 20 ms statement_timeout: %v", err)
	}
	// And every connection got its limit back.
	for i := 0; i < 8; i++ {
		if err := short.Pool().QueryRow(ctx, "SHOW statement_timeout").Scan(&stmt); err != nil || stmt != "20ms" {
			t.Errorf("after the long jobs a connection's statement_timeout is %q (%v), want 20ms", stmt, err)
		}
	}
}

// The statement timeout's refusal says what happened.
func TestStatementTimeoutMessage(t *testing.T) {
	ctx := context.Background()
	name := pgtest.NewDatabase(t)
	db, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name), StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holdLock(t, pgtest.DSN(t, name), "LOCK TABLE wallet_versions IN ACCESS EXCLUSIVE MODE")
	// The lock timeout (5 s) is longer than the statement timeout here, so
	// it is the statement's limit that ends the wait.
	start := time.Now()
	_, err = db.Inventory(ctx)
	var rule *store.RuleError
	if !errors.As(err, &rule) || rule.Code != "57014" || !strings.Contains(err.Error(), "stopped the statement after 100 ms") ||
		!strings.Contains(err.Error(), "nothing was changed") {
		t.Fatalf("inventory under a held table lock and a 100 ms statement_timeout: %v (%T)", err, err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("it took %s", took)
	}
}
