package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// Two consoles starting together on an empty database: tern's advisory lock
// makes one apply the schema and the other find it done.
func TestConcurrentMigrateAppliesOnce(t *testing.T) {
	c := pgtest.Cluster(t)
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE race_migrate"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Exec(context.Background(), "DROP DATABASE IF EXISTS race_migrate WITH (FORCE)") })

	var wg sync.WaitGroup
	results := make([]store.MigrateResult, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			db, err := store.Open(ctx, store.Options{DSN: c.DSN("race_migrate")})
			if err != nil {
				errs[i] = err
				return
			}
			defer db.Close()
			results[i], errs[i] = db.Migrate(ctx)
		}(i)
	}
	wg.Wait()
	applied := 0
	for i, err := range errs {
		if err != nil {
			t.Fatalf("console %d: %v", i, err)
		}
		applied += len(results[i].Applied)
		if results[i].To != results[0].To {
			t.Errorf("console %d ended at version %d, console 0 at %d", i, results[i].To, results[0].To)
		}
	}
	if applied != int(results[0].To) {
		t.Errorf("%d migration steps were applied in all, want each of the %d once", applied, results[0].To)
	}
}
