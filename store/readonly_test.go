package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// A read-only console's own pool refuses every write, by whatever path it
// comes: plain SQL, the store's allocation, a function that writes.
func TestReadOnlyPoolRefusesWrites(t *testing.T) {
	name := pgtest.NewDatabase(t)
	ctx := context.Background()
	rw, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer rw.Close()
	activeWallet(t, rw, 1)
	// As the operator, who may write all of these: only the session's
	// read-only default stands in the way.
	ro, err := store.Open(ctx, store.Options{DSN: pgtest.DSNAs(t, name, "alice"), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if !ro.ReadOnly() || rw.ReadOnly() {
		t.Fatalf("ReadOnly() = %v for the read-only DB, %v for the other", ro.ReadOnly(), rw.ReadOnly())
	}
	rows := func() int {
		return count(t, rw, `SELECT (SELECT count(*) FROM path_registry) + (SELECT count(*) FROM wallet_operations_log)
			+ (SELECT count(*) FROM organizations) + (SELECT count(*) FROM pg_largeobject_metadata)`)
	}
	before := rows()

	// Several statements, so that more than one pooled connection is used.
	for _, sql := range []string{
		"INSERT INTO organizations (name, type) VALUES ('Mallory AB', 'Company')",
		"INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (1, '2.7', 'test', 1, '" + store.SystemUserID + "')",
		"UPDATE wallet_versions SET description = 'x'",
		// The operator's own way to write (013): the functions.
		"SELECT wallet_allocate_path(1, '2.8', 'test', 1, 1, 1, NULL, '" + store.SystemUserID + "', NULL, 'ro')",
	} {
		_, err := ro.Pool().Exec(ctx, sql)
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "25006" {
			t.Errorf("read-only pool ran %q: %v; want SQLSTATE 25006", sql, err)
		}
		if got := store.Explain(err); !errors.Is(got, store.ErrReadOnly) {
			t.Errorf("%q: explained as %v; want ErrReadOnly", sql, got)
		}
	}
	// PostgreSQL 15 lets lo_create write in a read-only transaction: it is
	// 007's REVOKE that keeps console roles from it.
	if _, err := ro.Pool().Exec(ctx, "SELECT lo_create(0)"); err == nil {
		t.Errorf("a read-only operator session created a large object")
	}
	_, err = ro.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.8", Type: "test", Quantity: 1})
	if !errors.Is(err, store.ErrReadOnly) || !strings.Contains(err.Error(), "this console is read-only (--read-only): nothing was changed") {
		t.Errorf("allocation through a read-only DB: %v", err)
	}
	if err := ro.Record(ctx, store.Op{Type: "check"}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("audit row through a read-only DB: %v", err)
	}
	if err := ro.SetStatus(ctx, 1, "inactive", store.Op{Type: "wallet_deactivation"}); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("status change through a read-only DB: %v", err)
	}
	if after := rows(); after != before {
		t.Errorf("the read-only console changed %d rows", after-before)
	}
	// Reading works.
	if _, err := ro.Inventory(ctx); err != nil {
		t.Errorf("inventory through a read-only DB: %v", err)
	}
	if err := ro.EnsureSchema(ctx); err != nil {
		t.Errorf("EnsureSchema on an up-to-date database, read-only: %v", err)
	}
}

// A read-only console does not migrate: it says what to run instead.
func TestReadOnlyDoesNotMigrate(t *testing.T) {
	ctx := context.Background()
	c := pgtest.Cluster(t)
	name := pgtest.NewDatabase(t)
	// An empty database: drop the cloned schema by making a fresh one.
	admin, err := store.Open(ctx, store.Options{DSN: c.DSN("postgres")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	empty := name + "_empty"
	if _, err := admin.Pool().Exec(ctx, "CREATE DATABASE "+empty); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Pool().Exec(ctx, "DROP DATABASE IF EXISTS "+empty+" WITH (FORCE)") })
	ro, err := store.Open(ctx, store.Options{DSN: c.DSN(empty), ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	err = ro.EnsureSchema(ctx)
	if err == nil || !strings.Contains(err.Error(), "read-only (--read-only): run `console migrate` first") {
		t.Errorf("EnsureSchema on an empty database, read-only: %v", err)
	}
	var n int
	if err := ro.Pool().QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil || n != 0 {
		t.Errorf("read-only EnsureSchema created %d tables (%v)", n, err)
	}
}
