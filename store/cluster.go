package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Cluster is a private PostgreSQL cluster that the console creates with the
// system's initdb and runs with pg_ctl: its data under Dir/pgdata, its socket in
// Dir/run, no TCP at all. Several consoles may share one cluster; the last one to
// leave stops it. A console that crashed leaves its registration behind, which
// the next one recognises as dead (stale pid) and clears.
type Cluster struct {
	Dir    string // the console's data directory
	BinDir string // where initdb, pg_ctl and postgres live
	// Fast trades durability for speed (fsync off); for tests and benchmarks only.
	Fast bool
	// SharedBuffers sets shared_buffers (e.g. "2GB") for large data sets;
	// empty keeps PostgreSQL's default.
	SharedBuffers string

	runAs *user.User // the unprivileged user the server runs as when we are root
	uid   int
	gid   int
}

// ClusterDatabase is the database the console keeps in its private cluster.
const ClusterDatabase = "wallet_console"

// ClusterSuperuser is the bootstrap role initdb creates.
const ClusterSuperuser = "postgres"

const clusterPort = 5432

// DefaultDataDir is where the console keeps its data when --data-dir is not
// given. Root's home is closed to the server's user, so root uses /var/lib.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/wallet-console"
	}
	if x := os.Getenv("XDG_DATA_HOME"); x != "" {
		return filepath.Join(x, "wallet-console")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(os.TempDir(), "wallet-console")
	}
	return filepath.Join(home, ".local", "share", "wallet-console")
}

// FindPostgresBin finds the directory holding initdb and pg_ctl: on PATH first,
// then Debian's /usr/lib/postgresql/<major>/bin, newest major first.
func FindPostgresBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(matches, func(i, j int) bool { return majorOf(matches[i]) > majorOf(matches[j]) })
	if len(matches) > 0 {
		return filepath.Dir(matches[0]), nil
	}
	return "", errors.New("PostgreSQL server programs (initdb, pg_ctl) not found: install the postgresql package (apt-get install postgresql) or give --dsn for an existing server")
}

func majorOf(initdbPath string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdbPath))))
	return n
}

// NewCluster describes the cluster in dir; nothing is created or started yet.
func NewCluster(dir string) (*Cluster, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("data directory %q: %w", dir, err)
	}
	bin, err := FindPostgresBin()
	if err != nil {
		return nil, err
	}
	c := &Cluster{Dir: abs, BinDir: bin, uid: os.Getuid(), gid: os.Getgid()}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root; run it as the system's postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, but there is no 'postgres' user to run the database server as: install the postgresql package or run the console as an ordinary user")
		}
		c.runAs = u
		c.uid, _ = strconv.Atoi(u.Uid)
		c.gid, _ = strconv.Atoi(u.Gid)
	}
	// A unix socket path is limited to 107 bytes.
	if n := len(c.SocketDir()) + len("/.s.PGSQL.5432"); n > 107 {
		return nil, fmt.Errorf("data directory %q is too deep for a unix socket path (%d bytes, at most 107): choose a shorter --data-dir", abs, n)
	}
	return c, nil
}

func (c *Cluster) dataDir() string { return filepath.Join(c.Dir, "pgdata") }

// SocketDir is the directory of the server's unix socket.
func (c *Cluster) SocketDir() string { return filepath.Join(c.Dir, "run") }

func (c *Cluster) logFile() string { return filepath.Join(c.Dir, "postgresql.log") }

// DSN is the connection string for db in this cluster.
func (c *Cluster) DSN(db string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.SocketDir(), clusterPort, ClusterSuperuser, db)
}

// Start creates the cluster if it does not exist, starts it unless it runs
// already, and registers this process as a user of it. Pair with Release.
func (c *Cluster) Start(ctx context.Context) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()

	// initdb and pg_ctl run to the end (they have their own time limit): a
	// Ctrl-C half-way would leave a half-made cluster or an orphan server.
	ctx = context.WithoutCancel(ctx)
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	if !c.running() {
		if err := c.start(ctx); err != nil {
			// A server that came up but did not answer in time would be an orphan.
			_, _ = c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
			return err
		}
	}
	return c.register()
}

// Release unregisters this process and stops the server if no live console
// uses it any more.
func (c *Cluster) Release(ctx context.Context) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	_ = os.Remove(filepath.Join(c.usersDir(), strconv.Itoa(os.Getpid())))
	if len(c.liveUsers()) > 0 || !c.running() {
		return nil
	}
	return c.stop(ctx)
}

// Stop stops the server whoever uses it (tests and `console` shutdown paths).
func (c *Cluster) Stop(ctx context.Context) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	_ = os.RemoveAll(c.usersDir())
	if !c.running() {
		return nil
	}
	return c.stop(ctx)
}

// InUse reports whether a live console (or test) is registered with the cluster.
func (c *Cluster) InUse() bool {
	unlock, err := c.lock()
	if err != nil {
		return true
	}
	defer unlock()
	return len(c.liveUsers()) > 0
}

func (c *Cluster) usersDir() string { return filepath.Join(c.Dir, "consoles") }

func (c *Cluster) register() error {
	if err := os.MkdirAll(c.usersDir(), 0o755); err != nil {
		return fmt.Errorf("register console: %w", err)
	}
	return os.WriteFile(filepath.Join(c.usersDir(), strconv.Itoa(os.Getpid())), nil, 0o644)
}

// liveUsers lists registered consoles whose process still exists, removing
// the registrations of those that died without releasing.
func (c *Cluster) liveUsers() []int {
	entries, _ := os.ReadDir(c.usersDir())
	var live []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if processAlive(pid) {
			live = append(live, pid)
		} else {
			_ = os.Remove(filepath.Join(c.usersDir(), e.Name()))
		}
	}
	return live
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// lock serialises consoles starting and stopping the same cluster.
func (c *Cluster) lock() (func(), error) {
	f, err := os.OpenFile(filepath.Join(c.Dir, "console.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock data directory: %w", err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// running reports whether a server runs on our data directory. A postmaster.pid
// left by a server that died (or whose pid now belongs to another program) is
// stale: it is removed so that the next start succeeds.
func (c *Cluster) running() bool {
	pidFile := filepath.Join(c.dataDir(), "postmaster.pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		return false
	}
	first, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err == nil && processAlive(pid) {
		comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.HasPrefix(strings.TrimSpace(string(comm)), "postgres") {
			return true
		}
	}
	_ = os.Remove(pidFile)
	return false
}

func (c *Cluster) initdb(ctx context.Context) error {
	for _, d := range []string{c.Dir, c.SocketDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
	}
	if err := c.chown(c.Dir); err != nil {
		return err
	}
	if err := c.chown(c.SocketDir()); err != nil {
		return err
	}
	// Made aside and renamed into place, so that an interrupted initdb never
	// leaves a pgdata that looks whole.
	tmp := c.dataDir() + ".new"
	_ = os.RemoveAll(tmp)
	args := []string{"-D", tmp, "-U", ClusterSuperuser, "--auth=trust", "--encoding=UTF8", "--locale=C"}
	if c.Fast {
		args = append(args, "--no-sync")
	}
	if out, err := c.run(ctx, "initdb", args...); err != nil {
		_ = os.RemoveAll(tmp)
		return fmt.Errorf("initdb in %s failed: %w\n%s", c.dataDir(), err, out)
	}
	if err := os.Rename(tmp, c.dataDir()); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	conf := filepath.Join(c.dataDir(), "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	defer f.Close()
	_, err = f.WriteString("\n# Written by the wallet console.\ninclude_if_exists = 'console.conf'\n")
	return err
}

// writeConf records where the socket lives (the data directory may have moved
// since initdb) and that the server listens on no TCP address.
func (c *Cluster) writeConf() error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "listen_addresses = ''\n")
	fmt.Fprintf(&b, "unix_socket_directories = '%s'\n", strings.ReplaceAll(c.SocketDir(), "'", "''"))
	fmt.Fprintf(&b, "unix_socket_permissions = 0700\n")
	fmt.Fprintf(&b, "port = %d\n", clusterPort)
	// Bulk demo loads take advisory locks per path prefix.
	fmt.Fprintf(&b, "max_locks_per_transaction = 1024\n")
	if c.Fast {
		fmt.Fprintf(&b, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	if c.SharedBuffers != "" {
		fmt.Fprintf(&b, "shared_buffers = '%s'\n", strings.ReplaceAll(c.SharedBuffers, "'", ""))
	}
	p := filepath.Join(c.dataDir(), "console.conf")
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		return fmt.Errorf("configure cluster: %w", err)
	}
	return c.chown(p)
}

func (c *Cluster) start(ctx context.Context) error {
	if err := os.MkdirAll(c.SocketDir(), 0o700); err != nil {
		return fmt.Errorf("create socket directory: %w", err)
	}
	if err := c.chown(c.SocketDir()); err != nil {
		return err
	}
	if err := c.writeConf(); err != nil {
		return err
	}
	out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-l", c.logFile(), "-w", "-t", "60", "start")
	if err != nil {
		tail := lastLines(c.logFile(), 10)
		return fmt.Errorf("start PostgreSQL in %s failed: %w\n%s%s", c.dataDir(), err, out, tail)
	}
	return nil
}

func (c *Cluster) stop(ctx context.Context) error {
	if out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "fast", "-w", "-t", "60", "stop"); err != nil {
		return fmt.Errorf("stop PostgreSQL in %s: %w\n%s", c.dataDir(), err, out)
	}
	return nil
}

func (c *Cluster) chown(path string) error {
	if c.runAs == nil {
		return nil
	}
	if err := os.Chown(path, c.uid, c.gid); err != nil {
		return fmt.Errorf("give %s to the %s user: %w", path, c.runAs.Username, err)
	}
	return nil
}

// run runs one of the server programs, as the unprivileged user when we are root.
func (c *Cluster) run(ctx context.Context, prog string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, prog), args...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.runAs != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{
			Credential: &syscall.Credential{Uid: uint32(c.uid), Gid: uint32(c.gid)},
		}
		cmd.Env = append(cmd.Env, "HOME="+c.Dir, "USER="+c.runAs.Username)
	}
	// pg_ctl's server outlives us: give it no pipes it could hold open.
	if prog == "pg_ctl" {
		cmd.SysProcAttr = withSetsid(cmd.SysProcAttr)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		err = fmt.Errorf("%s did not finish in 2 minutes", prog)
	}
	return out.String(), err
}

func withSetsid(a *syscall.SysProcAttr) *syscall.SysProcAttr {
	if a == nil {
		a = &syscall.SysProcAttr{}
	}
	// The server must not die with the console's terminal or process group
	// (Ctrl-C): the console stops it itself, cleanly.
	a.Setsid = true
	return a
}

func lastLines(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "server log (" + path + "):\n" + strings.Join(lines, "\n") + "\n"
}
