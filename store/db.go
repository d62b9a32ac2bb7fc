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
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
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
	// LockTimeout bounds how long any statement of the console waits for a
	// lock another session holds (PostgreSQL's lock_timeout, default 5 s;
	// negative: no limit). Past it the change fails with a clear error
	// (SQLSTATE 55P03) instead of hanging.
	LockTimeout time.Duration
	// StatementTimeout bounds any one statement (statement_timeout, default
	// 30 s; negative: no limit). The owner's long jobs (migrations, demo
	// data, bulk path generation) lift it for their own statements.
	StatementTimeout time.Duration
	// Owner connects to the embedded cluster as its owner (ClusterSuperuser)
	// instead of this OS user's own login: for `console migrate` and
	// `console demo` only, and only root or the server's user may. Without
	// it the console logs in as Cluster.Login, never as the owner. A server
	// (DSN) is always used as the login its DSN names.
	Owner bool
}

// Default session limits (Options.LockTimeout, Options.StatementTimeout).
const (
	DefaultLockTimeout      = 5 * time.Second
	DefaultStatementTimeout = 30 * time.Second
)

// DB is an open database: a pgx pool, and the cluster behind it when embedded.
type DB struct {
	pool     *pgxpool.Pool
	cluster  *Cluster
	where    string
	readOnly bool
	// unbounded holds the connections on which a long job lifted the
	// session limits (withoutTimeouts); they are reset when released.
	unbounded sync.Map
	opt       Options
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
// when it names none; there it logs in as this OS user's login
// (Cluster.Login), or as the owner with opt.Owner.
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
		if !c.CanOwn() && opt.Owner {
			return nil, fmt.Errorf("only root or %s, the owner of the database in %s, may migrate it or load data into it; "+
				"your console (%s) logs in as %s", c.ownerName(), c.Dir, c.me, c.Login())
		}
		if err := c.Start(ctx); err != nil {
			return nil, err
		}
		if c.CanOwn() {
			if err := c.prepare(ctx, ClusterDatabase); err != nil {
				_ = c.Release(context.WithoutCancel(ctx))
				return nil, err
			}
		}
		db.cluster = c
		login := c.Login()
		if opt.Owner {
			login = ClusterSuperuser
		}
		dsn = c.DSNAs(ClusterDatabase, login)
	}
	if err := db.connect(ctx, dsn, opt); err != nil {
		return nil, err
	}
	return db, nil
}

// connect opens db's pool on dsn and checks that it answers; on failure it
// leaves the cluster (if any).
func (db *DB) connect(ctx context.Context, dsn string, opt Options) error {
	db.opt = opt
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		db.releaseCluster()
		// pgx quotes the DSN in some parse errors; never show a password.
		return fmt.Errorf("the database connection string is not valid: %s", redact(err.Error(), dsn))
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
	lockTimeout, stmtTimeout := limit(opt.LockTimeout, DefaultLockTimeout), limit(opt.StatementTimeout, DefaultStatementTimeout)
	// In the startup packet too, so every connection of the pool has them
	// from its first statement; RESET comes back to them.
	cfg.ConnConfig.RuntimeParams["lock_timeout"] = pgDuration(lockTimeout)
	cfg.ConnConfig.RuntimeParams["statement_timeout"] = pgDuration(stmtTimeout)
	lockTimeoutShown.Store(int64(lockTimeout))
	statementTimeoutShown.Store(int64(stmtTimeout))
	cfg.PrepareConn = db.prepareConn
	cfg.AfterRelease = db.afterRelease
	db.readOnly = opt.ReadOnly
	db.where = describe(cfg, db.cluster)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		db.releaseCluster()
		return fmt.Errorf("database %s: %s", db.where, redact(err.Error(), dsn))
	}
	pctx, cancel := context.WithTimeout(ctx, opt.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		var why error
		if db.cluster != nil {
			why = db.cluster.refused(err, cfg.ConnConfig.User)
		}
		db.releaseCluster()
		if why != nil {
			return why
		}
		var pg *pgconn.PgError
		if errors.As(err, &pg) && (pg.Code == "28P01" || pg.Code == "28000" || pg.Code == "3D000") {
			// It answered, and said no.
			return fmt.Errorf("database %s refused the connection: %s (check the user, password and database name in --dsn)", db.where, redact(pg.Message, dsn))
		}
		return fmt.Errorf("database %s does not answer: %s (check --dsn and that the server is running)", db.where, whyNoAnswer(err, dsn, opt.ConnectTimeout))
	}
	db.pool = pool
	return nil
}

// limit is d, or def when d is zero, or 0 (no limit) when d is negative.
func limit(d, def time.Duration) time.Duration {
	switch {
	case d == 0:
		return def
	case d < 0:
		return 0
	}
	return d
}

// pgDuration writes d as a PostgreSQL time setting (whole milliseconds; a
// positive d below 1 ms is 1 ms, since 0 means no limit).
func pgDuration(d time.Duration) string {
	ms := d.Milliseconds()
	if d > 0 && ms == 0 {
		ms = 1
	}
	return strconv.FormatInt(ms, 10) + "ms"
}

// lift says which session limits a long job's context lifts.
type lift struct{ lock bool }

type liftKey struct{}

// withoutTimeouts marks ctx as a long owner job's (migrations, demo data, bulk
// path generation): every connection it acquires runs without a
// statement_timeout, and also without a lock_timeout when lock is true (the
// migration waits for another console's migration). The limits come back
// when the connection is released.
func withoutTimeouts(ctx context.Context, lock bool) context.Context {
	return context.WithValue(ctx, liftKey{}, lift{lock: lock})
}

func (db *DB) prepareConn(ctx context.Context, c *pgx.Conn) (bool, error) {
	l, ok := ctx.Value(liftKey{}).(lift)
	if !ok {
		return true, nil
	}
	sql := "SELECT set_config('statement_timeout', '0', false)"
	if l.lock {
		sql += ", set_config('lock_timeout', '0', false)"
	}
	if _, err := c.Exec(ctx, sql); err != nil {
		return false, err
	}
	db.unbounded.Store(c, true)
	return true, nil
}

func (db *DB) afterRelease(c *pgx.Conn) bool {
	if _, ok := db.unbounded.LoadAndDelete(c); !ok {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Back to the values of the startup packet.
	_, err := c.Exec(ctx, "SELECT set_config('statement_timeout', reset_val, false) FROM pg_settings WHERE name = 'statement_timeout' "+
		"UNION ALL SELECT set_config('lock_timeout', reset_val, false) FROM pg_settings WHERE name = 'lock_timeout'")
	return err == nil
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

// ApplySchema brings the schema up to date when a console starts. The
// console's own login may not change the schema, so on the embedded cluster
// a console that may act as the owner (root, the server's user) migrates
// over an owner connection of its own, closed at once; any other console
// only checks (EnsureSchema says what to do when the schema is behind).
func (db *DB) ApplySchema(ctx context.Context) error {
	if db.cluster == nil || !db.cluster.CanOwn() || db.readOnly || db.opt.Owner {
		return db.EnsureSchema(ctx)
	}
	latest, err := latestVersion()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	var current int32
	if err := db.pool.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&current); err == nil && current >= latest {
		return db.EnsureSchema(ctx) // up to date, or newer than this console: it says so
	}
	owner := &DB{}
	opt := db.opt
	opt.Owner = true
	if err := owner.connect(ctx, db.cluster.DSN(ClusterDatabase), opt); err != nil {
		return fmt.Errorf("apply the schema as the owner: %w", err)
	}
	defer owner.Close()
	return owner.EnsureSchema(ctx)
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
	case errors.Is(err, syscall.EACCES):
		return "permission denied on the server's socket (this OS user may not open it: its directory or group keeps you out)"
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

// redact removes the password of dsn from msg: in every form it may take
// there (as written, decoded, or each word of it), whether or not the DSN
// parses — pgx's own masking of a DSN that does not parse hides only the
// first word of a password with an escaped space.
func redact(msg, dsn string) string {
	secrets := dsnSecrets(dsn)
	if cfg, err := pgxpool.ParseConfig(dsn); err == nil && cfg.ConnConfig.Password != "" {
		secrets = append(secrets, cfg.ConnConfig.Password)
	}
	var all []string
	for _, s := range secrets {
		all = append(all, s)
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\\' || r == '\'' || r == '\t' }) {
			if len(w) >= 3 {
				all = append(all, w)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return len(all[i]) > len(all[j]) })
	for _, s := range all {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "********")
		}
	}
	return msg
}

// RedactDSN is dsn with its password masked, for messages and logs.
func RedactDSN(dsn string) string { return redact(dsn, dsn) }

// dsnSecrets reads the password out of a DSN without needing it to be valid:
// a URL's user information and password parameter, or a keyword/value
// string's password (quoted or with backslash escapes), raw and decoded.
func dsnSecrets(dsn string) []string {
	var out []string
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		rest := dsn[strings.Index(dsn, "://")+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				out = append(out, pw)
				if dec, err := url.PathUnescape(pw); err == nil {
					out = append(out, dec)
				}
			}
		}
		if _, q, ok := strings.Cut(dsn, "?"); ok {
			for _, kv := range strings.Split(q, "&") {
				if k, v, ok := strings.Cut(kv, "="); ok && k == "password" {
					out = append(out, v)
					if dec, err := url.QueryUnescape(v); err == nil {
						out = append(out, dec)
					}
				}
			}
		}
		return out
	}
	i := 0
	skip := func() {
		for i < len(dsn) && (dsn[i] == ' ' || dsn[i] == '\t' || dsn[i] == '\n' || dsn[i] == '\r') {
			i++
		}
	}
	for i < len(dsn) {
		skip()
		start := i
		for i < len(dsn) && dsn[i] != '=' && dsn[i] != ' ' && dsn[i] != '\t' {
			i++
		}
		key := dsn[start:i]
		skip()
		if i >= len(dsn) || dsn[i] != '=' {
			continue
		}
		i++
		skip()
		vstart := i
		var val strings.Builder
		if i < len(dsn) && dsn[i] == '\'' {
			i++
			for i < len(dsn) && dsn[i] != '\'' {
				if dsn[i] == '\\' && i+1 < len(dsn) {
					i++
				}
				val.WriteByte(dsn[i])
				i++
			}
			if i < len(dsn) {
				i++
			}
		} else {
			for i < len(dsn) && dsn[i] != ' ' && dsn[i] != '\t' && dsn[i] != '\n' && dsn[i] != '\r' {
				if dsn[i] == '\\' && i+1 < len(dsn) {
					i++
				}
				val.WriteByte(dsn[i])
				i++
			}
		}
		if key == "password" {
			out = append(out, dsn[vstart:i], val.String())
		}
	}
	return out
}
