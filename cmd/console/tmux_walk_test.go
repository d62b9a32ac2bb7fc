package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/store/pgtest"
)

// tmuxRun runs one tmux command on s's server and returns its output.
func (s *tmuxSession) tmuxRun(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// paneSize is the pane's size as tmux reports it, "80x23".
func (s *tmuxSession) paneSize() string {
	s.t.Helper()
	return s.tmuxRun("display", "-p", "-t", s.name, "#{pane_width}x#{pane_height}")
}

// waitPane waits until the pane is want ("80x23").
func (s *tmuxSession) waitPane(want string) {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	got := s.paneSize()
	for got != want && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		got = s.paneSize()
	}
	if got != want {
		s.t.Fatalf("the pane is %s, want %s", got, want)
	}
}

// The operator's case: an 80x24 terminal running tmux with its status bar,
// so the console's pane is 80x23. A detached tmux session has no status bar
// (the pane is the whole 80x24 window), so a real client is attached: an
// outer tmux (80x24, no status bar) runs `tmux attach` of the inner server,
// whose status bar then takes a line. The console starts only once the pane
// is 80x23, as it would in the operator's pane.
func TestTmuxWalk(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}

	// The inner server: its session waits for the console, status bar on.
	s := startTmuxCommand(t, "80", "24", "sleep 600")
	s.tmuxRun("set-option", "-g", "status", "on")
	s.waitPane("80x24") // nothing attached yet: no status bar

	// The operator's terminal: 80x24, attached to the inner session.
	outer := startTmuxCommand(t, "80", "24",
		"env -u TMUX TERM=xterm-256color tmux -S "+shellQuote(s.sock)+" attach -t "+s.name)
	outer.tmuxRun("set-option", "-g", "status", "off")
	outer.waitPane("80x24")
	s.waitPane("80x23")
	if n := s.tmuxRun("display", "-p", "-t", s.name, "#{session_attached}"); n != "1" {
		t.Fatalf("clients attached to the inner session: %s, want 1", n)
	}

	cmdline := "env TERM=xterm-256color HOME=" + shellQuote(os.TempDir()) + " " + shellQuote(consoleBin) +
		" --dsn " + shellQuote(dsn) + " --refresh 1h; echo CONSOLE-EXITED-$?; sleep 30"
	s.tmuxRun("respawn-pane", "-k", "-t", s.name, cmdline)

	// The inventory draws in the 80x23 pane.
	scr := s.waitFor("start: the inventory at 80x23", "Inventory", "NAME", "v1", "v2", "v3", "v4", "v5", "deprecated", "q quit")
	if strings.Contains(scr, "enlarge") {
		t.Fatalf("the console refused to draw at 80x23:\n%s", scr)
	}
	if got := s.paneSize(); got != "80x23" {
		t.Fatalf("the pane is %s while the console drew, want 80x23", got)
	}
	if lines := strings.Split(strings.TrimRight(scr, "\n"), "\n"); len(lines) > 23 {
		t.Errorf("captured %d lines from an 80x23 pane", len(lines))
	}

	// :v2 opens v2's detail; esc comes back to the inventory.
	s.keys(":", "v", "2", "Enter")
	s.waitFor(":v2 opens v2's detail", "v2 · deprecated", "Manufacturers", "Volvo", "esc back")
	s.keys("Escape")
	s.waitFor("esc returns to the inventory", "[1 Inventory]", "NAME", "v1", "v5", "a allocate")
	s.waitGone("esc left v2's detail", "Manufacturers")

	// The allocation flow, from the inventory's a on v1 (the first row).
	s.keys("a")
	s.waitFor("a opens the allocation flow", "Allocate a path", "[input]", "wallet       v1")
	s.keys("Enter") // to the path field
	s.waitFor("the path field", "> path")
	s.keys("2.77.1")
	s.waitFor("the path typed", "path         2.77.1")
	s.keys("C-s")
	s.waitFor("the plan and its checks", "[checks]", "Allocate 2.77.1 in v1", "PASS the wallet exists", "enter: continue")
	s.keys("Enter")
	s.waitFor("the confirmation", "[confirm]", "go ahead? y/N")
	s.keys("y")
	scr = s.waitFor("the result", "[result]", "allocated 2.77.1 in v1", "audit rows: #")
	m := regexp.MustCompile(`audit rows: #(\d+)`).FindStringSubmatch(scr)
	if m == nil {
		t.Fatalf("no audit row number in the result:\n%s", scr)
	}
	seq := m[1]
	s.keys("Enter") // close the result
	s.waitGone("the result closed", "[result]")

	// The audit screen shows the allocation's row.
	s.keys("3")
	scr = s.waitFor("the audit screen", "[3 Audit]", "path_allocation")
	row := regexp.MustCompile(`(?m)^\W*` + seq + `\s+\S+ \S+\s+v1\s+path_allocation\b`)
	if !row.MatchString(scr) {
		t.Errorf("the audit screen has no row #%s for v1's path_allocation:\n%s", seq, scr)
	}
	// And the operations log holds it (the console wrote it, not the screen).
	r := console(t, nil, "audit", "log", "--dsn", dsn, "--wallet", "v1", "--type", "path_allocation", "--limit", "1", "--json")
	var log struct {
		Operations []struct {
			Seq     int64 `json:"seq"`
			Details struct {
				BasePath string `json:"base_path"`
				Quantity int64  `json:"quantity"`
			} `json:"details"`
		} `json:"operations"`
	}
	if r.code != 0 {
		t.Fatalf("audit log: %d %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &log); err != nil {
		t.Fatalf("audit log --json: %v\n%s", err, r.stdout)
	}
	if len(log.Operations) != 1 || strconv.FormatInt(log.Operations[0].Seq, 10) != seq ||
		log.Operations[0].Details.BasePath != "2.77.1" || log.Operations[0].Details.Quantity != 1000 {
		t.Errorf("the newest path_allocation of v1 is not #%s for 2.77.1 (1,000):\n%s", seq, r.stdout)
	}

	// q quits: no flow or job is open.
	s.keys("q")
	scr = s.waitFor("q quits", "CONSOLE-EXITED-0")
	if strings.Contains(scr, "[3 Audit]") {
		t.Errorf("the console's frame is still there after q:\n%s", scr)
	}
}
