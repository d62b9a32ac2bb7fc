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

// What PostgreSQL says when a path's manufacturer is not registered reaches
// the operator as which manufacturer, which wallet, and what to do: never
// its "Key (...)=(...) is not present in table" text.
func TestUnregisteredManufacturerInOperatorsWords(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 6)
	mustExec(t, db, "DELETE FROM manufacturer_registry WHERE wallet_version = 6 AND manufacturer_index = 2")
	want := "manufacturer 2 is not registered in v6: use a path under one of v6's manufacturers (console show v6 lists them) or allocate in a wallet where manufacturer 2 is registered"

	// The statement as PostgreSQL refuses it (no question asked first).
	_, err := db.Pool().Exec(ctx, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (6, '2.3', 'test', 1, '"+store.SystemUserID+"')")
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || pg.ConstraintName != "path_manufacturer_registered" {
		t.Fatalf("raw insert: %v; want the path_manufacturer_registered violation", err)
	}
	got := store.Explain(err)
	var me *store.ManufacturerError
	if !errors.As(got, &me) || got.Error() != want {
		t.Errorf("explained as %q; want %q", got, want)
	}
	// Through the store.
	_, err = db.AllocatePath(ctx, store.AllocationRequest{Wallet: 6, Path: "2.3", Type: "test", Quantity: 1})
	if err == nil || !strings.HasSuffix(err.Error(), want) {
		t.Errorf("AllocatePath: %v; want %q", err, want)
	}
	for _, leak := range []string{"Key (", "not present in table", "register the manufacturer first", "SQLSTATE"} {
		if err != nil && strings.Contains(err.Error(), leak) {
			t.Errorf("AllocatePath's error %q contains %q", err, leak)
		}
	}
}

// Allocate says which audit row it wrote.
func TestAllocateReturnsItsAuditRow(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 1)
	a, err := db.Allocate(ctx, store.AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 10, Actor: "tester"})
	if err != nil {
		t.Fatal(err)
	}
	var typ, path string
	if err := db.Pool().QueryRow(ctx, "SELECT operation_type, operation_details->>'base_path' FROM wallet_operations_log WHERE seq = $1", a.AuditSeq).Scan(&typ, &path); err != nil {
		t.Fatalf("audit row %d: %v", a.AuditSeq, err)
	}
	if typ != "path_allocation" || path != "2.3" {
		t.Errorf("audit row %d is %s for %s; want path_allocation for 2.3", a.AuditSeq, typ, path)
	}
}

// A server that does not answer is said in a few words, not pgconn's chain.
func TestUnansweringServerInFewWords(t *testing.T) {
	for dsn, want := range map[string]string{
		"host=127.0.0.1 port=1 user=x dbname=y connect_timeout=2": "nothing listens at that address (connection refused)",
		"host=/nonexistent/socket/dir user=x dbname=y":            "there is no server socket at that path",
	} {
		_, err := store.Open(context.Background(), store.Options{DSN: dsn})
		if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "dial error") {
			t.Errorf("%s: %v; want it to say %q", dsn, err, want)
		}
	}
}
