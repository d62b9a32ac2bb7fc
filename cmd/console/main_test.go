package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

var consoleBin string

// The binary is built once and driven as an operator would, as a process.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wlc-bin-")
	if err != nil {
		panic(err)
	}
	consoleBin = filepath.Join(dir, "console")
	if out, err := exec.Command("go", "build", "-o", consoleBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

func console(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(consoleBin, args...)
	// No libpq variables from the test's environment unless a test sets them.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out, errb bytes.Buffer
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

// dataDir is a short, enterable directory (the server may run as postgres).
func dataDir(t *testing.T) string {
	d, err := os.MkdirTemp("", "wlc-data-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(d, 0o755)
	t.Cleanup(func() {
		if c, err := store.NewCluster(d); err == nil {
			_ = c.Stop(context.Background())
		}
		os.RemoveAll(d)
	})
	return d
}

func serverRunning(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "pgdata", "postmaster.pid"))
	return err == nil
}

func TestEmbeddedClusterDemoAndStatus(t *testing.T) {
	dir := dataDir(t)
	r := console(t, nil, "demo", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("demo: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if serverRunning(dir) {
		t.Errorf("the embedded server still runs after `console demo` exited")
	}
	pgVersion := filepath.Join(dir, "pgdata", "PG_VERSION")
	first, err := os.Stat(pgVersion)
	if err != nil {
		t.Fatalf("no cluster in %s: %v", dir, err)
	}
	for i := 0; i < 2; i++ {
		r = console(t, nil, "status", "--data-dir", dir)
		if r.code != 0 {
			t.Fatalf("status #%d: %d %s", i+1, r.code, r.stderr)
		}
		for _, want := range []string{"embedded (" + dir + ")", "VERSION", "v1", "v2", "deprecated", "85%", "retired"} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("status #%d lacks %q:\n%s", i+1, want, r.stdout)
			}
		}
		if serverRunning(dir) {
			t.Errorf("status #%d left the server running", i+1)
		}
	}
	// Reused, not re-created.
	again, _ := os.Stat(pgVersion)
	if !again.ModTime().Equal(first.ModTime()) {
		t.Errorf("the cluster was re-initialised")
	}
	r = console(t, nil, "demo", "--if-empty", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "not loaded again") {
		t.Errorf("demo --if-empty on loaded data: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "demo", "--data-dir", dir)
	if r.code == 0 {
		t.Errorf("a second demo load was accepted")
	}
	r = console(t, nil, "audit", "verify", "--data-dir", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "audit chain OK") {
		t.Errorf("audit verify on demo data: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// A console that crashed leaves its server running and its registration
// behind; the next console adopts the server and stops it when it leaves.
func TestCrashedConsoleIsCleanedUp(t *testing.T) {
	dir := dataDir(t)
	if r := console(t, nil, "migrate", "--data-dir", dir); r.code != 0 {
		t.Fatal(r.stderr)
	}
	// Simulate the crash: start the server, then make the registration belong
	// to a process that no longer exists.
	c, err := store.NewCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dead := exec.Command("true")
	dead.Run()
	reg := filepath.Join(dir, "consoles")
	os.Rename(filepath.Join(reg, itoa(os.Getpid())), filepath.Join(reg, itoa(dead.Process.Pid)))
	if !serverRunning(dir) {
		t.Fatal("server not running after start")
	}
	r := console(t, nil, "status", "--data-dir", dir)
	if r.code != 0 {
		t.Fatalf("status after a crash: %s", r.stderr)
	}
	if serverRunning(dir) {
		t.Errorf("the orphaned server still runs after the next console left")
	}
	// A stale postmaster.pid from a server that died is no obstacle either.
	os.WriteFile(filepath.Join(dir, "pgdata", "postmaster.pid"), []byte(itoa(dead.Process.Pid)+"\n"), 0o600)
	if r := console(t, nil, "status", "--data-dir", dir); r.code != 0 {
		t.Errorf("status with a stale postmaster.pid: %s", r.stderr)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// Two consoles started at the same moment on a data directory that does not
// exist yet: one creates the cluster, both use it, and it is stopped after both.
func TestTwoConsolesStartTogether(t *testing.T) {
	dir := dataDir(t)
	os.RemoveAll(dir) // let the consoles create it
	done := make(chan result, 2)
	for i := 0; i < 2; i++ {
		go func() { done <- console(t, nil, "status", "--data-dir", dir) }()
	}
	for i := 0; i < 2; i++ {
		if r := <-done; r.code != 0 {
			t.Errorf("console %d: %d %s", i, r.code, r.stderr)
		}
	}
	if serverRunning(dir) {
		t.Errorf("the server still runs after both consoles left")
	}
}
