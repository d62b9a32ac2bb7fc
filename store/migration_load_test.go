package store_test

// Issue 12, acceptance 2: a migration of 1 M paths (make bench; 200,000 in
// make test, WLC_MIGRATION_LOAD_PATHS sets it) while 8 allocators keep
// allocating in both wallets, as the operator would (store.Allocate as
// alice, through wallet_allocate_path). Afterwards a full overlap check of
// both wallets, every source path in the target exactly once, none left
// live in the source, a clean verify; the allocation latencies measured
// during the move (p99 under 50 ms).

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
)

// loadPaths is the size of the migration: WLC_MIGRATION_LOAD_PATHS (make
// bench: 1 M, the figure), else 200,000, which keeps `make test`
// within a few minutes on two cores.
func loadPaths(t *testing.T) int {
	t.Helper()
	n := 200_000
	if s := os.Getenv("WLC_MIGRATION_LOAD_PATHS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1000 {
			t.Fatalf("WLC_MIGRATION_LOAD_PATHS=%q: give a number of paths ≥ 1000", s)
		}
		n = v
	}
	return n
}

// What one allocator tries.
type allocKind int

const (
	targetMoving  allocKind = iota // the target, under the moving namespace (checked against the source): accepted
	targetOther                    // the target, another manufacturer: accepted
	sourceOther                    // the source, another manufacturer: accepted
	targetOverlap                  // the target, the same path as, a descendant or an ancestor of a source path: refused
	sourceMoving                   // the source, under the moving namespace: refused (allocations go to the target)
	allocKinds
)

var allocKindNames = [...]string{
	targetMoving:  "target, moving namespace",
	targetOther:   "target, other manufacturer",
	sourceOther:   "source, other manufacturer",
	targetOverlap: "target, overlapping a source path (refused)",
	sourceMoving:  "source, moving namespace (refused)",
}

// The mix each allocator draws from (out of 100).
var allocMix = [...]int{targetMoving: 35, targetOther: 20, sourceOther: 25, targetOverlap: 15, sourceMoving: 5}

type allocAttempt struct {
	kind     allocKind
	at       time.Duration // since the worker started
	took     time.Duration
	end      time.Time
	wallet   int
	path     string
	overlaps string // targetOverlap: the source path it overlaps
	err      error
}

func TestMigrationUnderAllocationLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("a migration of 1 M paths under load (-short skips it)")
	}
	const (
		source, target = 1, 2
		allocators     = 8
	)
	n := loadPaths(t)
	ctx := context.Background()
	phase := time.Now()
	lap := func(what string) {
		t.Logf("%-40s %s", what, time.Since(phase).Round(time.Millisecond))
		phase = time.Now()
	}

	l := openLogins(t)
	owner := l.admin
	activeWallet(t, owner, source)
	activeWallet(t, owner, target)
	gen, err := owner.GeneratePaths(ctx, source, n, 12)
	if err != nil {
		t.Fatal(err)
	}
	mfr := gen.ManufacturerIndex
	mustExec(t, owner, "VACUUM ANALYZE path_registry")
	lap(fmt.Sprintf("generated %d paths under %d", gen.Rows, mfr))

	st, err := l.alice.StartMigration(ctx, source, target, gen.ManufacturerName, "wallet_deprecation", 5000, "load test", store.MigrationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Queued != int64(n) {
		t.Fatalf("queued %d of %d paths", st.Queued, n)
	}
	lap(fmt.Sprintf("started migration #%d", st.ID))

	overlapTargets, err := overlapSample(ctx, owner, st.ID)
	if err != nil {
		t.Fatal(err)
	}

	// The allocators: alice's own pool, one connection each; the worker has
	// its own store (as a separate `console migration run` would).
	allocDB := l.alice
	workerDB := openAs(t, l.name, "alice")

	// The same allocators for 10 s before the worker runs (the migration
	// started, its namespace checked in both wallets, no batch): what the
	// machine gives 8 allocators without the move, to read the figures
	// during it against.
	{
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		var base []time.Duration
		t0 := time.Now()
		for g := range allocators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := allocateUntil(ctx, allocDB, allocators+g, source, target, mfr, overlapTargets, t0, &stop)
				mu.Lock()
				defer mu.Unlock()
				for _, a := range mine {
					if a.err == nil {
						base = append(base, a.took)
					}
				}
			}()
		}
		time.Sleep(10 * time.Second)
		stop.Store(true)
		wg.Wait()
		t.Logf("before the worker, 10 s: accepted allocations %s", latencyLine(base))
	}
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		attempts []allocAttempt
		t0       = time.Now()
	)
	for g := range allocators {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := allocateUntil(ctx, allocDB, g, source, target, mfr, overlapTargets, t0, &stop)
			mu.Lock()
			attempts = append(attempts, mine...)
			mu.Unlock()
		}()
	}

	var batches []ops.WorkerEvent
	svc := ops.New(workerDB)
	svc.Actor = "load test worker"
	// Two loops, as the benchmark runs it: the second holds back while the
	// allocators are busy, so their p99 is as with one.
	werr := svc.RunMigrations(ctx, ops.MigrationWorker{ID: st.ID, Workers: 2, OnEvent: func(e ops.WorkerEvent) {
		if e.Err != nil {
			t.Logf("worker: %v", e.Err)
		}
		if e.Batch.BatchNo > 0 {
			batches = append(batches, e)
		}
	}})
	moveTime := time.Since(t0)
	stop.Store(true)
	wg.Wait()
	if werr != nil {
		t.Fatalf("worker: %v", werr)
	}
	lap(fmt.Sprintf("moved in %d batches", len(batches)))

	// What the allocators saw.
	var ok []time.Duration
	byKind := make([][]time.Duration, allocKinds)
	refusedInSource := 0 // overlap attempts refused while the path they overlap was still in the source
	firstBad := map[string]int{}
	for _, a := range attempts {
		byKind[a.kind] = append(byKind[a.kind], a.took)
		switch a.kind {
		case targetMoving, targetOther, sourceOther:
			if a.err != nil {
				firstBad[fmt.Sprintf("%s %s in v%d: %v", allocKindNames[a.kind], a.path, a.wallet, a.err)]++
				continue
			}
			ok = append(ok, a.took)
		case targetOverlap:
			var ov *store.OverlapError
			if !errors.As(a.err, &ov) {
				firstBad[fmt.Sprintf("%s %s in v%d (overlaps %s): accepted or refused otherwise: %v", allocKindNames[a.kind], a.path, a.wallet, a.overlaps, a.err)]++
			}
		case sourceMoving:
			var rule *store.RuleError
			if !errors.As(a.err, &rule) || rule.Code != "WLMOV" {
				firstBad[fmt.Sprintf("%s %s in v%d: accepted or refused otherwise: %v", allocKindNames[a.kind], a.path, a.wallet, a.err)]++
			}
		}
	}
	for what, k := range firstBad {
		t.Errorf("%d× %s", k, what)
	}
	// When was each overlapped path moved? (migrated_at is its batch's start.)
	movedAt := map[string]time.Time{}
	{
		rows, err := owner.Pool().Query(ctx, "SELECT base_path, migrated_at FROM path_registry WHERE wallet_version = $1 AND base_path = ANY ($2)",
			source, overlapTargets)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var p string
			var at time.Time
			if err := rows.Scan(&p, &at); err != nil {
				t.Fatal(err)
			}
			movedAt[p] = at
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range attempts {
		if a.kind == targetOverlap && a.err != nil && a.end.Before(movedAt[a.overlaps]) {
			refusedInSource++
		}
	}

	all := make([]time.Duration, 0, len(attempts))
	for _, a := range attempts {
		all = append(all, a.took)
	}
	t.Logf("migration of %d paths: %s, %.0f paths/s, %d batches, %d allocation attempts by %d allocators (%.0f/s)",
		n, moveTime.Round(time.Millisecond), float64(n)/moveTime.Seconds(), len(batches), len(attempts), allocators,
		float64(len(attempts))/moveTime.Seconds())
	t.Logf("accepted allocations  %s", latencyLine(ok))
	t.Logf("every attempt         %s", latencyLine(all))
	for k := range allocKinds {
		t.Logf("  %-44s %s", allocKindNames[k], latencyLine(byKind[k]))
	}
	t.Logf("overlap attempts refused while the path they overlap was still in the source: %d of %d",
		refusedInSource, len(byKind[targetOverlap]))
	// Throughout: the accepted allocations' p99 in each tenth of the move.
	worst, worstAt := time.Duration(0), 0
	for w := range 10 {
		var d []time.Duration
		lo, hi := moveTime*time.Duration(w)/10, moveTime*time.Duration(w+1)/10
		for _, a := range attempts {
			if a.at >= lo && a.at < hi && a.err == nil {
				d = append(d, a.took)
			}
		}
		if p := quantile(d, 0.99); p > worst {
			worst, worstAt = p, w
		}
	}
	t.Logf("worst tenth of the move: p99 %s (tenth %d)", ms(worst), worstAt+1)
	if len(ok) == 0 {
		t.Fatal("no allocation was accepted during the migration")
	}
	if len(byKind[targetOverlap]) == 0 || refusedInSource == 0 {
		t.Errorf("no overlap attempt against a path still in the source (%d attempts)", len(byKind[targetOverlap]))
	}
	// The latency is asserted on the measured run (make bench, a machine
	// doing nothing else); in make test other packages' tests share the two
	// cores, and the figure is logged for the reader.
	if p99 := quantile(ok, 0.99); p99 >= 50*time.Millisecond {
		if os.Getenv("WLC_MIGRATION_LOAD_PATHS") != "" {
			t.Errorf("allocation p99 during the migration is %s: issue 12 asks for under 50 ms (%s)", ms(p99), latencyLine(ok))
		} else {
			t.Logf("allocation p99 during the migration is %s (over 50 ms; asserted only in make bench's run): %s", ms(p99), latencyLine(ok))
		}
	}

	// Afterwards, as the owner, over every row: no live path of either
	// wallet is equal to, an ancestor or a descendant of another live path
	// of the same wallet. In byte order ("C", the column's collation) a
	// path's descendants sort in [P., P/) and nothing the grammar allows
	// sorts between P and P.: so P has a live descendant (or duplicate) if
	// and only if the live path right after it is one. One window over the
	// live rows is the whole check.
	checks := owner.Pool()
	tx, err := checks.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	var overlaps int64
	var examples []string
	if err := tx.QueryRow(ctx, `SELECT count(*), coalesce((array_agg(wallet_version || ': ' || base_path || ' / ' || next))[1:10], '{}')
		FROM (SELECT wallet_version, base_path,
		             lead(base_path) OVER (PARTITION BY wallet_version ORDER BY base_path) AS next
		        FROM path_registry WHERE wallet_version IN ($1, $2) AND status IN ('active', 'migrating')) x
		WHERE next = base_path OR starts_with(next, base_path || '.')`, source, target).Scan(&overlaps, &examples); err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Errorf("%d live paths have a live descendant or twin in their wallet: %v", overlaps, examples)
	}
	// The same, the long way: every proper prefix of every live path,
	// against the live paths (a hash join over all of them).
	if err := tx.QueryRow(ctx, `WITH live AS (SELECT wallet_version, base_path FROM path_registry
		                                    WHERE wallet_version IN ($1, $2) AND status IN ('active', 'migrating')),
		     prefixes AS (SELECT l.wallet_version, l.base_path, left(l.base_path, i - 1) AS prefix
		                    FROM live l, generate_series(2, char_length(l.base_path)) i
		                   WHERE substr(l.base_path, i, 1) = '.')
		SELECT count(*) FROM prefixes p JOIN live a ON a.wallet_version = p.wallet_version AND a.base_path = p.prefix`,
		source, target).Scan(&overlaps); err != nil {
		t.Fatal(err)
	}
	if overlaps != 0 {
		t.Errorf("%d live paths have a live ancestor in their wallet", overlaps)
	}
	var dups int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM (SELECT 1 FROM path_registry WHERE wallet_version IN ($1, $2)
		GROUP BY wallet_version, base_path HAVING count(*) > 1) x`, source, target).Scan(&dups); err != nil {
		t.Fatal(err)
	}
	if dups != 0 {
		t.Errorf("%d paths twice in one wallet", dups)
	}
	lap("overlap checks over both wallets")

	// Every source path in the target exactly once, none live in the source.
	var srcRows, srcLive, srcMoved, copies, copiesOnce int64
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE status IN ('active', 'migrating')),
		       count(*) FILTER (WHERE status = 'migrated' AND migrated_to_wallet = $2)
		  FROM path_registry WHERE wallet_version = $1 AND manufacturer_index = $3`, source, target, mfr).Scan(&srcRows, &srcLive, &srcMoved); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE c = 1) FROM (
		SELECT s.base_path, count(d.id) AS c
		  FROM path_registry s
		  LEFT JOIN path_registry d ON d.wallet_version = $2 AND d.base_path = s.base_path AND d.migrated_from_wallet = $1
		 WHERE s.wallet_version = $1 AND s.manufacturer_index = $3
		 GROUP BY s.base_path) x`, source, target, mfr).Scan(&copies, &copiesOnce); err != nil {
		t.Fatal(err)
	}
	if srcRows != int64(n) || srcLive != 0 || srcMoved != int64(n) || copies != int64(n) || copiesOnce != int64(n) {
		t.Errorf("source: %d rows, %d live, %d migrated to v%d; %d of %d in the target exactly once",
			srcRows, srcLive, srcMoved, target, copiesOnce, copies)
	}
	var extra int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM path_registry WHERE wallet_version = $2 AND migrated_from_wallet = $1
		AND NOT EXISTS (SELECT 1 FROM path_registry s WHERE s.wallet_version = $1 AND s.base_path = path_registry.base_path)`,
		source, target).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if extra != 0 {
		t.Errorf("%d paths in the target say they came from the source, which does not have them", extra)
	}
	_ = tx.Rollback(ctx)
	lap("exactly-once checks")

	v, err := l.alice.VerifyMigration(ctx, st.ID, "load test")
	if err != nil {
		t.Fatal(err)
	}
	if !v.Completed || v.State != "completed" || v.FindingCount != 0 {
		t.Errorf("verify: %+v", v)
	}
	lap(fmt.Sprintf("verify (%.0f ms in the database)", v.DurationMS))
}

// allocateUntil is one allocator: store.Allocate as its login (alice), in a
// loop without pause until stop, drawing from allocMix; g keeps its fresh
// paths apart from the other allocators'.
func allocateUntil(ctx context.Context, db *store.DB, g, source, target, mfr int, overlapTargets []string,
	t0 time.Time, stop *atomic.Bool) []allocAttempt {
	rng := rand.New(rand.NewPCG(uint64(g), 42))
	var mine []allocAttempt
	seq := 0
	for !stop.Load() {
		seq++
		a := allocAttempt{}
		r := rng.IntN(100)
		for k, w := range allocMix {
			if r < w {
				a.kind = allocKind(k)
				break
			}
			r -= w
		}
		switch a.kind {
		case targetMoving:
			a.wallet, a.path = target, fmt.Sprintf("%d.%d.%d.%d", mfr, 5000+g, 1+seq/1000, 1+seq%1000)
		case targetOther:
			a.wallet, a.path = target, fmt.Sprintf("2.%d.%d", 100+g, seq)
		case sourceOther:
			a.wallet, a.path = source, fmt.Sprintf("2.%d.%d", 200+g, seq)
		case sourceMoving:
			a.wallet, a.path = source, fmt.Sprintf("%d.%d.%d.%d", mfr, 6000+g, 1+seq/1000, 1+seq%1000)
		case targetOverlap:
			p := overlapTargets[rng.IntN(len(overlapTargets))]
			a.wallet, a.overlaps = target, p
			switch seq % 3 {
			case 0:
				a.path = p // the same path
			case 1:
				a.path = p + "." + strconv.Itoa(1+rng.IntN(9)) // a descendant
			default:
				a.path = p[:strings.LastIndexByte(p, '.')] // its parent
			}
		}
		start := time.Now()
		a.at = start.Sub(t0)
		_, a.err = db.Allocate(ctx, store.AllocationRequest{
			Wallet: a.wallet, Path: a.path, Quantity: 10, Actor: "load test allocator " + strconv.Itoa(g),
		})
		a.end = time.Now()
		a.took = a.end.Sub(start)
		mine = append(mine, a)
	}
	return mine
}

// overlapSample is source paths of migration id to overlap: the last ones
// in the queue (they stay in the source longest) and some from anywhere.
func overlapSample(ctx context.Context, db *store.DB, id int64) ([]string, error) {
	var out []string
	for _, q := range []string{
		"SELECT base_path FROM path_migration_queue WHERE migration_id = $1 ORDER BY id DESC LIMIT 3000",
		"SELECT base_path FROM path_migration_queue WHERE migration_id = $1 AND id % 997 = 0 LIMIT 1000",
	} {
		rows, err := db.Pool().Query(ctx, q, id)
		if err != nil {
			return nil, err
		}
		ps, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, err
		}
		out = append(out, ps...)
	}
	return out, nil
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func latencyLine(d []time.Duration) string {
	if len(d) == 0 {
		return "none"
	}
	return fmt.Sprintf("n=%d p50 %s p95 %s p99 %s max %s", len(d), ms(quantile(d, 0.5)), ms(quantile(d, 0.95)),
		ms(quantile(d, 0.99)), ms(quantile(d, 1)))
}
