package store_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// 32 goroutines, each on its own connection, allocate random paths from a
// small, heavily overlapping space in one wallet. Whatever the interleaving,
// no two live paths may end up ancestor and descendant, and every refusal
// must be an overlap.
func TestConcurrentAllocationNeverOverlaps(t *testing.T) {
	name := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name) + " pool_max_conns=40"})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	activeWallet(t, db, 1)
	activeWallet(t, db, 2)

	const workers, perWorker = 32, 40
	var (
		wg           sync.WaitGroup
		mu           sync.Mutex
		ok, overlaps int
		other        []error
		start        = make(chan struct{})
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			// A connection of its own for this goroutine.
			conn, err := db.Pool().Acquire(ctx)
			if err != nil {
				mu.Lock()
				other = append(other, err)
				mu.Unlock()
				return
			}
			conn.Release()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			<-start
			for i := 0; i < perWorker; i++ {
				depth := 2 + rng.IntN(3)
				parts := []string{"2"}
				for d := 1; d < depth; d++ {
					parts = append(parts, fmt.Sprint(1+rng.IntN(4)))
				}
				_, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: strings.Join(parts, "."), Quantity: 10, Actor: fmt.Sprintf("worker-%d", w)})
				var ov *store.OverlapError
				mu.Lock()
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ov):
					overlaps++
				default:
					other = append(other, err)
				}
				mu.Unlock()
			}
		}(w)
	}
	close(start)
	wg.Wait()
	for _, err := range other {
		t.Errorf("refusal that is not an overlap: %v", err)
	}
	if ok == 0 || overlaps == 0 {
		t.Fatalf("allocated %d, refused %d: the test did not exercise both outcomes", ok, overlaps)
	}
	pairs := count(t, db, `SELECT count(*) FROM path_registry a JOIN path_registry b
		ON a.wallet_version = b.wallet_version AND b.base_path LIKE a.base_path || '.%'
		WHERE a.status IN ('active', 'migrating') AND b.status IN ('active', 'migrating')`)
	if pairs != 0 {
		t.Fatalf("%d ancestor/descendant pairs are live in one wallet", pairs)
	}
	if n := count(t, db, "SELECT count(*) FROM path_registry WHERE wallet_version = 1"); n != ok {
		t.Errorf("%d rows in path_registry, %d allocations reported", n, ok)
	}
	// The counters behind the inventory agree with the table.
	ws, err := db.Inventory(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ws[0].Paths != int64(ok) || ws[0].Identifiers != int64(10*ok) {
		t.Errorf("inventory says %d paths / %d identifiers, want %d / %d", ws[0].Paths, ws[0].Identifiers, ok, 10*ok)
	}
	// Each allocation wrote its audit row, and the chain holds under concurrency.
	if n := count(t, db, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'path_allocation'"); n != ok {
		t.Errorf("%d allocation audit rows, want %d", n, ok)
	}
	rep, err := db.VerifyAudit(ctx)
	if err != nil || !rep.OK {
		t.Errorf("audit chain after concurrent writes: %+v, %v", rep, err)
	}
	t.Logf("%d allocated, %d refused as overlaps", ok, overlaps)
}

func TestAllocationBadInputChangesNothing(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 1)
	if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.5", Quantity: 5}); err != nil {
		t.Fatal(err)
	}
	before := count(t, db, "SELECT count(*) FROM path_registry") + count(t, db, "SELECT count(*) FROM wallet_operations_log")
	long := strings.Repeat("2.", 29) + "22" // 60 characters
	cases := []struct {
		req  store.AllocationRequest
		want string
	}{
		{store.AllocationRequest{Wallet: 1, Path: "2..3", Quantity: 1}, "component 2 is empty"},
		{store.AllocationRequest{Wallet: 1, Path: "2.0.1", Quantity: 1}, "component 2"},
		{store.AllocationRequest{Wallet: 1, Path: "2.x", Quantity: 1}, `"x"`},
		{store.AllocationRequest{Wallet: 1, Path: long, Quantity: 1}, "60"},
		{store.AllocationRequest{Wallet: 99, Path: "2.3", Quantity: 1}, "wallet v99"},
		{store.AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 0}, "quantity"},
		{store.AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 1, Type: "bogus"}, `allocation type "bogus"`},
		{store.AllocationRequest{Wallet: 1, Path: "7.3", Quantity: 1}, "manufacturer 7 is not registered in v1: use a path under one of v1's manufacturers (console show v1 lists them)"},
		{store.AllocationRequest{Wallet: 1, Path: "2.5.1", Quantity: 1}, "path 2.5.1 overlaps 2.5 in wallet v1"},
		{store.AllocationRequest{Wallet: 1, Path: "2.5", Quantity: 1}, "path 2.5 is already allocated in wallet v1"},
	}
	for _, c := range cases {
		_, err := db.AllocatePath(ctx, c.req)
		if err == nil {
			t.Errorf("%+v was accepted", c.req)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %q does not mention %q", c.req, err, c.want)
		}
	}
	mustExec(t, db, "UPDATE path_registry SET status = 'retired' WHERE base_path = '2.5'")
	before = count(t, db, "SELECT count(*) FROM path_registry") + count(t, db, "SELECT count(*) FROM wallet_operations_log")
	if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.5", Quantity: 1}); err == nil ||
		!strings.Contains(err.Error(), "path 2.5 was allocated before in wallet v1 (now retired); a path is never reused") {
		t.Errorf("reusing a retired path: %v", err)
	}
	if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 99, Path: "2.3", Quantity: 1}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown wallet: %v is not ErrNotFound", err)
	}
	after := count(t, db, "SELECT count(*) FROM path_registry") + count(t, db, "SELECT count(*) FROM wallet_operations_log")
	if after != before {
		t.Errorf("refused allocations changed the database: %d rows before, %d after", before, after)
	}
}

func TestAllocationIntoRetiredWalletRefused(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 1)
	if err := db.SetStatus(ctx, 1, "deprecated", store.Op{Type: "wallet_deprecation"}); err != nil {
		t.Fatal(err)
	}
	_, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 1})
	if err == nil || !strings.Contains(err.Error(), "v1 is deprecated: it takes only allocations made by a migration") {
		t.Errorf("allocation in a deprecated wallet: %v", err)
	}
}

func TestUnansweringDSN(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"host=127.0.0.1 port=1 user=x password=s3cret dbname=y connect_timeout=2",
		"host=/nonexistent/socket/dir user=x dbname=y",
	} {
		_, err := store.Open(ctx, store.Options{DSN: dsn})
		if err == nil {
			t.Fatalf("%s: opened", dsn)
		}
		if !strings.Contains(err.Error(), "does not answer") {
			t.Errorf("%s: %v", dsn, err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("the password leaked into the error: %v", err)
		}
	}
}

// The inventory's counters follow inserts, status changes and deletes.
func TestCountersFollowEveryChange(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	activeWallet(t, db, 1)
	for _, p := range []string{"2.1", "2.2", "2.3"} {
		if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: p, Quantity: 10}); err != nil {
			t.Fatal(err)
		}
	}
	paths := func() (int64, int64) {
		ws, err := db.Inventory(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return ws[0].Paths, ws[0].Identifiers
	}
	if p, i := paths(); p != 3 || i != 30 {
		t.Fatalf("after 3 allocations: %d paths, %d identifiers", p, i)
	}
	mustExec(t, db, "UPDATE path_registry SET status = 'retired' WHERE base_path = '2.1'")
	mustExec(t, db, "UPDATE path_registry SET quantity = 20, allocated_range_end = 20 WHERE base_path = '2.2'")
	if p, i := paths(); p != 2 || i != 30 {
		t.Errorf("after retiring one and growing one: %d paths, %d identifiers; want 2, 30", p, i)
	}
	mustExec(t, db, "DELETE FROM path_registry WHERE base_path = '2.3'")
	if p, i := paths(); p != 1 || i != 20 {
		t.Errorf("after deleting one: %d paths, %d identifiers; want 1, 20", p, i)
	}
	if n := count(t, db, "SELECT sum(paths) FROM wallet_path_stats WHERE status = 'retired'"); n != 1 {
		t.Errorf("retired counter %d, want 1", n)
	}
}
