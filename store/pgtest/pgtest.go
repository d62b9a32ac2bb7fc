// Package pgtest gives tests a real PostgreSQL: one private cluster per test
// binary (started with the system's initdb/pg_ctl on a unix socket in a temp
// dir, as the console's embedded default but with trust authentication), and a fresh, migrated
// database per test, cloned from a template so that each costs milliseconds.
package pgtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/store"
)

// Logins created in the cluster for tests of roles and the two-person rule.
var Logins = map[string]string{
	"alice":  "wallet_operator", // files requests, allocates
	"bob":    "wallet_approver",
	"carol":  "wallet_approver",
	"viewer": "wallet_viewer",
}

const template = "wallet_template"

var (
	cluster  *store.Cluster
	dir      string
	counter  atomic.Int64
	setup    sync.Once
	setupErr error
)

// Main runs the tests of a package against a private cluster and stops it
// afterwards. Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		_ = cluster.Stop(ctx)
		cancel()
		_ = os.RemoveAll(dir)
	}
	return code
}

// Cluster returns the test cluster, starting it on first use.
func Cluster(tb testing.TB) *store.Cluster {
	tb.Helper()
	setup.Do(func() { setupErr = start() })
	if setupErr != nil {
		tb.Fatalf("test PostgreSQL: %v", setupErr)
	}
	return cluster
}

// sweep stops and removes clusters left in the temp dir by test binaries
// that died before their cleanup ran (a timeout panic, a kill): no live
// process is registered with them any more.
func sweep() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "wlc-pg-*"))
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pgdata", "PG_VERSION")); err != nil {
			continue
		}
		c, err := store.NewCluster(d)
		if err != nil || c.InUse() {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if c.Stop(ctx) == nil {
			_ = os.RemoveAll(d)
		}
		cancel()
	}
}

func start() error {
	var err error
	sweep()
	// Short path: unix socket paths are limited to 107 bytes.
	dir, err = os.MkdirTemp("", "wlc-pg-")
	if err != nil {
		return err
	}
	// The server may run as the postgres user (when tests run as root): it must
	// be able to enter the directory.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	c, err := store.NewCluster(dir)
	if err != nil {
		return err
	}
	c.Fast = true
	// Trust, not the console's peer authentication: these tests impersonate
	// several logins (alice, bob, …) from one OS user through DSN user=,
	// which peer forbids for good reason. The login tests (cmd/console
	// login_test.go) use the real peer set-up of a cluster the console starts.
	c.Trust = true
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := c.Start(ctx); err != nil {
		return err
	}
	cluster = c
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+template); err != nil {
		return err
	}
	db, err := store.Open(ctx, store.Options{DSN: c.DSN(template)})
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return err
	}
	for login, role := range Logins {
		if _, err := admin.Exec(ctx, fmt.Sprintf("CREATE ROLE %s LOGIN IN ROLE %s", login, role)); err != nil {
			return err
		}
	}
	return nil
}

// DSN is the connection string for database name as the superuser.
func DSN(tb testing.TB, name string) string {
	return Cluster(tb).DSN(name)
}

// DSNAs is the connection string for database name as login.
func DSNAs(tb testing.TB, name, login string) string {
	c := Cluster(tb)
	return fmt.Sprintf("host=%s port=5432 user=%s dbname=%s sslmode=disable", c.SocketDir(), login, name)
}

// NewDatabase creates a fresh migrated database and returns its name; it is
// dropped when the test ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	c := Cluster(tb)
	name := fmt.Sprintf("t%d_%d", os.Getpid(), counter.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		tb.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name+" TEMPLATE "+template); err != nil {
		tb.Fatal(err)
	}
	// Database-level grants live in pg_database and are not copied from the
	// template: repeat migration 001's REVOKE for the clone.
	if _, err := admin.Exec(ctx, "REVOKE TEMPORARY ON DATABASE "+name+" FROM PUBLIC"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, c.DSN("postgres"))
		if err != nil {
			return
		}
		defer conn.Close(ctx)
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return name
}

// Open creates a fresh migrated database and opens it as the superuser.
func Open(tb testing.TB) *store.DB {
	tb.Helper()
	name := NewDatabase(tb)
	db, err := store.Open(context.Background(), store.Options{DSN: DSN(tb, name)})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(db.Close)
	return db
}
