package store_test

import (
	"context"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// activeWallet creates wallet v and walks it to active through the store, so
// every step has its audit row; Plings (1) and IKEA (2) are registered in it.
func activeWallet(t *testing.T, db *store.DB, v int) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateWallet(ctx, store.NewWallet{Version: v, Description: "test wallet"}, "tester"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed, model.StatusActive} {
		if err := db.SetStatus(ctx, v, s, store.Op{Type: "wallet_" + string(s), Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"Plings", "IKEA"} {
		if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: v, Index: i + 1, Name: name}, "tester"); err != nil {
			t.Fatal(err)
		}
	}
}

func mustExec(t *testing.T, db *store.DB, sql string, args ...any) {
	t.Helper()
	if _, err := db.Pool().Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func count(t *testing.T, db *store.DB, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
