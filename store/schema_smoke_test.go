package store_test

import (
	"context"
	"testing"

	"github.com/plings/walletconsole/store/pgtest"
)

func TestSchemaApplies(t *testing.T) {
	db := pgtest.Open(t)
	var n int
	if err := db.Pool().QueryRow(context.Background(), "SELECT version FROM schema_version").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 7 {
		t.Fatalf("schema version %d", n)
	}
}
