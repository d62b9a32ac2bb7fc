// Command console is the wallet lifecycle console: with no sub-command the
// full-screen console; with one, the same facts for scripts and cron. Each
// command is parse → call ops → print: its flags and handler are bound to
// the registry's entry in commands.go.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
)

// globals are the flags every command takes.
type globals struct {
	dsn      string
	dataDir  string
	operator string
	logFile  string
	// readOnly opens a read-only database session (the full-screen
	// console's --read-only): no code path below the UI can write either.
	readOnly bool
	// owner connects to the embedded cluster as its owner: `console demo`
	// only (and migrate, which opens its own), never a console's session.
	owner bool
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dsn, "dsn", "", "PostgreSQL server to use (default: libpq environment, else the embedded cluster)")
	fs.StringVar(&g.dataDir, "data-dir", store.DefaultDataDir(), "data directory of the embedded cluster")
	fs.StringVar(&g.operator, "operator", defaultOperator(), "your name, as it goes into the operations log")
	fs.StringVar(&g.logFile, "log-file", "", "structured log file (default: console.log in the data directory, or in your cache directory when that is not yours)")
}

func defaultOperator() string {
	if u := os.Getenv("SUDO_USER"); u != "" {
		return u
	}
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	return "operator"
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitError carries a specific exit status (for `console health` and friends).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func run(args []string, stdout, stderr io.Writer) int {
	// SIGHUP too: a dropped SSH session or a closed terminal must end the
	// console through its clean-up (an unfinished ceremony is aborted).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer stop()

	err := dispatch(ctx, args, stdout)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "console:", operatorText(err))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// open connects to the database the flags name, migrates it and sets up the
// log file. The returned close must be called (it stops the embedded cluster
// when this is the last console using it).
func (g *globals) open(ctx context.Context) (*store.DB, func(), error) {
	closeLog := g.setupLog()
	db, err := store.Open(ctx, store.Options{DSN: g.dsn, DataDir: g.dataDir, ReadOnly: g.readOnly, Owner: g.owner})
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	if err := db.ApplySchema(ctx); err != nil {
		db.Close()
		closeLog()
		return nil, nil, err
	}
	login, _ := db.Login(ctx)
	slog.Info("database open", "where", db.Where(), "login", login)
	return db, func() { db.Close(); closeLog() }, nil
}

// service opens the database and returns the use cases over it, the
// operator's note as their actor.
func (g *globals) service(ctx context.Context) (*ops.Service, func(), error) {
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	s := ops.New(db)
	s.Actor = g.operator
	return s, func() { _ = s.Close(); closeDB() }, nil
}

// setupLog sends slog to a file: the terminal belongs to the output (and, in
// the full-screen console, to the UI).
func (g *globals) setupLog() func() {
	paths := []string{g.logFile}
	if g.logFile == "" {
		paths = []string{filepath.Join(g.dataDir, "console.log")}
		// A shared data directory is not writable by its guests: they log
		// to their own cache directory.
		if d, err := os.UserCacheDir(); err == nil {
			paths = append(paths, filepath.Join(d, "wallet-console", "console.log"))
		}
	}
	for _, path := range paths {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			continue
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			continue
		}
		slog.SetDefault(slog.New(slog.NewJSONHandler(f, nil)))
		return func() { f.Close() }
	}
	slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	return func() {}
}
