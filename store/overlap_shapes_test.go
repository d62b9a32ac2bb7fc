package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/store"
)

// overlapShapes inserts, in wallet 1 and next to a live path of it, one
// path of every shape the overlap rule knows, each alone and in the
// statement forms the rule must survive (a multi-row INSERT, a CTE, two
// overlapping rows in one statement), and a revived path; each in its own
// transaction, rolled back. Every overlapping one must be refused and the
// sibling (the control) taken.
func overlapShapes(t testing.TB, db *store.DB) {
	t.Helper()
	ctx := context.Background()
	var live string
	// A live path of depth 3 or more, from the middle of the wallet.
	if err := db.Pool().QueryRow(ctx, `SELECT base_path FROM path_registry WHERE wallet_version = 1
		AND status = 'active' AND base_path ~ '^[0-9]+\.[0-9]+\.' ORDER BY wallet_version, base_path OFFSET 500 LIMIT 1`).Scan(&live); err != nil {
		t.Fatalf("a live path to test next to: %v", err)
	}
	parent := live[:strings.LastIndex(live, ".")]
	row := func(p string) string {
		return fmt.Sprintf("(1, '%s', 'production', 1, '%s')", p, store.SystemUserID)
	}
	ins := "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES "
	cases := []struct {
		shape, sql string
		refused    bool
	}{
		{"ancestor of a live path", ins + row(parent), true},
		{"descendant of a live path", ins + row(live+".7"), true},
		{"the live path itself", ins + row(live), true},
		{"sibling (the control)", ins + row(parent+".2000000001"), false},
		{"multi-row, the last row a descendant", ins + row(parent+".2000000002") + ", " + row(live+".1.1"), true},
		{"multi-row, two new rows overlapping each other", ins + row(parent+".2000000003") + ", " + row(parent+".2000000003.4"), true},
		{"CTE, an ancestor", "WITH x AS (" + ins + row(parent) + " RETURNING 1) SELECT count(*) FROM x", true},
		{"revived: a path made live again over a live descendant",
			"UPDATE path_registry SET status = 'exhausted' WHERE wallet_version = 1 AND base_path = '" + live + "'; " +
				ins + row(live+".5") + "; UPDATE path_registry SET status = 'active' WHERE wallet_version = 1 AND base_path = '" + live + "'", true},
	}
	for _, c := range cases {
		err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
			for _, stmt := range strings.Split(c.sql, "; ") {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			return errRollback
		})
		switch {
		case c.refused && (err == errRollback || err == nil):
			t.Errorf("%s next to %s: taken, want refused", c.shape, live)
		case c.refused && !strings.Contains(err.Error(), "overlaps") && !strings.Contains(err.Error(), "unique_base_path_per_wallet"):
			t.Errorf("%s: refused for another reason: %v", c.shape, err)
		case !c.refused && err != errRollback:
			t.Errorf("%s: %v, want taken", c.shape, err)
		}
	}
}

var errRollback = fmt.Errorf("rolled back on purpose")

// Every shape on a small wallet (make bench runs them at 1 M and 10 M).
func TestOverlapShapes(t *testing.T) {
	_, db := migrationFixture(t)
	ctx := context.Background()
	if _, err := db.GeneratePaths(ctx, 1, 20000, 1); err != nil {
		t.Fatal(err)
	}
	overlapShapes(t, db)
}

// Every shape next to a path in the middle of 1 M and 10 M generated paths
// (make bench): the refusals must not depend on the plans the size brings.
func benchOverlapShapes(b *testing.B, paths int) {
	db := benchDB(b, paths)
	for i := 0; i < b.N; i++ {
		overlapShapes(b, db)
	}
}

func BenchmarkOverlapShapes1M(b *testing.B)  { benchOverlapShapes(b, 1_000_000) }
func BenchmarkOverlapShapes10M(b *testing.B) { benchOverlapShapes(b, 10_000_000) }
