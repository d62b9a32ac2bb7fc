package store_test

// Issue 12, acceptance 3: a manufacturer's paths migrated by the worker
// (ops.RunMigrations as the operator alice) on this machine, with and
// without 8 allocators working in both wallets, next to the floor: a bare
// INSERT … SELECT of the same rows into a copy table. `make bench` runs it
// at 10 M paths.
//
// The data set is made once into $WLC_BENCH_DIR (a cluster of its own,
// .bench/migration): a template database with v1 and v2 active, the paths
// generated in v1 under a bench manufacturer and the migration to v2
// started (its queue filled). Each run moves a fresh copy of it
// (CREATE DATABASE … TEMPLATE, file copy) and drops it afterwards.

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/migrations"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
)

type migBench struct {
	cluster *store.Cluster
	tpl     string
	paths   int
	mfr     int
	id      int64
}

// migBenchCluster starts (once made: reuses) the benchmark cluster and the
// template with paths paths queued for migration #1 from v1 to v2.
func migBenchCluster(b *testing.B, paths int) *migBench {
	b.Helper()
	dir := os.Getenv("WLC_BENCH_DIR")
	if dir == "" {
		b.Skip("set WLC_BENCH_DIR (make bench) to run the migration benchmarks")
	}
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	_ = os.Chmod(dir, 0o755)
	c, err := store.NewCluster(filepath.Join(dir, "migration"))
	if err != nil {
		b.Fatal(err)
	}
	// As benchDB: the embedded default's own settings for this machine
	// (shared_buffers a quarter of the memory: 6 GB here; the 10 M
	// template's path indexes are 2 GB before the move, and the move adds
	// as much again); durable, as in production. Trust on
	// its private socket so that the operator's login (alice) is a real
	// login, as in the tests.
	c.Trust = true
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Release(context.Background()) })
	mb := &migBench{cluster: c, tpl: fmt.Sprintf("migbench_%d", paths), paths: paths}

	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	var ready *string
	var exists bool
	_ = admin.QueryRow(ctx, `SELECT true, shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = $1`, mb.tpl).Scan(&exists, &ready)
	if want := "ready " + schemaDigest(b); exists && (ready == nil || *ready != want) {
		b.Logf("%s was left half made or has another schema (%v, want %q): made again", mb.tpl, ready, want)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+mb.tpl+" WITH (FORCE)"); err != nil {
			b.Fatal(err)
		}
		exists = false
	}
	if !exists {
		mb.makeTemplate(b, admin)
	}
	db := mb.open(b, mb.tpl, "")
	if err := db.Pool().QueryRow(ctx, "SELECT id, (SELECT manufacturer_index FROM manufacturer_registry r WHERE r.wallet_version = 1 AND r.manufacturer_name = m.manufacturer_name) FROM manufacturer_migrations m").Scan(&mb.id, &mb.mfr); err != nil {
		b.Fatal(err)
	}
	db.Close()
	return mb
}

func (mb *migBench) open(b *testing.B, name, login string) *store.DB {
	b.Helper()
	dsn := mb.cluster.DSN(name)
	if login != "" {
		dsn = mb.cluster.DSNAs(name, login)
	}
	// No statement limit: the start queues millions of paths in one statement.
	db, err := store.Open(context.Background(), store.Options{DSN: dsn + " pool_max_conns=12", StatementTimeout: -1})
	if err != nil {
		b.Fatal(err)
	}
	return db
}

func (mb *migBench) makeTemplate(b *testing.B, admin *pgx.Conn) {
	ctx := context.Background()
	t0 := time.Now()
	for _, sql := range []string{
		"CREATE DATABASE " + mb.tpl,
		`DO $$ BEGIN CREATE ROLE alice LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	db := mb.open(b, mb.tpl, "")
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, "GRANT wallet_operator TO alice"); err != nil {
		b.Fatal(err)
	}
	for _, v := range []int{1, 2} {
		if err := db.CreateWallet(ctx, store.NewWallet{Version: v, Description: "migration bench"}, "bench"); err != nil {
			b.Fatal(err)
		}
		for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed, model.StatusActive} {
			if err := db.SetStatus(ctx, v, s, store.Op{Type: "wallet_" + string(s), Actor: "bench"}); err != nil {
				b.Fatal(err)
			}
		}
		for i, name := range []string{"Plings", "IKEA"} {
			if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: v, Index: i + 1, Name: name}, "bench"); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Logf("generating %d paths into %s (once; kept in %s)", mb.paths, mb.tpl, mb.cluster.Dir)
	gen, err := db.GeneratePaths(ctx, 1, mb.paths, 7)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%v", gen)
	alice := mb.open(b, mb.tpl, "alice")
	defer alice.Close()
	t1 := time.Now()
	st, err := alice.StartMigration(ctx, 1, 2, gen.ManufacturerName, "wallet_deprecation", 5000, "bench", store.MigrationLimits{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("migration #%d started: %d paths queued in %s", st.ID, st.Queued, time.Since(t1).Round(time.Millisecond))
	if _, err := db.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	db.Close()
	alice.Close()
	if _, err := admin.Exec(ctx, "COMMENT ON DATABASE "+mb.tpl+" IS 'ready "+schemaDigest(b)+"'"); err != nil {
		b.Fatal(err)
	}
	b.Logf("template %s made in %s", mb.tpl, time.Since(t0).Round(time.Second))
}

// schemaDigest names the schema a template was made with (its migrations'
// text): a template made before a migration changed is made again.
func schemaDigest(b *testing.B) string {
	h := sha256.New()
	if err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := migrations.FS.ReadFile(path)
		h.Write([]byte(path))
		h.Write(data)
		return err
	}); err != nil {
		b.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}

// copyOf makes a fresh copy of the template, dropped when the benchmark ends.
func (mb *migBench) copyOf(b *testing.B, suffix string) string {
	b.Helper()
	ctx := context.Background()
	name := mb.tpl + "_" + suffix
	admin, err := pgx.Connect(ctx, mb.cluster.DSN("postgres"))
	if err != nil {
		b.Fatal(err)
	}
	defer admin.Close(ctx)
	t0 := time.Now()
	for _, sql := range []string{
		"DROP DATABASE IF EXISTS " + name + " WITH (FORCE)",
		"CREATE DATABASE " + name + " TEMPLATE " + mb.tpl + " STRATEGY FILE_COPY",
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("copied %s in %s", mb.tpl, time.Since(t0).Round(time.Millisecond))
	b.Cleanup(func() {
		conn, err := pgx.Connect(ctx, mb.cluster.DSN("postgres"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return name
}

// warm reads the source's rows and indexes into the caches, as a server
// that has been serving them is (the copy starts cold in shared buffers).
func warm(b *testing.B, db *store.DB) {
	b.Helper()
	if _, err := db.Pool().Exec(context.Background(), `SELECT count(*) FROM path_registry;
		SELECT count(*) FROM path_migration_queue`); err != nil {
		b.Fatal(err)
	}
}

// move runs the worker (as alice, its defaults: 0.5 s batches; workers
// loops side by side) over a copy of the template, with allocators
// allocating meanwhile when load > 0.
func (mb *migBench) move(b *testing.B, load, workers int) {
	ctx := context.Background()
	var paths int64
	var moving time.Duration
	var attempts []allocAttempt
	batches := 0
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := mb.copyOf(b, fmt.Sprintf("run%d", i))
		owner := mb.open(b, name, "")
		warm(b, owner)
		worker := mb.open(b, name, "alice")
		alloc := mb.open(b, name, "alice")
		overlapTargets, err := overlapSample(ctx, owner, mb.id)
		if err != nil {
			b.Fatal(err)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		var mu sync.Mutex
		t0 := time.Now()
		for g := range load {
			wg.Add(1)
			go func() {
				defer wg.Done()
				mine := allocateUntil(ctx, alloc, g, 1, 2, mb.mfr, overlapTargets, t0, &stop)
				mu.Lock()
				attempts = append(attempts, mine...)
				mu.Unlock()
			}()
		}
		b.StartTimer()
		svc := ops.New(worker)
		svc.Actor = "bench worker"
		err = svc.RunMigrations(ctx, ops.MigrationWorker{ID: mb.id, Workers: workers, OnEvent: func(e ops.WorkerEvent) {
			if e.Err != nil {
				b.Logf("worker: %v", e.Err)
			}
			if e.Batch.BatchNo > 0 {
				batches++
				paths += int64(e.Batch.Moved)
			}
		}})
		took := time.Since(t0)
		b.StopTimer()
		stop.Store(true)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		moving += took
		m, err := owner.MigrationByID(ctx, mb.id)
		if err != nil || m.State != "moved" || m.Moved != int64(mb.paths) {
			b.Fatalf("after the worker: %+v %v", m, err)
		}
		t1 := time.Now()
		v, err := worker.VerifyMigration(ctx, mb.id, "bench")
		if err != nil || !v.Completed {
			b.Fatalf("verify: %+v %v", v, err)
		}
		b.Logf("run %d: %d paths in %s (%d batches), verify %s", i, mb.paths, took.Round(time.Millisecond), batches,
			time.Since(t1).Round(time.Millisecond))
		owner.Close()
		worker.Close()
		alloc.Close()
	}
	b.ReportMetric(float64(paths)/moving.Seconds(), "paths/s")
	b.ReportMetric(float64(moving.Nanoseconds())/float64(paths), "ns/path")
	b.ReportMetric(float64(paths)/float64(batches), "paths/batch")
	b.ReportMetric(0, "ns/op")
	if load > 0 {
		var ok []time.Duration
		for _, a := range attempts {
			if a.err == nil {
				ok = append(ok, a.took)
			}
		}
		b.ReportMetric(float64(len(attempts))/moving.Seconds(), "allocs/s")
		b.ReportMetric(float64(quantile(ok, 0.50).Microseconds())/1000, "alloc-p50-ms")
		b.ReportMetric(float64(quantile(ok, 0.99).Microseconds())/1000, "alloc-p99-ms")
		b.ReportMetric(float64(quantile(ok, 1).Microseconds())/1000, "alloc-max-ms")
		b.Logf("accepted allocations during the move: %s", latencyLine(ok))
	}
}

// floor: the same rows INSERT … SELECT-ed into a copy table with the same
// columns and indexes and no triggers (what writing the target's copies
// costs at the least), and into a bare heap (no index either).
func (mb *migBench) floor(b *testing.B) {
	ctx := context.Background()
	var rows int64
	var indexed, heap time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		name := mb.copyOf(b, fmt.Sprintf("floor%d", i))
		owner := mb.open(b, name, "")
		warm(b, owner)
		cols := `wallet_version, base_path, manufacturer_name, organization_id, allocation_type, quantity,
			allocated_range_start, allocated_range_end, purpose, status, allocated_by, allocated_at, completed_at, migrated_from_wallet`
		if _, err := owner.Pool().Exec(ctx, `CREATE TABLE path_copy (LIKE path_registry INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING INDEXES);
			CREATE TABLE path_heap (LIKE path_registry INCLUDING DEFAULTS INCLUDING GENERATED)`); err != nil {
			b.Fatal(err)
		}
		for _, c := range []struct {
			table string
			took  *time.Duration
		}{{"path_copy", &indexed}, {"path_heap", &heap}} {
			b.StartTimer()
			t0 := time.Now()
			tag, err := owner.Pool().Exec(ctx, fmt.Sprintf(`INSERT INTO %s (%s) SELECT 2, base_path, manufacturer_name, organization_id,
				allocation_type, quantity, allocated_range_start, allocated_range_end, purpose, 'active', allocated_by, allocated_at,
				completed_at, 1 FROM path_registry WHERE wallet_version = 1 AND manufacturer_index = $1`, c.table, cols), mb.mfr)
			*c.took += time.Since(t0)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if c.table == "path_copy" {
				rows += tag.RowsAffected()
			}
		}
		owner.Close()
	}
	b.ReportMetric(float64(indexed.Nanoseconds())/float64(rows), "floor-ns/path")
	b.ReportMetric(float64(rows)/indexed.Seconds(), "floor-paths/s")
	b.ReportMetric(float64(heap.Nanoseconds())/float64(rows), "heap-ns/path")
	b.ReportMetric(0, "ns/op")
}

// benchMigration runs the floor and the moves; one loop idle only at the
// smaller size (at 10 M it adds half an hour and says what 1 M says).
func benchMigration(b *testing.B, paths int, oneLoop bool) {
	mb := migBenchCluster(b, paths)
	b.Run("floor", func(b *testing.B) { mb.floor(b) })
	if oneLoop {
		b.Run("idle-1-worker", func(b *testing.B) { mb.move(b, 0, 1) })
	}
	b.Run("idle-2-workers", func(b *testing.B) { mb.move(b, 0, 2) })
	b.Run("8-allocators-2-workers", func(b *testing.B) { mb.move(b, 8, 2) })
}

func BenchmarkMigration1M(b *testing.B)  { benchMigration(b, 1_000_000, true) }
func BenchmarkMigration10M(b *testing.B) { benchMigration(b, 10_000_000, false) }
