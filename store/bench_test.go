package store_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// Benchmarks run against a persistent cluster in $WLC_BENCH_DIR (make bench
// sets it to .bench/), so that 10 M paths are generated once. Without it they
// are skipped: they are not part of `make test`.

func benchDB(b *testing.B, paths int) *store.DB {
	b.Helper()
	dir := os.Getenv("WLC_BENCH_DIR")
	if dir == "" {
		b.Skip("set WLC_BENCH_DIR (make bench) to run the benchmarks at scale")
	}
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	c, err := store.NewCluster(filepath.Join(dir, "pg"))
	if err != nil {
		b.Fatal(err)
	}
	// The embedded default's own settings (ClusterTuning for this machine),
	// or PostgreSQL's with WLC_BENCH_UNTUNED=1 (the comparison in the note).
	c.Untuned = os.Getenv("WLC_BENCH_UNTUNED") != ""
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Release(context.Background()) })
	name := fmt.Sprintf("bench_%d", paths)
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	var exists bool
	_ = admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists)
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
	}
	admin.Close(ctx)
	db, err := store.Open(ctx, store.Options{DSN: c.DSN(name)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(db.Close)
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	ws, err := db.Inventory(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(ws) == 0 {
		if err := db.CreateWallet(ctx, store.NewWallet{Version: 1}, "bench"); err != nil {
			b.Fatal(err)
		}
		for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed, model.StatusActive} {
			if err := db.SetStatus(ctx, 1, s, store.Op{Type: "wallet_" + string(s), Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: 1, Index: 1, Name: "Plings"}, "bench"); err != nil {
			b.Fatal(err)
		}
		ws = nil
	}
	have := int64(0)
	if len(ws) > 0 {
		have = ws[0].Paths
	}
	if have < int64(paths) {
		b.Logf("generating %d paths (once; kept in %s)", int64(paths)-have, dir)
		res, err := db.GeneratePaths(ctx, 1, paths-int(have), 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%v", res)
		if _, err := db.Pool().Exec(ctx, "VACUUM ANALYZE path_registry"); err != nil {
			b.Fatal(err)
		}
	}
	return db
}

// benchPaths returns n fresh paths in the dense part of the wallet: same
// manufacturer and depth as the generated ones, so the overlap probes walk
// populated index pages, but beyond any generated component.
func benchPaths(b *testing.B, db *store.DB, n int, salt uint64) []string {
	var idx int
	if err := db.Pool().QueryRow(context.Background(),
		"SELECT max(manufacturer_index) FROM manufacturer_registry WHERE wallet_version = 1").Scan(&idx); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), salt))
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%d.%d.%d.%d.%d", idx, 1+rng.IntN(50), 1+rng.IntN(100), 1+rng.IntN(100), 1_000_000+rng.IntN(1_000_000_000))
	}
	return out
}

// percentiles returns p50, p95 and p99 in milliseconds.
func percentiles(d []time.Duration) [3]float64 {
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))].Microseconds()) / 1000 }
	return [3]float64{p(0.50), p(0.95), p(0.99)}
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	p := percentiles(d)
	b.ReportMetric(p[0], "p50-ms")
	b.ReportMetric(p[1], "p95-ms")
	b.ReportMetric(p[2], "p99-ms")
	b.ReportMetric(0, "ns/op") // the percentiles are the figures that matter
}

// insertOne is the single-row allocation INSERT into table (path_registry,
// or the floor's trigger-less copy).
func insertOne(table string) string {
	return `INSERT INTO ` + table + ` (wallet_version, base_path, allocation_type, quantity,
	allocated_range_start, allocated_range_end, allocated_by)
	VALUES (1, $1, 'production', 100, 1, 100, '` + store.SystemUserID + `')`
}

// insertTimes times the single-row INSERT (trigger included) in its own
// transaction, rolled back so the data set stays the same.
func insertTimes(b *testing.B, db *store.DB, paths []string, setup string) []time.Duration {
	return insertTimesInto(b, db, "path_registry", paths, setup)
}

func insertTimesInto(b *testing.B, db *store.DB, table string, paths []string, setup string) []time.Duration {
	ctx := context.Background()
	sql := insertOne(table)
	d := make([]time.Duration, 0, len(paths))
	for _, p := range paths {
		tx, err := db.Pool().Begin(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if setup != "" {
			if _, err := tx.Exec(ctx, setup); err != nil {
				b.Fatal(err)
			}
		}
		start := time.Now()
		if _, err := tx.Exec(ctx, sql, p); err != nil {
			b.Fatalf("insert %s: %v", p, err)
		}
		d = append(d, time.Since(start))
		_ = tx.Rollback(ctx)
	}
	return d
}

// The seed's trigger (seed 001, prevent_wallet_path_overlap), kept here only as
// the baseline; "path" is base_path in our schema.
const seedLikeTrigger = `
ALTER TABLE path_registry DISABLE TRIGGER path_registry_guard;
CREATE OR REPLACE FUNCTION pg_temp.seed_prevent_wallet_path_overlap() RETURNS trigger AS $$
BEGIN
  IF EXISTS (
    SELECT 1 FROM path_registry
     WHERE wallet_version = NEW.wallet_version
       AND (NEW.base_path LIKE base_path || '.%' OR base_path LIKE NEW.base_path || '.%')
       AND status IN ('active', 'migrating')
       AND id != COALESCE(NEW.id, gen_random_uuid())
  ) THEN
    RAISE EXCEPTION 'Path conflicts with existing allocation in wallet v%: %', NEW.wallet_version, NEW.base_path;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER seed_like_overlap BEFORE INSERT OR UPDATE ON path_registry
  FOR EACH ROW EXECUTE FUNCTION pg_temp.seed_prevent_wallet_path_overlap();`

func benchAllocate(b *testing.B, paths int) {
	db := benchDB(b, paths)
	// Warm the caches the way a running server is warm: untimed inserts
	// touching the same indexes first.
	insertTimes(b, db, benchPaths(b, db, 500, 9), "")
	// The rule and the floor (the same insert into a copy of the table with
	// the same rows and indexes and no trigger, no foreign key either)
	// alternate, so that both see the same cache, checkpoint and WAL state;
	// what the rule costs is the difference.
	floorTable(b, db)
	prewarmIndexes(b, db, "path_registry", "path_registry_floor")
	insertTimesInto(b, db, "path_registry_floor", benchPaths(b, db, 500, 8), "")
	b.Run("rule-vs-floor", func(b *testing.B) {
		ps := benchPaths(b, db, 2*b.N, 1)
		rule := make([]time.Duration, 0, b.N)
		floor := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			rule = append(rule, insertTimes(b, db, ps[2*i:2*i+1], "")...)
			floor = append(floor, insertTimesInto(b, db, "path_registry_floor", ps[2*i+1:2*i+2], "")...)
		}
		b.StopTimer()
		r, f := percentiles(rule), percentiles(floor)
		for i, q := range []string{"p50", "p95", "p99"} {
			b.ReportMetric(r[i], "rule-"+q+"-ms")
			b.ReportMetric(f[i], "floor-"+q+"-ms")
		}
		b.ReportMetric(r[1]/f[1], "rule/floor-p95")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("seed-LIKE", func(b *testing.B) {
		// Each LIKE insert scans the wallet: a few are enough for its p50/p95.
		n := min(b.N, 20)
		ps := benchPaths(b, db, n, 2)
		b.ResetTimer()
		reportPercentiles(b, insertTimes(b, db, ps, seedLikeTrigger))
		// The count measured: the N printed is -benchtime's, not this.
		b.ReportMetric(float64(n), "inserts")
	})
	b.Run("AllocatePath", func(b *testing.B) {
		// End to end through the store: transaction, trigger, audit row, commit.
		ps := benchPaths(b, db, b.N, 3)
		ctx := context.Background()
		d := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for _, p := range ps {
			start := time.Now()
			if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: p, Quantity: 100, Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
			d = append(d, time.Since(start))
		}
		reportPercentiles(b, d)
	})
}

// floorTable makes path_registry_floor once: the wallet's rows copied, then
// each of path_registry's indexes built on it (loading before indexing is
// the fast way at 10 M).
func floorTable(b *testing.B, db *store.DB) {
	ctx := context.Background()
	var have, want int64
	_ = db.Pool().QueryRow(ctx, "SELECT count(*) FROM path_registry").Scan(&want)
	// AllocatePath's commits grow the wallet a little on each run: a copy
	// within 1 % of its size is the same floor.
	if err := db.Pool().QueryRow(ctx, "SELECT count(*) FROM path_registry_floor").Scan(&have); err == nil && have >= want-want/100 {
		return
	}
	b.Logf("copying %d paths into path_registry_floor (once)", want)
	var cols string
	if err := db.Pool().QueryRow(ctx, `SELECT string_agg(quote_ident(column_name), ', ' ORDER BY ordinal_position)
		  FROM information_schema.columns
		 WHERE table_schema = 'public' AND table_name = 'path_registry' AND is_generated = 'NEVER'`).Scan(&cols); err != nil {
		b.Fatal(err)
	}
	stmts := []string{
		"SET statement_timeout = 0", // the pool's limit is for the console's own statements
		"DROP TABLE IF EXISTS path_registry_floor",
		"CREATE TABLE path_registry_floor (LIKE path_registry INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING CONSTRAINTS)",
		"INSERT INTO path_registry_floor (" + cols + ") SELECT " + cols + " FROM path_registry",
	}
	rows, err := db.Pool().Query(ctx, `SELECT replace(replace(pg_get_indexdef(indexrelid), ' ON public.path_registry ', ' ON public.path_registry_floor '),
		  'INDEX ' || c.relname || ' ', 'INDEX ' || c.relname || '_floor ')
		  FROM pg_index JOIN pg_class c ON c.oid = indexrelid WHERE indrelid = 'path_registry'::regclass`)
	if err != nil {
		b.Fatal(err)
	}
	idx, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		b.Fatal(err)
	}
	stmts = append(stmts, idx...)
	stmts = append(stmts, "VACUUM ANALYZE path_registry_floor")
	conn, err := db.Pool().Acquire(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Release()
	for _, q := range append(stmts, "RESET statement_timeout") {
		if _, err := conn.Exec(ctx, q); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
}

// prewarmIndexes reads the tables' indexes into shared buffers: a server
// that has been allocating for a while has them there, and a cluster just
// started by the benchmark would otherwise measure the OS's cache instead.
func prewarmIndexes(b *testing.B, db *store.DB, tables ...string) {
	ctx := context.Background()
	if _, err := db.Pool().Exec(ctx, "CREATE EXTENSION IF NOT EXISTS pg_prewarm"); err != nil {
		b.Fatal(err)
	}
	err := pgx.BeginFunc(ctx, db.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL statement_timeout = 0"); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_prewarm(indexrelid) FROM pg_index WHERE indrelid = ANY ($1::regclass[])`, tables)
		return err
	})
	if err != nil {
		b.Fatalf("prewarm: %v", err)
	}
}

func benchInventory(b *testing.B, paths int) {
	db := benchDB(b, paths)
	ctx := context.Background()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ws, err := db.Inventory(ctx)
		if err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
		if ws[0].Paths < int64(paths) {
			b.Fatalf("inventory sees %d paths, want ≥ %d", ws[0].Paths, paths)
		}
	}
	reportPercentiles(b, d)
}

func BenchmarkAllocate1M(b *testing.B)   { benchAllocate(b, 1_000_000) }
func BenchmarkAllocate10M(b *testing.B)  { benchAllocate(b, 10_000_000) }
func BenchmarkInventory1M(b *testing.B)  { benchInventory(b, 1_000_000) }
func BenchmarkInventory10M(b *testing.B) { benchInventory(b, 10_000_000) }

// The detail screen's queries (what Enter on a wallet costs) at scale.
func benchDetail(b *testing.B, paths int) {
	db := benchDB(b, paths)
	ctx := context.Background()
	d := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		if _, err := db.WalletDetail(ctx, 1, 20); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	reportPercentiles(b, d)
}

func BenchmarkWalletDetail1M(b *testing.B)  { benchDetail(b, 1_000_000) }
func BenchmarkWalletDetail10M(b *testing.B) { benchDetail(b, 10_000_000) }
