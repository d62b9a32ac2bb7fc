// Command console is the wallet lifecycle console: with no sub-command the
// full-screen console; with one, the same facts for scripts and cron.
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

	"github.com/plings/walletconsole/store"
)

const usage = `Usage: console [global flags] <command> [flags]

Commands:
  (none)            the full-screen console (--read-only, --refresh, --token for the HSM)
  status            print the wallet inventory (--json for machines)
  health            the six health checks per wallet; exit 0 healthy, 1 warning, 2 unhealthy, 3 unknown
  show VERSION      print one wallet's detail (manufacturers, allocations, lineage, operations)
  migrate           apply the database schema and say what was done
  demo              load demo data into an empty database (--paths N adds N generated paths)
  allocate          allocate a path: --wallet v1 --path 2.3.4 --quantity 100
  audit verify      check the operations log's hash chain
  audit log         print the operations log (--wallet, --type, --by, --limit)
  hsm info          the PKCS#11 module and its tokens (--pkcs11-module, --token)
  hsm keys          keys on the token (--token LABEL, PIN asked without echo or --pin-file)
  hsm selftest      log in, make a session key, sign 1,000 times, verify, time, destroy it
  request new       file a wallet creation request: --environment --purpose --security-level --lifespan --reason
                    [--risk, --priority, --email, --business-impact, --hsm-requirements, ...]
  request list      the creation requests, newest first, and where each stands (--json)
  request show ID   one request: its fields, each decision, what it waits for (--json)
  request approve ID --role R [--reason TEXT]   decide as your database login (never your own request)
  request reject ID --role R --reason TEXT
  request export ID FILE   write the approved request, witnesses and next version for the ceremony machine
  witness add NAME KEYFILE   put a ceremony witness on the roster with their OpenSSH .pub key
  witness list      the active witnesses on the roster
  ceremony run --token LABEL [--transcript-dir DIR]   the witnessed key ceremony, on the air-gapped machine
  ceremony verify FILE   check a ceremony transcript anywhere, offline (hash chain, master and witness signatures)
  ceremony import FILE   create the wallet version a verified transcript made (connected side; once only)
  ceremony prove-backup VERSION --backup-token LABEL [--pin-file F]   prove the backup token holds the master key (needed to activate)

Global flags:
`

// globals are the flags every command takes.
type globals struct {
	dsn      string
	dataDir  string
	operator string
	logFile  string
}

func (g *globals) register(fs *flag.FlagSet) {
	fs.StringVar(&g.dsn, "dsn", "", "PostgreSQL server to use (default: libpq environment, else the embedded cluster)")
	fs.StringVar(&g.dataDir, "data-dir", store.DefaultDataDir(), "data directory of the embedded cluster")
	fs.StringVar(&g.operator, "operator", defaultOperator(), "your name, as it goes into the operations log")
	fs.StringVar(&g.logFile, "log-file", "", "structured log file (default: console.log in the data directory)")
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

func run(args []string, stdout, stderr io.Writer) int {
	// SIGHUP too: a dropped SSH session or a closed terminal must end the
	// console through its clean-up (an unfinished ceremony is aborted).
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer stop()

	cmd, rest := splitCommand(args)
	var err error
	switch cmd {
	case "help":
		fs := flag.NewFlagSet("console", flag.ContinueOnError)
		new(globals).register(fs)
		fmt.Fprint(stdout, usage)
		fs.SetOutput(stdout)
		fs.PrintDefaults()
		return 0
	case "console":
		err = cmdConsole(ctx, rest, stdout)
	case "status":
		err = cmdStatus(ctx, rest, stdout)
	case "show":
		err = cmdShow(ctx, rest, stdout)
	case "migrate":
		err = cmdMigrate(ctx, rest, stdout)
	case "demo":
		err = cmdDemo(ctx, rest, stdout)
	case "allocate":
		err = cmdAllocate(ctx, rest, stdout)
	case "audit":
		err = cmdAudit(ctx, rest, stdout)
	case "hsm":
		err = cmdHSM(ctx, rest, stdout)
	case "health":
		err = cmdHealth(ctx, rest, stdout)
	case "request":
		err = cmdRequest(ctx, rest, stdout)
	case "witness":
		err = cmdWitness(ctx, rest, stdout)
	case "ceremony":
		err = cmdCeremony(ctx, rest, stdout)
	default:
		err = fmt.Errorf("unknown command %q: run `console help` for the list", cmd)
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "console:", err)
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// splitCommand finds the sub-command: the first argument that is neither a
// flag nor the value of a global flag that takes one.
func splitCommand(args []string) (string, []string) {
	takesValue := map[string]bool{"--dsn": true, "--data-dir": true, "--operator": true, "--log-file": true,
		"--pkcs11-module": true, "--token": true, "--pin-file": true, "--refresh": true, "--screen": true, "--transcript-dir": true, "--net-root": true}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-h" || a == "--help" {
			return "help", nil
		}
		if len(a) > 0 && a[0] == '-' {
			if takesValue[a] {
				i++
			}
			continue
		}
		rest := append(append([]string{}, args[:i]...), args[i+1:]...)
		return a, rest
	}
	return "console", args
}

// open connects to the database the flags name, migrates it and sets up the
// log file. The returned close must be called (it stops the embedded cluster
// when this is the last console using it).
func (g *globals) open(ctx context.Context) (*store.DB, func(), error) {
	closeLog := g.setupLog()
	db, err := store.Open(ctx, store.Options{DSN: g.dsn, DataDir: g.dataDir})
	if err != nil {
		closeLog()
		return nil, nil, err
	}
	if err := db.EnsureSchema(ctx); err != nil {
		db.Close()
		closeLog()
		return nil, nil, err
	}
	slog.Info("database open", "where", db.Where())
	return db, func() { db.Close(); closeLog() }, nil
}

// setupLog sends slog to a file: the terminal belongs to the output (and, in
// the full-screen console, to the UI).
func (g *globals) setupLog() func() {
	path := g.logFile
	if path == "" {
		path = filepath.Join(g.dataDir, "console.log")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
		return func() {}
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
		return func() {}
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(f, nil)))
	return func() { f.Close() }
}
