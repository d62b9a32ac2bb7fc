package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// tmuxSession drives the built console in a real terminal, as an operator in
// an SSH session would: keys in with send-keys, the screen out with capture-pane.
type tmuxSession struct {
	t    *testing.T
	name string
	sock string
	wait time.Duration // how long waitFor waits (default 15 s)
}

func startTmux(t *testing.T, cols, rows string, env []string, args ...string) *tmuxSession {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux not installed")
	}
	cmdline := "env"
	for _, kv := range env {
		cmdline += " " + shellQuote(kv)
	}
	cmdline += " " + shellQuote(consoleBin)
	for _, a := range args {
		cmdline += " " + shellQuote(a)
	}
	return startTmuxCommand(t, cols, rows, cmdline)
}

// startTmuxCommand runs a shell command line in a new tmux session.
func startTmuxCommand(t *testing.T, cols, rows, cmdline string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, name: "wlc", sock: t.TempDir() + "/tmux.sock"}
	// After the console exits, show a marker and keep the pane for inspection.
	cmdline += "; echo CONSOLE-EXITED-$?; sleep 30"
	out, err := exec.Command("tmux", "-S", s.sock, "new-session", "-d", "-s", s.name, "-x", cols, "-y", rows, cmdline).CombinedOutput()
	if err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	return s
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func (s *tmuxSession) keys(keys ...string) {
	s.t.Helper()
	args := append([]string{"-S", s.sock, "send-keys", "-t", s.name}, keys...)
	if out, err := exec.Command("tmux", args...).CombinedOutput(); err != nil {
		s.t.Fatalf("send-keys %v: %v %s", keys, err, out)
	}
}

func (s *tmuxSession) screen() string {
	out, err := exec.Command("tmux", "-S", s.sock, "capture-pane", "-p", "-t", s.name).CombinedOutput()
	if err != nil {
		return "capture-pane: " + err.Error() + ": " + string(out)
	}
	return string(out)
}

// waitFor waits until the screen shows every one of want, and returns it.
func (s *tmuxSession) waitFor(step string, want ...string) string {
	s.t.Helper()
	wait := s.wait
	if wait == 0 {
		wait = 15 * time.Second
	}
	deadline := time.Now().Add(wait)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		ok := true
		for _, w := range want {
			if !strings.Contains(scr, w) {
				ok = false
				break
			}
		}
		if ok {
			s.t.Logf("%s:\n%s", step, scr)
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: the screen never showed %q:\n%s", step, want, scr)
	return ""
}

// waitGone waits until the screen no longer shows any of gone.
func (s *tmuxSession) waitGone(step string, gone ...string) {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		left := false
		for _, g := range gone {
			left = left || strings.Contains(scr, g)
		}
		if !left {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("%s: the screen still shows one of %q:\n%s", step, gone, scr)
}

func TestConsoleInTmux(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	s := startTmux(t, "80", "24", []string{"TERM=xterm-256color", "HOME=" + os.TempDir()}, "--dsn", dsn, "--refresh", "1h")
	s.waitFor("start: the inventory", "Inventory", "v1", "v2", "v5", "deprecated", "q quit")

	s.keys("/", "v", "2")
	s.waitFor("filter for v2", "v2", "deprecated")
	s.waitGone("filter for v2 hides the others", "retired", "testing")
	s.keys("Enter", "Enter")
	s.waitFor("open v2's detail", "Manufacturers", "Volvo", "Ericsson", "migration out 85%")

	s.keys(":", "h", "e", "a", "l", "t", "h", "Enter")
	s.waitFor(":health", "[2 Health]", "database_response_time")

	s.keys("?")
	s.waitFor("help", "quit", "filter", "refresh")

	s.keys("q")
	scr := s.waitFor("quit", "CONSOLE-EXITED-0")
	// The alternate screen is gone: the console's frame is no longer there.
	if strings.Contains(scr, "[2 Health]") {
		t.Errorf("the terminal still shows the console after it quit:\n%s", scr)
	}
}

func TestConsoleTooSmallInTmux(t *testing.T) {
	name := pgtest.NewDatabase(t)
	s := startTmux(t, "40", "12", []string{"TERM=xterm-256color"}, "--dsn", pgtest.DSN(t, name), "--refresh", "1h")
	s.waitFor("40 columns", "enlarge")
	s.keys("q")
	s.waitFor("quit", "CONSOLE-EXITED-0")
}

// The database stops under a running console: the console stays, says so,
// and recovers by itself when the database is back.
func TestConsoleSurvivesDatabaseOutage(t *testing.T) {
	dir, err := os.MkdirTemp("", "wlc-out-")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	c, err := store.NewCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	c.Fast = true
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer c.Stop(ctx)
	if r := console(t, nil, "demo", "--dsn", c.DSN("postgres")); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	s := startTmux(t, "100", "30", []string{"TERM=xterm-256color"}, "--dsn", c.DSN("postgres"), "--refresh", "1s")
	s.waitFor("running", "Inventory", "v2", "DB ok")

	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	scr := s.waitFor("database stopped", "unreachable since")
	if !strings.Contains(scr, "v2") {
		t.Errorf("the last inventory is gone during the outage:\n%s", scr)
	}
	s.keys("2") // still answers keys
	s.waitFor("keys work during the outage", "[2 Health]")

	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	s.waitFor("database back", "DB ok")
	s.keys("q")
	s.waitFor("quit", "CONSOLE-EXITED-0")
}

// NO_COLOR gives plain text, and hostile names from the database show as
// harmless text (the pane is captured with its attributes: any SGR, OSC or
// clear-screen from the data would show up as an escape).
func TestConsoleNoColorAndInertNames(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Pool().Exec(ctx, `UPDATE wallet_versions SET description = E'\x1b[2J wiped' WHERE version_id = 1`); err != nil {
		t.Fatal(err)
	}
	// Migration 012 refuses such a name; the owner can still lift the rule
	// (or a database from before 012 has one), and the screen must stay inert.
	if _, err := db.Pool().Exec(ctx, `ALTER TABLE manufacturer_registry DROP CONSTRAINT manufacturer_name_printable;
		ALTER TABLE manufacturer_registry DISABLE TRIGGER manufacturer_name_guard`); err != nil {
		t.Fatal(err)
	}
	if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: 1, Index: 77, Name: "\x1b]52;c;aGk=\x07Evil"}, "test"); err != nil {
		t.Fatal(err)
	}
	s := startTmux(t, "120", "40", []string{"TERM=xterm-256color", "NO_COLOR=1"}, "--dsn", dsn, "--refresh", "1h")
	s.waitFor("start", "Inventory", "v1")
	s.keys("Enter")
	s.waitFor("v1 detail", `\x1b]52;c;aGk=\x07Evil`, `\x1b[2J wiped`)
	out, err := exec.Command("tmux", "-S", s.sock, "capture-pane", "-p", "-e", "-t", s.name).CombinedOutput()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "\x1b") {
		t.Errorf("NO_COLOR screen holds escape sequences:\n%q", out)
	}
	s.keys("q")
	s.waitFor("quit", "CONSOLE-EXITED-0")
}
