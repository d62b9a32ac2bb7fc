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
//
// Logins are the operating system's: the socket authenticates with peer, so
// the OS user is the database login (pg_hba.conf and pg_ident.conf are
// rewritten on every start, which also upgrades clusters made with trust).
// The owner (ClusterSuperuser) is reachable only by the server's OS user and
// by root (who can become it anyway); root's console itself logs in as
// ClusterAdmin, which is not a superuser. A root-run cluster is shared with
// the ConsoleGroup: its directory and socket are the group's, not everyone's.
// A console of another OS user (a guest) uses a running server but never
// starts or stops it: only the server's user and root can.
type Cluster struct {
	Dir    string // the console's data directory
	BinDir string // where initdb, pg_ctl and postgres live
	// Fast trades durability for speed (fsync off); for tests and benchmarks only.
	Fast bool
	// SharedBuffers sets shared_buffers (e.g. "2GB"); empty: the size
	// ClusterTuning gives this machine (PostgreSQL's default when Fast).
	SharedBuffers string
	// Untuned keeps PostgreSQL's defaults (benchmarks comparing the two).
	Untuned bool
	// Trust lets any local connection log in as any role (no peer check).
	// Only the test harness sets it: its tests impersonate several logins
	// from one OS user, which peer authentication forbids for good reason.
	Trust bool

	runAs *user.User // the unprivileged user the server runs as when we are root
	uid   int
	gid   int
	me    string // the OS user this console runs as
	// guest: the data directory belongs to another OS user (a shared cluster
	// this console may use but not start, stop or configure).
	guest bool
	group *user.Group // the console group of a shared cluster, nil when private
}

// ClusterDatabase is the database the console keeps in its private cluster.
const ClusterDatabase = "wallet_console"

// ClusterSuperuser is the bootstrap role initdb creates: the owner, used
// only to migrate and to load demo data.
const ClusterSuperuser = "postgres"

// ClusterAdmin is the login of root's console (and of the server's own OS
// user): not a superuser, but it may add logins (CREATEROLE) and both files
// and approves requests (wallet_operator, wallet_approver).
const ClusterAdmin = "wallet_admin"

// ConsoleGroup is the OS group whose members may use a root-run cluster
// (its directory and socket). Root creates it (groupadd) when missing.
const ConsoleGroup = "wallet-console"

// SharedDataDir is the data directory of root's console, shared with the
// ConsoleGroup.
const SharedDataDir = "/var/lib/wallet-console"

const clusterPort = 5432

// DefaultDataDir is where the console keeps its data when --data-dir is not
// given. Root's home is closed to the server's user, so root uses /var/lib.
// A member of the console group uses root's shared cluster when there is
// one: that is why the group exists.
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return SharedDataDir
	}
	if inGroupOf(SharedDataDir) {
		return SharedDataDir
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
	if me, err := user.Current(); err == nil {
		c.me = me.Username
	} else {
		return nil, fmt.Errorf("who am I: the OS user %d has no name (%v); the database login is the OS user's name", os.Getuid(), err)
	}
	if os.Geteuid() == 0 {
		// PostgreSQL refuses to run as root; run it as the system's postgres user.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, but there is no 'postgres' user to run the database server as: install the postgresql package or run the console as an ordinary user")
		}
		c.runAs = u
		c.uid, _ = strconv.Atoi(u.Uid)
		c.gid, _ = strconv.Atoi(u.Gid)
	} else if st, err := os.Stat(abs); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			c.guest = int(sys.Uid) != os.Getuid()
			// The server's own user starting root's shared cluster keeps it
			// shared (it is in the group: root put it there).
			if g, err := user.LookupGroup(ConsoleGroup); err == nil && !c.guest && g.Gid == strconv.Itoa(int(sys.Gid)) && inGroup(g.Gid) {
				c.group = g
			}
		}
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

// DSN is the connection string for db in this cluster as the owner: for
// migrations, demo data and tests. Peer authentication lets only the
// server's OS user and root use it (CanOwn).
func (c *Cluster) DSN(db string) string {
	return c.DSNAs(db, ClusterSuperuser)
}

// DSNAs is the connection string for db as login.
func (c *Cluster) DSNAs(db, login string) string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", c.SocketDir(), clusterPort, login, db)
}

// Login is the database login this OS user's console uses: ClusterAdmin for
// root and for the server's own user, else the OS user's name (peer).
func (c *Cluster) Login() string {
	if c.CanOwn() {
		return ClusterAdmin
	}
	return c.me
}

// CanOwn reports whether this process may act as the owner: it is root, or
// the OS user the server runs as.
func (c *Cluster) CanOwn() bool { return !c.guest }

// ownerUsers are the OS users peer authentication maps to the owner and to
// ClusterAdmin: the server's user, and root for root's shared cluster
// (whether root or the server's user starts it).
func (c *Cluster) ownerUsers() []string {
	switch {
	case c.runAs != nil:
		return []string{c.runAs.Username, "root"}
	case c.group != nil:
		return []string{c.me, "root"}
	}
	return []string{c.me}
}

// Start creates the cluster if it does not exist, starts it unless it runs
// already, and registers this process as a user of it. Pair with Release.
func (c *Cluster) Start(ctx context.Context) error {
	if c.guest {
		return c.join()
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	if c.runAs != nil {
		g, err := ensureGroup(c.runAs.Username)
		if err != nil {
			return err
		}
		c.group = g
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if err := c.layout(); err != nil {
		return err
	}

	// initdb and pg_ctl run to the end (they have their own time limit): a
	// Ctrl-C half-way would leave a half-made cluster or an orphan server.
	ctx = context.WithoutCancel(ctx)
	if _, err := os.Stat(filepath.Join(c.dataDir(), "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx); err != nil {
			return err
		}
	}
	changed, err := c.writeAuth()
	if err != nil {
		return err
	}
	if !c.running() {
		if err := c.start(ctx); err != nil {
			// A server that came up but did not answer in time would be an orphan.
			_, _ = c.run(ctx, "pg_ctl", "-D", c.dataDir(), "-m", "immediate", "-w", "stop")
			return err
		}
	} else if changed {
		// A server started before (by an older console, with trust) takes
		// the new authentication now; its socket's group and mode follow at
		// its next start.
		if out, err := c.run(ctx, "pg_ctl", "-D", c.dataDir(), "reload"); err != nil {
			return fmt.Errorf("reload PostgreSQL in %s for its new authentication: %w\n%s", c.dataDir(), err, out)
		}
	}
	return c.register()
}

// join is a guest's Start: the server must run already, and the guest only
// registers, so that the owner's last console does not stop it under them.
func (c *Cluster) join() error {
	if _, err := os.Stat(c.SocketDir()); errors.Is(err, os.ErrPermission) {
		return c.notInGroup()
	}
	if _, err := os.Stat(c.socket()); err != nil {
		if errors.Is(err, os.ErrPermission) {
			return c.notInGroup()
		}
		return c.notRunning()
	}
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	// Without a registration the owner's last console could stop the server
	// under this one; a directory that does not take it is no reason to refuse.
	_ = c.register()
	return nil
}

func (c *Cluster) socket() string {
	return filepath.Join(c.SocketDir(), fmt.Sprintf(".s.PGSQL.%d", clusterPort))
}

// ownerName is who owns the data directory (the server's user), for messages.
func (c *Cluster) ownerName() string {
	st, err := os.Stat(c.Dir)
	if err != nil {
		return "its owner"
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		if u, err := user.LookupId(strconv.Itoa(int(sys.Uid))); err == nil {
			return u.Username
		}
	}
	return "its owner"
}

// dirGid is the data directory's group id ("" when it cannot be read).
func (c *Cluster) dirGid() string {
	if st, err := os.Stat(c.Dir); err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			return strconv.Itoa(int(sys.Gid))
		}
	}
	return ""
}

// groupName is the data directory's group, for messages.
func (c *Cluster) groupName() string {
	st, err := os.Stat(c.Dir)
	if err == nil {
		if sys, ok := st.Sys().(*syscall.Stat_t); ok {
			if g, err := user.LookupGroupId(strconv.Itoa(int(sys.Gid))); err == nil {
				return g.Name
			}
		}
	}
	return ConsoleGroup
}

// ErrNotInGroup: this OS user may not reach a shared cluster's socket.
var ErrNotInGroup = errors.New("not in the console's group")

// ErrServerNotRunning: a guest found the shared server stopped.
var ErrServerNotRunning = errors.New("the shared database server is not running")

func (c *Cluster) notInGroup() error {
	g := c.groupName()
	return fmt.Errorf("%w: the database in %s is shared with the group %s, and you (%s) are not in it (permission denied on its socket): "+
		"ask root to run `usermod -a -G %s %s`, then log in again", ErrNotInGroup, c.Dir, g, c.me, g, c.me)
}

func (c *Cluster) notRunning() error {
	owner := c.ownerName()
	return fmt.Errorf("%w: the database in %s belongs to %s, and only root or %s can start it: "+
		"ask one of them to start a console on it (e.g. `sudo bin/console --data-dir %s`) and keep it open while you work",
		ErrServerNotRunning, c.Dir, owner, owner, c.Dir)
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
	if c.guest {
		// A guest cannot stop the server; the owner's next console that
		// leaves last does.
		return nil
	}
	if len(c.liveUsers()) > 0 || !c.running() {
		return nil
	}
	return c.stop(ctx)
}

// Stop stops the server whoever uses it (tests and `console` shutdown paths).
func (c *Cluster) Stop(ctx context.Context) error {
	if c.guest {
		return fmt.Errorf("only root or %s can stop the database in %s", c.ownerName(), c.Dir)
	}
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
	if !c.guest {
		if err := os.MkdirAll(c.usersDir(), 0o755); err != nil {
			return fmt.Errorf("register console: %w", err)
		}
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
	// A guest's flock needs only a read-only descriptor of the owner's file.
	flags := os.O_CREATE | os.O_RDWR
	if c.guest {
		flags = os.O_RDONLY
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "console.lock"), flags, 0o644)
	if errors.Is(err, os.ErrPermission) && c.guest {
		return nil, c.notInGroup()
	}
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
	// Made aside and renamed into place, so that an interrupted initdb never
	// leaves a pgdata that looks whole.
	tmp := c.dataDir() + ".new"
	_ = os.RemoveAll(tmp)
	// pg_hba.conf is rewritten (writeAuth) before the first start anyway.
	args := []string{"-D", tmp, "-U", ClusterSuperuser, "--auth-local=peer", "--auth-host=reject", "--encoding=UTF8", "--locale=C"}
	if c.Trust {
		args[4], args[5] = "--auth=trust", "--auth-host=trust"
	}
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
	if c.group != nil {
		// The group's members connect (as themselves, peer); nobody else.
		fmt.Fprintf(&b, "unix_socket_group = '%s'\n", c.group.Name)
		fmt.Fprintf(&b, "unix_socket_permissions = 0770\n")
	} else {
		fmt.Fprintf(&b, "unix_socket_permissions = 0700\n")
	}
	fmt.Fprintf(&b, "port = %d\n", clusterPort)
	// Bulk demo loads take advisory locks per path prefix.
	fmt.Fprintf(&b, "max_locks_per_transaction = 1024\n")
	if c.Fast {
		fmt.Fprintf(&b, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
	}
	if !c.Fast && !c.Untuned {
		// Sized for this machine at each start (cluster_tuning.go); the test
		// harness's clusters keep the defaults, many of them share a machine.
		if total, avail, err := machineMemory(); err == nil {
			for _, t := range ClusterTuning(total, avail, diskFree(c.dataDir())) {
				if t.Name == "shared_buffers" && c.SharedBuffers != "" {
					continue
				}
				fmt.Fprintf(&b, "%s = '%s'\t# %s\n", t.Name, t.Value, t.Why)
			}
		}
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

// layout gives the data directory, the socket directory, the registrations
// and the lock file to the server's user and, when shared, to the console
// group: the group may enter and connect, nobody else may (the database
// files themselves, pgdata, stay the server's alone). Done on every start,
// so that directories made by older consoles (0755, no group) are fixed.
func (c *Cluster) layout() error {
	dirMode, runMode, usersMode, lockMode := os.FileMode(0o700), os.FileMode(0o700), os.FileMode(0o700), os.FileMode(0o600)
	if c.group != nil {
		// Guests register in consoles/ (sticky: nobody removes another's
		// entry but the owner) and flock the lock file read-only.
		dirMode, runMode, usersMode, lockMode = 0o750, 0o750, 0o770|os.ModeSticky, 0o640
	}
	for _, d := range []struct {
		path string
		mode os.FileMode
		dir  bool
	}{{c.Dir, dirMode, true}, {c.SocketDir(), runMode, true}, {c.usersDir(), usersMode, true}, {filepath.Join(c.Dir, "console.lock"), lockMode, false}} {
		if d.dir {
			if err := os.MkdirAll(d.path, 0o700); err != nil {
				return fmt.Errorf("create %s: %w", d.path, err)
			}
		}
		if err := c.chown(d.path); err != nil {
			return err
		}
		if err := os.Chmod(d.path, d.mode); err != nil {
			return fmt.Errorf("set the permissions of %s: %w", d.path, err)
		}
	}
	return nil
}

// writeAuth writes pg_hba.conf and pg_ident.conf (peer on the socket; see
// Cluster) and reports whether either changed.
func (c *Cluster) writeAuth() (bool, error) {
	var hba, ident bytes.Buffer
	fmt.Fprintf(&hba, "# Written by the wallet console on every start: edits are lost.\n")
	fmt.Fprintf(&ident, "# Written by the wallet console on every start: edits are lost.\n")
	if c.Trust {
		fmt.Fprintf(&hba, "# Test cluster: any local connection may be any role.\nlocal all all trust\n")
	} else {
		// The first line that names the role decides. The owner and the
		// administrative login only for the OS users mapped to them; every
		// other login only for the OS user of the same name.
		fmt.Fprintf(&hba, "local all %s peer map=owner\n", ClusterSuperuser)
		fmt.Fprintf(&hba, "local all %s peer map=admin\n", ClusterAdmin)
		fmt.Fprintf(&hba, "local all all peer\n")
		for _, u := range c.ownerUsers() {
			fmt.Fprintf(&ident, "owner %s %s\n", u, ClusterSuperuser)
		}
		for _, u := range c.ownerUsers() {
			fmt.Fprintf(&ident, "admin %s %s\n", u, ClusterAdmin)
		}
	}
	changed := false
	for name, b := range map[string][]byte{"pg_hba.conf": hba.Bytes(), "pg_ident.conf": ident.Bytes()} {
		p := filepath.Join(c.dataDir(), name)
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, b) {
			continue
		}
		changed = true
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return false, fmt.Errorf("configure the cluster's logins (%s): %w", name, err)
		}
		if err := c.chown(p); err != nil {
			return false, err
		}
	}
	return changed, nil
}

// ensureGroup finds the console group, creating it (groupadd) when missing,
// and makes the server's user a member, so that it can give its socket to
// the group whoever starts it (root, or the server's user itself).
func ensureGroup(serverUser string) (*user.Group, error) {
	g, err := user.LookupGroup(ConsoleGroup)
	if err != nil {
		out, gerr := exec.Command("groupadd", "--system", ConsoleGroup).CombinedOutput()
		// Another console may have made it at the same moment.
		if g, err = user.LookupGroup(ConsoleGroup); err != nil {
			return nil, fmt.Errorf("create the OS group %s for the consoles sharing this database (groupadd): %v %s", ConsoleGroup, gerr, strings.TrimSpace(string(out)))
		}
	}
	u, err := user.Lookup(serverUser)
	if err != nil {
		return nil, fmt.Errorf("look up the server's user %s: %w", serverUser, err)
	}
	gids, _ := u.GroupIds()
	for _, id := range gids {
		if id == g.Gid {
			return g, nil
		}
	}
	if out, err := exec.Command("usermod", "-a", "-G", ConsoleGroup, serverUser).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("add the server's user %s to the group %s (usermod): %v %s", serverUser, ConsoleGroup, err, strings.TrimSpace(string(out)))
	}
	return g, nil
}

// inGroup reports whether this process has the group gid.
func inGroup(gid string) bool {
	if strconv.Itoa(os.Getegid()) == gid {
		return true
	}
	gs, _ := os.Getgroups()
	for _, g := range gs {
		if strconv.Itoa(g) == gid {
			return true
		}
	}
	return false
}

// inGroupOf reports whether dir exists, belongs to another user and to the
// console group, and this process is in that group: a shared cluster it
// may use.
func inGroupOf(dir string) bool {
	st, err := os.Stat(dir)
	if err != nil {
		return false
	}
	g, err := user.LookupGroup(ConsoleGroup)
	if err != nil {
		return false
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) != os.Getuid() && strconv.Itoa(int(sys.Gid)) == g.Gid && inGroup(g.Gid)
}

func (c *Cluster) chown(path string) error {
	gid := c.gid
	if c.group != nil {
		gid, _ = strconv.Atoi(c.group.Gid)
	}
	if c.runAs == nil && c.group == nil {
		return nil
	}
	if err := os.Chown(path, c.uid, gid); err != nil {
		return fmt.Errorf("give %s to the server's user (uid %d): %w", path, c.uid, err)
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
		cred := &syscall.Credential{Uid: uint32(c.uid), Gid: uint32(c.gid)}
		if c.group != nil {
			// The server gives its socket to the console group, which it
			// must be a member of (unix_socket_group).
			gid, _ := strconv.Atoi(c.group.Gid)
			cred.Groups = []uint32{uint32(gid)}
		}
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
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
