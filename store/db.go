// Package store is the console's PostgreSQL side: the connection (to a server
// or to the private cluster it runs itself), the schema migrations, and typed
// queries and transactions for the screens. Every change of state it makes is
// one transaction together with its wallet_operations_log row.
package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Options say which database to use.
type Options struct {
	// DSN of a server. Empty means: the libpq environment (PGHOST, PGDATABASE,
	// ..., DATABASE_URL) if any is set, else the embedded cluster in DataDir.
	DSN string
	// DataDir of the embedded cluster (default DefaultDataDir()).
	DataDir string
	// FastCluster turns fsync off in a cluster created for tests or benchmarks.
	FastCluster bool
	// ConnectTimeout bounds the first contact (default 5 s).
	ConnectTimeout time.Duration
	// ReadOnly makes every session of the pool read-only in PostgreSQL
	// (default_transaction_read_only), so that no code path of a --read-only
	// console can write, whatever the UI shows: a write comes back as
	// ErrReadOnly (SQLSTATE 25006).
	ReadOnly bool
}

// DB is an open database: a pgx pool, and the cluster behind it when embedded.
type DB struct {
	pool     *pgxpool.Pool
	cluster  *Cluster
	where    string
	readOnly bool
}

// libpqVars are the environment variables that name a server for libpq tools;
// when one is set the operator means that server, not the embedded cluster.
var libpqVars = []string{"DATABASE_URL", "PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"}

// UsesServer reports whether opt (with the environment) points at a server
// rather than the embedded cluster.
func UsesServer(opt Options) bool {
	if opt.DSN != "" {
		return true
	}
	for _, v := range libpqVars {
		if os.Getenv(v) != "" {
			return true
		}
	}
	return false
}

// Open connects to the database opt names, starting the embedded cluster
// when it names none.
func Open(ctx context.Context, opt Options) (*DB, error) {
	if opt.ConnectTimeout == 0 {
		opt.ConnectTimeout = 5 * time.Second
	}
	db := &DB{}
	dsn := opt.DSN
	if dsn == "" {
		dsn = os.Getenv("DATABASE_URL")
	}
	if !UsesServer(opt) {
		dir := opt.DataDir
		if dir == "" {
			dir = DefaultDataDir()
		}
		c, err := NewCluster(dir)
		if err != nil {
			return nil, err
		}
		c.Fast = opt.FastCluster
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		if err := c.ensureDatabase(ctx, ClusterDatabase); err != nil {
			_ = c.Release(context.WithoutCancel(ctx))
			return nil, err
		}
		db.cluster = c
		dsn = c.DSN(ClusterDatabase)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		db.releaseCluster()
		// pgx quotes the DSN in some parse errors; never show a password.
		return nil, fmt.Errorf("the database connection string is not valid: %s", redact(err.Error(), dsn))
	}
	cfg.ConnConfig.ConnectTimeout = opt.ConnectTimeout
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = "wallet-console"
	if opt.ReadOnly {
		// Sent in the startup packet of every connection the pool opens, so
		// it holds before the first statement. It is only a session default:
		// a session may still SET default_transaction_read_only = off (or
		// BEGIN READ WRITE) itself, so nothing in this package ever does.
		// Against a login that means harm, the viewer role is the guard.
		cfg.ConnConfig.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db.readOnly = opt.ReadOnly
	db.where = describe(cfg, db.cluster)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		db.releaseCluster()
		return nil, fmt.Errorf("database %s: %s", db.where, redact(err.Error(), dsn))
	}
	pctx, cancel := context.WithTimeout(ctx, opt.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		db.releaseCluster()
		var pg *pgconn.PgError
		if errors.As(err, &pg) && (pg.Code == "28P01" || pg.Code == "28000" || pg.Code == "3D000") {
			// It answered, and said no.
			return nil, fmt.Errorf("database %s refused the connection: %s (check the user, password and database name in --dsn)", db.where, redact(pg.Message, dsn))
		}
		return nil, fmt.Errorf("database %s does not answer: %s (check --dsn and that the server is running)", db.where, whyNoAnswer(err, dsn, opt.ConnectTimeout))
	}
	db.pool = pool
	return db, nil
}

func describe(cfg *pgxpool.Config, c *Cluster) string {
	if c != nil {
		return "embedded (" + c.Dir + ")"
	}
	cc := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", cc.User, cc.Host, cc.Port, cc.Database)
}

// Where says which database this is, for the header and for messages; it
// never contains a password.
func (db *DB) Where() string { return db.where }

// ReadOnly reports whether the sessions are read-only (Options.ReadOnly).
func (db *DB) ReadOnly() bool { return db.readOnly }

// Embedded reports whether the console runs the database itself.
func (db *DB) Embedded() bool { return db.cluster != nil }

// Pool is the connection pool, for the packages that run their own SQL
// (tests, benchmarks, demo data).
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping measures one round trip to the database.
func (db *DB) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	_, err := db.pool.Exec(ctx, "SELECT 1")
	return time.Since(start), err
}

// Login is the database login this console acts as (session_user): the
// name the two-person rule and the audit log's db_user know it by.
func (db *DB) Login(ctx context.Context) (string, error) {
	var u string
	if err := db.pool.QueryRow(ctx, "SELECT session_user").Scan(&u); err != nil {
		return "", fmt.Errorf("who am I in the database: %w", explain(err))
	}
	return u, nil
}

// Close closes the pool and, when embedded, leaves the cluster (stopping it if
// no other console uses it).
func (db *DB) Close() {
	if db.pool != nil {
		db.pool.Close()
	}
	db.releaseCluster()
}

func (db *DB) releaseCluster() {
	if db.cluster == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_ = db.cluster.Release(ctx)
	db.cluster = nil
}

// whyNoAnswer says in a few words why a server did not answer, instead of
// pgconn's chain of "failed to connect to ...: dial error: dial unix ...".
func whyNoAnswer(err error, dsn string, timeout time.Duration) string {
	switch {
	case errors.Is(err, syscall.ENOENT):
		return "there is no server socket at that path"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens at that address (connection refused)"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "that host cannot be reached from here"
	case errors.Is(err, context.DeadlineExceeded), os.IsTimeout(err):
		return fmt.Sprintf("no answer within %s", timeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("the host name %q does not resolve", dnsErr.Name)
	}
	return redact(err.Error(), dsn)
}

// redact removes the password of dsn from msg.
func redact(msg, dsn string) string {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil || cfg.ConnConfig.Password == "" {
		return msg
	}
	return strings.ReplaceAll(msg, cfg.ConnConfig.Password, "********")
}
