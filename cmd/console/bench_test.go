package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// The console's own latency at scale, against a persistent cluster in
// $WLC_BENCH_DIR (make bench sets it to .bench/): the demo data plus
// 1,000,000 generated paths, loaded once into the database console_demo_1m
// and reused. Without WLC_BENCH_DIR the benchmarks are skipped.

const benchPaths = 1_000_000

// benchDSN starts (or joins) the bench cluster and returns the DSN of the
// demo database with benchPaths generated paths, making it the first time.
func benchDSN(b *testing.B) string {
	b.Helper()
	dir := os.Getenv("WLC_BENCH_DIR")
	if dir == "" {
		b.Skip("set WLC_BENCH_DIR to a directory for the bench cluster (make bench does: WLC_BENCH_DIR=$PWD/.bench); " +
			"the first run loads the demo data and 1,000,000 paths into it, later runs reuse them")
	}
	ctx := context.Background()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	c, err := store.NewCluster(filepath.Join(dir, "pg"))
	if err != nil {
		b.Fatal(err)
	}
	c.SharedBuffers = "2GB" // as the store benchmarks start it
	if err := c.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = c.Release(context.Background()) })
	name := "console_demo_1m"
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
	dsn := c.DSN(name)

	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.EnsureSchema(ctx); err != nil {
		b.Fatal(err)
	}
	ws, err := db.Inventory(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if len(ws) == 0 {
		b.Logf("loading the demo data into %s (once)", name)
		sum, err := db.LoadDemo(ctx, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%s", sum)
	}
	// Paths generated so far: those of the bench manufacturers (index ≥ 100).
	var have int64
	if err := db.Pool().QueryRow(ctx, `SELECT coalesce(sum(paths), 0)::bigint FROM wallet_path_stats
		WHERE manufacturer_index >= 100 AND status IN ('active', 'migrating')`).Scan(&have); err != nil {
		b.Fatal(err)
	}
	if have < benchPaths {
		b.Logf("generating %d paths in v1 (once; kept in %s)", benchPaths-have, dir)
		res, err := db.GeneratePaths(ctx, 1, benchPaths-int(have), 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("%v", res)
		if _, err := db.Pool().Exec(ctx, "VACUUM ANALYZE path_registry"); err != nil {
			b.Fatal(err)
		}
	}
	return dsn
}

// openConsole opens the database the way `console --dsn` does (pool,
// schema check) for the benchmarks' data directory.
func openConsole(b *testing.B, ctx context.Context, dsn string) (*store.DB, func()) {
	b.Helper()
	fs, c, _ := command("console")
	g := &c.g
	if err := fs.Parse([]string{"--dsn", dsn, "--data-dir", b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return db, closeDB
}

// eventLoop runs an App the way Bubble Tea does: every command on its own
// goroutine, its message back into one loop that calls Update, and View
// after each Update (a frame). Timers (the spinner) run for real.
type eventLoop struct {
	app  *ui.App
	msgs chan tea.Msg
	done chan struct{}
	view string
}

func newEventLoop(app *ui.App) *eventLoop {
	return &eventLoop{app: app, msgs: make(chan tea.Msg, 4096), done: make(chan struct{})}
}

func (l *eventLoop) close() { close(l.done) }

func (l *eventLoop) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		msg := cmd()
		select {
		case l.msgs <- msg:
		case <-l.done:
		}
	}()
}

// send delivers msg now (a key press, a resize) and draws the frame.
func (l *eventLoop) send(msg tea.Msg) {
	switch m := msg.(type) {
	case nil:
		return
	case tea.BatchMsg:
		for _, c := range m {
			l.exec(c)
		}
		return
	}
	_, cmd := l.app.Update(msg)
	l.exec(cmd)
	l.view = l.app.View().Content
}

// until handles messages until a frame satisfies ok.
func (l *eventLoop) until(b *testing.B, what string, ok func(string) bool) {
	b.Helper()
	timeout := time.After(30 * time.Second)
	for !ok(l.view) {
		select {
		case m := <-l.msgs:
			l.send(m)
		case <-timeout:
			b.Fatalf("no frame with %s after 30 s; last frame:\n%s", what, l.view)
		}
	}
}

// The key presses of BenchmarkKeyToFrame, as the terminal delivers them.
var (
	keyDown  = tea.KeyPressMsg{Code: tea.KeyDown}
	keyUp    = tea.KeyPressMsg{Code: tea.KeyUp}
	keyEnter = tea.KeyPressMsg{Code: tea.KeyEnter}
	keyEsc   = tea.KeyPressMsg{Code: tea.KeyEscape}
)

// inventoryShown: the inventory's rows are on screen (its footer counts
// them only once they are).
func inventoryShown(v string) bool { return strings.Contains(v, " wallets · sort ") }

// detailShown: the wallet detail with everything it loads from the
// database (manufacturers and the rest, and the health history).
func detailShown(v string) bool {
	return strings.Contains(v, "Manufacturers (") && strings.Contains(v, "esc back") && !strings.Contains(v, "loading")
}

// cursorAt says which inventory row carries the cursor.
func cursorAt(v string) string {
	for _, l := range strings.Split(v, "\n") {
		if l = ansi.Strip(l); strings.HasPrefix(l, ">") {
			return l
		}
	}
	return ""
}

func reportMillis(b *testing.B, d []time.Duration) {
	slices.Sort(d)
	p := func(q float64) float64 { return float64(d[int(q*float64(len(d)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.95), "p95-ms")
	b.ReportMetric(p(1), "max-ms")
}

// BenchmarkKeyToFrame is a key press to the frame that shows its result,
// on the real database (demo data + 1 M paths) through the real adapter:
// moving the cursor (no database call), opening v1's detail (the detail and
// health history queries: the round trip is part of the time), going back.
// Styles are TrueColor, the costliest. The 60 fps pacing of Bubble Tea's
// renderer (up to 16.7 ms before a frame is written) is not included.
func BenchmarkKeyToFrame(b *testing.B) {
	dsn := benchDSN(b)
	ctx := context.Background()
	db, closeDB := openConsole(b, ctx, dsn)
	defer closeDB()
	app := ui.NewApp(ui.Options{Source: ops.New(db), Refresh: -1, Profile: colorprofile.TrueColor, Context: ctx})
	l := newEventLoop(app)
	defer l.close()
	l.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	l.exec(app.Init())
	l.until(b, "the inventory", inventoryShown)

	b.Run("cursor", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		keys := []tea.KeyPressMsg{keyDown, keyUp}
		for i := 0; b.Loop(); i++ {
			before := cursorAt(l.view)
			start := time.Now()
			l.send(keys[i%2])
			l.until(b, "the cursor moved", func(v string) bool { return cursorAt(v) != before })
			d = append(d, time.Since(start))
		}
		reportMillis(b, d)
	})
	b.Run("open-v1-detail", func(b *testing.B) {
		for !strings.Contains(cursorAt(l.view), "  v1  ") { // v1 is the first row by name
			before := cursorAt(l.view)
			l.send(keyUp)
			l.until(b, "the cursor moved", func(v string) bool { return cursorAt(v) != before })
		}
		d := make([]time.Duration, 0, b.N)
		for b.Loop() {
			start := time.Now()
			l.send(keyEnter)
			l.until(b, "v1's detail", func(v string) bool {
				return detailShown(v) && strings.HasPrefix(ansi.Strip(strings.Split(v, "\n")[3]), "v1 · ")
			})
			d = append(d, time.Since(start))
			b.StopTimer()
			l.send(keyEsc)
			l.until(b, "the inventory", inventoryShown)
			b.StartTimer()
		}
		reportMillis(b, d)
	})
	b.Run("back-to-inventory", func(b *testing.B) {
		d := make([]time.Duration, 0, b.N)
		for b.Loop() {
			b.StopTimer()
			l.send(keyEnter)
			l.until(b, "v1's detail", detailShown)
			b.StartTimer()
			start := time.Now()
			l.send(keyEsc)
			l.until(b, "the inventory", inventoryShown)
			d = append(d, time.Since(start))
		}
		reportMillis(b, d)
	})
}

// BenchmarkStartToFirstFrame is the console's start with a running
// database, as `console --dsn` does it: open the pool and check the schema,
// build the App, Init, size, and run the loads until the first frame that
// shows the inventory's rows.
func BenchmarkStartToFirstFrame(b *testing.B) {
	dsn := benchDSN(b)
	ctx := context.Background()
	fs, c, _ := command("console")
	g := &c.g
	if err := fs.Parse([]string{"--dsn", dsn, "--data-dir", b.TempDir()}); err != nil {
		b.Fatal(err)
	}
	d := make([]time.Duration, 0, b.N)
	for b.Loop() {
		start := time.Now()
		db, closeDB, err := g.open(ctx)
		if err != nil {
			b.Fatal(err)
		}
		app := ui.NewApp(ui.Options{Source: ops.New(db), Refresh: -1, Profile: colorprofile.TrueColor, Context: ctx})
		l := newEventLoop(app)
		l.send(tea.WindowSizeMsg{Width: 120, Height: 40})
		l.exec(app.Init())
		l.until(b, "the inventory", inventoryShown)
		d = append(d, time.Since(start))
		b.StopTimer()
		l.close()
		closeDB()
		b.StartTimer()
	}
	reportMillis(b, d)
}
