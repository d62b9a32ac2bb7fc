package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/store"
)

// The login tests run the embedded cluster exactly as the console starts it
// (peer authentication, the console group), not the trust harness of
// pgtest: each person is an OS user, and runuser makes the console theirs.

// needRoot skips when the tests cannot make OS users or switch to them.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the login tests make OS users (useradd) and run the console as them (runuser): run them as root")
	}
	for _, p := range []string{"useradd", "userdel", "runuser"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not found", p)
		}
	}
}

// sharedConsole is a data directory with demo data whose server this test
// holds open (registered as a console, as a root console in use would be),
// and a copy of the console every OS user may run.
type sharedConsole struct {
	dir, bin string
}

func newSharedConsole(t *testing.T) *sharedConsole {
	t.Helper()
	needRoot(t)
	s := &sharedConsole{dir: dataDir(t)}
	if r := console(t, nil, "demo", "--data-dir", s.dir); r.code != 0 {
		t.Fatalf("demo: %d %s", r.code, r.stderr)
	}
	c, err := store.NewCluster(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Release(context.Background()) })
	binDir, err := os.MkdirTemp("", "wlc-pub-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(binDir) })
	os.Chmod(binDir, 0o755)
	s.bin = filepath.Join(binDir, "console")
	src, err := os.Open(consoleBin)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.OpenFile(s.bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	dst.Close()
	return s
}

// root runs the console as root (this test process) on the shared directory.
func (s *sharedConsole) root(t *testing.T, args ...string) result {
	t.Helper()
	return console(t, nil, append(args, "--data-dir", s.dir)...)
}

// as runs the console as the OS user name, as `runuser -u NAME -- bin/console …`.
func (s *sharedConsole) as(t *testing.T, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command("runuser", append([]string{"-u", name, "--", s.bin}, append(args, "--data-dir", s.dir)...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{out.String(), errb.String(), code}
}

// osUser makes the OS user name (in the console group or not) unless it
// exists, and removes what it made when the test ends.
func osUser(t *testing.T, name string, inGroup bool) {
	t.Helper()
	retry := func(prog string, args ...string) {
		t.Helper()
		var out []byte
		var err error
		// /etc/passwd is locked while another test binary adds its group.
		for i := 0; i < 20; i++ {
			if out, err = exec.Command(prog, args...).CombinedOutput(); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s %v: %v %s", prog, args, err, out)
	}
	if _, err := user.Lookup(name); err == nil {
		if inGroup {
			retry("usermod", "-a", "-G", store.ConsoleGroup, name)
			t.Cleanup(func() { _ = exec.Command("gpasswd", "-d", name, store.ConsoleGroup).Run() })
		}
		return
	}
	args := []string{"--no-create-home", "--shell", "/usr/sbin/nologin"}
	if inGroup {
		args = append(args, "-G", store.ConsoleGroup)
	}
	retry("useradd", append(args, name)...)
	t.Cleanup(func() { _ = exec.Command("userdel", name).Run() })
}

var requestID = regexp.MustCompile(`WCR-\d{4}-\d{2}-\d{2}-\d{3}`)

// (a) The two-person rule on the embedded default: root's console files a
// request, bob approves it as himself over peer, root cannot approve its own.
func TestLoginWalkTwoPersonRule(t *testing.T) {
	s := newSharedConsole(t)
	osUser(t, "bob", true)
	if r := s.root(t, "user", "add", "bob", "--role", "approver"); r.code != 0 || !strings.Contains(r.stdout, "login bob added as approver") {
		t.Fatalf("user add bob: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := s.root(t, "user", "add", "bob", "--role", "approver"); r.code == 0 || !strings.Contains(r.stderr, "login exists") {
		t.Errorf("a second user add bob: %d %q", r.code, r.stderr)
	}
	r := s.root(t, "request", "new", "--environment", "testing", "--purpose", "capacity", "--security-level", "high",
		"--lifespan", "2 years", "--reason", "the login walk")
	id := requestID.FindString(r.stdout)
	if r.code != 0 || id == "" {
		t.Fatalf("request new: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := s.root(t, "request", "approve", id, "--role", "security"); r.code == 0 || !strings.Contains(r.stderr, "two-person rule") {
		t.Errorf("root approved its own request: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := s.as(t, "bob", "request", "approve", id, "--role", "security"); r.code != 0 || !strings.Contains(r.stdout, "approved as security by bob") {
		t.Fatalf("bob's approval: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = s.as(t, "bob", "request", "show", id, "--json")
	var req struct {
		RequestedBy string `json:"requested_by"`
		Approvals   []struct {
			Role, Approver string
		} `json:"approvals"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &req); err != nil {
		t.Fatalf("request show --json: %v %q %q", err, r.stdout, r.stderr)
	}
	if req.RequestedBy != store.ClusterAdmin || len(req.Approvals) != 1 || req.Approvals[0].Approver != "bob" || req.Approvals[0].Role != "security" {
		t.Errorf("the request does not name the logins (filed by %s, approved by bob): %+v", store.ClusterAdmin, req)
	}
	if r := s.root(t, "request", "show", id); !strings.Contains(r.stdout, "bob") || !strings.Contains(r.stdout, store.ClusterAdmin) {
		t.Errorf("request show does not name the logins:\n%s", r.stdout)
	}
}

// (b) The console's session is neither the owner nor a superuser, whoever
// runs it; --read-only is a read-only session whatever the login.
func TestSessionLoginIsNotTheOwner(t *testing.T) {
	s := newSharedConsole(t)
	ctx := context.Background()
	for _, ro := range []bool{false, true} {
		db, err := store.Open(ctx, store.Options{DataDir: s.dir, ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		var cur, sess, readOnly string
		var super bool
		err = db.Pool().QueryRow(ctx, "SELECT current_user, session_user, rolsuper, current_setting('default_transaction_read_only') FROM pg_roles WHERE rolname = current_user").
			Scan(&cur, &sess, &super, &readOnly)
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		if cur != store.ClusterAdmin || sess != store.ClusterAdmin || super || cur == store.ClusterSuperuser {
			t.Errorf("root's console session is %s (session %s, superuser %v): want %s, not a superuser", cur, sess, super, store.ClusterAdmin)
		}
		if want := map[bool]string{false: "off", true: "on"}[ro]; readOnly != want {
			t.Errorf("--read-only %v: default_transaction_read_only = %s", ro, readOnly)
		}
	}
	// The owner is kept for migrations and demo data: root may ask for it
	// there, and gets a superuser.
	db, err := store.Open(ctx, store.Options{DataDir: s.dir, Owner: true})
	if err != nil {
		t.Fatal(err)
	}
	login, _ := db.Login(ctx)
	db.Close()
	if login != store.ClusterSuperuser {
		t.Errorf("Options.Owner logs in as %s", login)
	}
	// The full-screen console's header and every log row say who acted.
	if r := s.root(t, "allocate", "--wallet", "v1", "--path", "2.3.4.77", "--quantity", "1"); r.code != 0 {
		t.Fatalf("allocate as root: %s", r.stderr)
	}
	r := s.root(t, "audit", "log", "--limit", "1", "--json")
	if !strings.Contains(r.stdout, `"db_user": "`+store.ClusterAdmin+`"`) {
		t.Errorf("the allocation is not logged as %s:\n%s", store.ClusterAdmin, r.stdout)
	}
}

// (c) A viewer's login reads and cannot write.
func TestViewerLoginCannotWrite(t *testing.T) {
	s := newSharedConsole(t)
	osUser(t, "wlc-carol", true)
	if r := s.root(t, "user", "add", "wlc-carol", "--role", "viewer"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	if r := s.as(t, "wlc-carol", "status"); r.code != 0 || !strings.Contains(r.stdout, "v2") {
		t.Fatalf("the viewer cannot read: %d %q", r.code, r.stderr)
	}
	r := s.as(t, "wlc-carol", "allocate", "--wallet", "v1", "--path", "2.3.4.78", "--quantity", "1")
	if r.code == 0 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("the viewer allocated: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = s.as(t, "wlc-carol", "user", "add", "wlc-mallory", "--role", "approver")
	if r.code == 0 || !strings.Contains(r.stderr, "only an administrative login may add users") {
		t.Errorf("the viewer added a login: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// (d) A disabled login cannot log in; its records stay.
func TestDisabledLoginCannotLogIn(t *testing.T) {
	s := newSharedConsole(t)
	osUser(t, "wlc-dave", true)
	if r := s.root(t, "user", "add", "wlc-dave", "--role", "operator"); r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	if r := s.as(t, "wlc-dave", "status"); r.code != 0 {
		t.Fatalf("dave before disable: %s", r.stderr)
	}
	if r := s.root(t, "user", "disable", "wlc-dave"); r.code != 0 || !strings.Contains(r.stdout, "disabled") {
		t.Fatalf("user disable: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r := s.as(t, "wlc-dave", "status")
	if r.code == 0 || !strings.Contains(r.stderr, "your database login wlc-dave is disabled") || strings.Contains(r.stderr, "SQLSTATE") {
		t.Errorf("a disabled login: %d %q", r.code, r.stderr)
	}
	r = s.root(t, "user", "list", "--json")
	var ls []struct {
		Login   string   `json:"login"`
		Roles   []string `json:"roles"`
		Enabled bool     `json:"enabled"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ls); err != nil {
		t.Fatalf("user list --json: %v %q %q", err, r.stdout, r.stderr)
	}
	seen := map[string]bool{}
	for _, l := range ls {
		seen[l.Login] = true
		if l.Login == "wlc-dave" && (l.Enabled || strings.Join(l.Roles, ",") != "operator") {
			t.Errorf("user list: %+v", l)
		}
		if l.Login == store.ClusterAdmin && (!l.Enabled || strings.Join(l.Roles, ",") != "approver,operator,admin") {
			t.Errorf("user list: %+v", l)
		}
	}
	if !seen["wlc-dave"] || !seen[store.ClusterAdmin] || seen[store.ClusterSuperuser] {
		t.Errorf("user list: %+v", ls)
	}
	if r := s.root(t, "user", "disable", "nobody-here"); r.code == 0 || !strings.Contains(r.stderr, "no such login") {
		t.Errorf("disabling a login that is not there: %d %q", r.code, r.stderr)
	}
}

// (e) An OS user outside the console group cannot reach the socket, and is
// told why and what to ask for.
func TestOutsiderCannotConnect(t *testing.T) {
	s := newSharedConsole(t)
	osUser(t, "wlc-eve", false)
	r := s.as(t, "wlc-eve", "status")
	want := "usermod -a -G " + store.ConsoleGroup + " wlc-eve"
	if r.code == 0 || !strings.Contains(r.stderr, "permission denied on its socket") || !strings.Contains(r.stderr, want) ||
		strings.Contains(r.stderr, "dial") || strings.Contains(r.stderr, "open /") {
		t.Errorf("an outsider: %d %q", r.code, r.stderr)
	}
	// Not the group's either: the socket and directories are not everyone's.
	for _, p := range []string{s.dir, filepath.Join(s.dir, "run"), filepath.Join(s.dir, "run", ".s.PGSQL.5432")} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm()&0o007 != 0 {
			t.Errorf("%s is open to everyone: %v", p, st.Mode())
		}
	}
}

// A guest finds the shared server stopped: it says who can start it, and
// a guest never asks for the owner.
func TestGuestFindsServerStopped(t *testing.T) {
	needRoot(t)
	s := &sharedConsole{dir: dataDir(t)}
	if r := s.root(t, "migrate"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	full := newSharedConsole(t) // for its public binary
	s.bin = full.bin
	osUser(t, "bob", true)
	r := s.as(t, "bob", "status")
	if r.code == 0 || !strings.Contains(r.stderr, "only root or postgres can start it") || strings.Contains(r.stderr, "dial") {
		t.Errorf("bob on a stopped server: %d %q", r.code, r.stderr)
	}
	if r := full.as(t, "bob", "demo"); r.code == 0 || !strings.Contains(r.stderr, "only root or postgres") {
		t.Errorf("bob asked for the owner: %d %q", r.code, r.stderr)
	}
}

// A cluster made by an older console (trust: any role from any OS user) is
// upgraded when a console starts it, and a running one is reloaded.
func TestTrustClusterIsUpgraded(t *testing.T) {
	needRoot(t)
	dir := dataDir(t)
	ctx := context.Background()
	old, err := store.NewCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	old.Trust = true
	if err := old.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer old.Release(ctx)
	admin, err := store.Open(ctx, store.Options{DSN: old.DSN("postgres")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Pool().Exec(ctx, "CREATE ROLE wlc_someone LOGIN"); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	asSomeone := func() error {
		db, err := store.Open(ctx, store.Options{DSN: old.DSNAs("postgres", "wlc_someone")})
		if err == nil {
			db.Close()
		}
		return err
	}
	if err := asSomeone(); err != nil {
		t.Fatalf("the trust cluster refused: %v", err)
	}
	// The console starts on it while it runs.
	if r := console(t, nil, "status", "--data-dir", dir); r.code != 0 {
		t.Fatalf("status: %s", r.stderr)
	}
	if err := asSomeone(); err == nil {
		t.Errorf("root still logs in as any role after the upgrade (pg_hba.conf not reloaded)")
	}
	hba, _ := os.ReadFile(filepath.Join(dir, "pgdata", "pg_hba.conf"))
	if strings.Contains(string(hba), "trust") || !strings.Contains(string(hba), "peer map=") {
		t.Errorf("pg_hba.conf:\n%s", hba)
	}
}

// The server's own OS user (postgres) may run a console on root's shared
// cluster too: it logs in as the administrative login, not as the owner,
// and leaves the cluster as root's (root's consoles still get in).
func TestServerUserConsoleOnSharedCluster(t *testing.T) {
	s := newSharedConsole(t)
	r := s.as(t, "postgres", "user", "list", "--json")
	if r.code != 0 {
		t.Fatalf("postgres's console: %d %q", r.code, r.stderr)
	}
	r = s.as(t, "postgres", "request", "new", "--environment", "testing", "--purpose", "capacity", "--security-level", "high",
		"--lifespan", "1 year", "--reason", "filed by the server's user")
	if r.code != 0 || !strings.Contains(r.stdout, "by "+store.ClusterAdmin) {
		t.Errorf("postgres's console does not log in as %s: %d %q %q", store.ClusterAdmin, r.code, r.stdout, r.stderr)
	}
	// Before any root console rewrites it again: a root console open now
	// must still get its next connection.
	ident, _ := os.ReadFile(filepath.Join(s.dir, "pgdata", "pg_ident.conf"))
	if !strings.Contains(string(ident), "admin root "+store.ClusterAdmin) {
		t.Errorf("pg_ident.conf lost root:\n%s", ident)
	}
	if r := s.root(t, "status"); r.code != 0 {
		t.Errorf("root's console after postgres's: %s", r.stderr)
	}
}

// user add refuses, before opening any database, a name that is not an OS
// login's, the console's own names and a role that does not exist.
func TestUserAddRefusals(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"user", "add", `bob"; DROP ROLE wallet_admin; --`, "--role", "viewer"}, "is not a login name"},
		{[]string{"user", "add", "Bob", "--role", "viewer"}, "is not a login name"},
		{[]string{"user", "add", "postgres", "--role", "viewer"}, "owner"},
		{[]string{"user", "add", "root", "--role", "viewer"}, "root's console logs in as wallet_admin"},
		{[]string{"user", "add", "wallet_admin", "--role", "viewer"}, "not a person's login"},
		{[]string{"user", "add", "pg_monitor", "--role", "viewer"}, "PostgreSQL's and the console's own roles"},
		{[]string{"user", "add", "bob", "--role", "superuser"}, `no such role "superuser"`},
		{[]string{"user", "add", "bob"}, "needs --role"},
		{[]string{"user", "disable", "wallet_admin"}, "not a person's login"},
	} {
		r := console(t, nil, append(tc.args, "--data-dir", t.TempDir())...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: %d %q (want %q)", tc.args, r.code, r.stderr, tc.want)
		}
	}
}
