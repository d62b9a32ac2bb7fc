package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// deployDB is the demo (v1 the active default with 100 % of the traffic, v4
// deployed without a rollout) and the DSNs of the owner and the logins.
type deployDB struct {
	owner, alice, bob string
	db                *store.DB
}

func newDeployDB(t *testing.T) deployDB {
	t.Helper()
	name := pgtest.NewDatabase(t)
	d := deployDB{owner: pgtest.DSN(t, name), alice: pgtest.DSNAs(t, name, "alice"), bob: pgtest.DSNAs(t, name, "bob")}
	if r := console(t, nil, "demo", "--dsn", d.owner); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	db, err := store.Open(context.Background(), store.Options{DSN: d.owner})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	d.db = db
	return d
}

func mustConsole(t *testing.T, args ...string) string {
	t.Helper()
	r := console(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("console %s: exit %d: %s %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

type statusDoc struct {
	Rollout *struct {
		Step         int     `json:"step"`
		State        string  `json:"state"`
		Reason       string  `json:"reason"`
		SetWeight    int     `json:"set_weight"`
		ActualWeight float64 `json:"actual_weight"`
		StepStarted  string  `json:"step_started_at"`
		Measurements []struct {
			Metric string `json:"metric"`
			Passed bool   `json:"passed"`
		} `json:"measurements"`
	} `json:"rollout"`
	Shares []struct {
		Wallet  string  `json:"wallet"`
		Percent float64 `json:"percent"`
	} `json:"shares"`
}

func status(t *testing.T, dsn, v string) statusDoc {
	t.Helper()
	var s statusDoc
	out := mustConsole(t, "deploy", "status", v, "--json", "--dsn", dsn)
	if err := json.Unmarshal([]byte(out), &s); err != nil || s.Rollout == nil {
		t.Fatalf("deploy status --json: %v %s", err, out)
	}
	return s
}

func (s statusDoc) share(w string) float64 {
	for _, x := range s.Shares {
		if x.Wallet == w {
			return x.Percent
		}
	}
	return 0
}

// bg is a console process running in the background, its output collected.
type bg struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
	code int
}

func (b *bg) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.Write(p)
}

func (b *bg) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.out.String()
}

func startConsole(t *testing.T, args ...string) *bg {
	t.Helper()
	b := &bg{cmd: exec.Command(consoleBin, args...), done: make(chan struct{})}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			b.cmd.Env = append(b.cmd.Env, kv)
		}
	}
	b.cmd.Stdout, b.cmd.Stderr = b, b
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := b.cmd.Wait()
		b.code = 0
		if ee, ok := err.(*exec.ExitError); ok {
			b.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				b.code = -int(ws.Signal())
			}
		}
		close(b.done)
	}()
	t.Cleanup(func() {
		select {
		case <-b.done:
		default:
			_ = b.cmd.Process.Kill()
			<-b.done
		}
	})
	return b
}

func (b *bg) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-b.done:
		return b.code
	case <-time.After(d):
		t.Fatalf("still running after %s:\n%s", d, b.output())
	}
	return 0
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", d, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Acceptance 2: simulated errors above the threshold during step 25 % roll
// the rollout back automatically: traffic back to the old default with the
// audit row in the same transaction, and status says why with the failing
// measurements.
func TestDeployRollsBackOnErrors(t *testing.T) {
	d := newDeployDB(t)
	mustConsole(t, "deploy", "start", "v4", "--steps", "1:2s,5:2s,25:30s,50:2s,100", "--interval", "500ms",
		"--failure-limit", "2", "--dsn", d.alice)
	mustConsole(t, "demo", "traffic", "v4", "--error-rate", "0", "--for", "10m", "--dsn", d.alice)
	mustConsole(t, "deploy", "approve", "v4", "--gate", "go", "--reason", "healthy on staging", "--dsn", d.bob)
	run := startConsole(t, "deploy", "run", "v4", "--dsn", d.alice)
	waitFor(t, 30*time.Second, "step 3 (25 %)", func() bool {
		s := status(t, d.alice, "v4")
		return s.Rollout.Step == 3 && s.Rollout.State == "running"
	})
	if s := status(t, d.alice, "v4"); s.share("v4") != 25 || s.share("v1") != 75 {
		t.Fatalf("at step 3 the shares are v1 %v, v4 %v", s.share("v1"), s.share("v4"))
	}
	mustConsole(t, "demo", "traffic", "v4", "--error-rate", "0.05", "--latency-ms", "200", "--for", "10m", "--dsn", d.alice)
	if code := run.wait(t, 30*time.Second); code != 2 {
		t.Fatalf("deploy run exited %d, want 2 (rolled back):\n%s", code, run.output())
	}
	if !strings.Contains(run.output(), "rolled back") {
		t.Errorf("the controller did not say it rolled back:\n%s", run.output())
	}
	s := status(t, d.alice, "v4")
	if s.Rollout.State != "rolled_back" || s.Rollout.Step != 3 || !strings.Contains(s.Rollout.Reason, "error_rate failed 2 times") {
		t.Errorf("after the errors: %+v", s.Rollout)
	}
	if s.share("v4") != 0 || s.share("v1") != 100 {
		t.Errorf("traffic not back to v1: v1 %v, v4 %v", s.share("v1"), s.share("v4"))
	}
	text := mustConsole(t, "deploy", "status", "v4", "--dsn", d.bob)
	for _, want := range []string{"✖ rolled back", "step 3 (25 %) failed its analysis", "Failed measurements:", "✗ step 3 (25 %) error_rate 5 %", "console deploy start v4"} {
		if !strings.Contains(text, want) {
			t.Errorf("deploy status lacks %q:\n%s", want, text)
		}
	}
	// The rollback's audit row carries the traffic it moved and the failing
	// measurements; it was written by the function that moved the traffic.
	var details string
	if err := d.db.Pool().QueryRow(context.Background(), `SELECT operation_details::text FROM wallet_operations_log
		WHERE operation_type = 'deployment_rollback' AND wallet_version = 4 AND db_user = 'alice'`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"v1": {"after": 100, "before": 75}`, `"v4": {"after": 0, "before": 25}`, `"metric": "error_rate", "passed": false`} {
		if !strings.Contains(details, want) {
			t.Errorf("the rollback's audit row lacks %s: %s", want, details)
		}
	}
	if r := console(t, nil, "audit", "verify", "--dsn", d.owner); r.code != 0 {
		t.Errorf("audit verify: %s %s", r.stdout, r.stderr)
	}
}

// Acceptance 3 (and point 4, a second controller): `kill -9` of `deploy
// run` in the middle of a step, then `deploy run` again: it continues the
// same step with the remaining dwell, no step repeated or skipped.
func TestDeployRunKilledResumes(t *testing.T) {
	d := newDeployDB(t)
	mustConsole(t, "deploy", "start", "v4", "--steps", "1:1s,5:10s,50:1s,100", "--interval", "1s", "--dsn", d.alice)
	mustConsole(t, "demo", "traffic", "v4", "--for", "10m", "--dsn", d.alice)
	mustConsole(t, "deploy", "approve", "v4", "--gate", "go", "--dsn", d.bob)
	first := startConsole(t, "deploy", "run", "v4", "--dsn", d.alice)
	waitFor(t, 20*time.Second, "step 2 under way", func() bool {
		s := status(t, d.alice, "v4")
		return s.Rollout.Step == 2 && len(s.Rollout.Measurements) > 0 && strings.Contains(first.output(), "step 2 (5 %)")
	})
	// A second controller on the same rollout is refused, saying who holds it.
	second := console(t, nil, "deploy", "run", "v4", "--dsn", d.alice)
	if second.code == 0 || !strings.Contains(second.stderr, "login alice") || !strings.Contains(second.stderr, "holds its controller lock") {
		t.Errorf("second controller: exit %d %s", second.code, second.stderr)
	}
	time.Sleep(2 * time.Second)
	before := status(t, d.alice, "v4")
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if code := first.wait(t, 10*time.Second); code != -int(syscall.SIGKILL) {
		t.Fatalf("the first controller was not killed by SIGKILL (exit %d)", code)
	}
	if before.Rollout.Step != 2 {
		t.Fatalf("killed at step %d, want 2", before.Rollout.Step)
	}
	restarted := time.Now()
	again := startConsole(t, "deploy", "run", "v4", "--dsn", d.alice)
	waitFor(t, 30*time.Second, "the promotion gate", func() bool {
		return status(t, d.alice, "v4").Rollout.State == "waiting_for_gate"
	})
	if !strings.Contains(again.output(), "step 2 of 4: 5 % of the traffic — ") || !strings.Contains(again.output(), "of its dwell left") {
		t.Errorf("the restarted controller did not pick up step 2 with its remaining dwell:\n%s", again.output())
	}
	mustConsole(t, "deploy", "approve", "v4", "--gate", "promotion", "--dsn", d.bob)
	if code := again.wait(t, 20*time.Second); code != 0 {
		t.Fatalf("the resumed controller exited %d:\n%s", code, again.output())
	}
	// Each step applied exactly once, in order; step 2 kept its start, and
	// step 3 began when step 2's dwell (from the database's start) ended,
	// not a whole dwell after the restart.
	rows, err := d.db.Pool().Query(context.Background(), `SELECT (operation_details->>'step')::int, "timestamp" FROM wallet_operations_log
		WHERE operation_type = 'deployment_step' AND wallet_version = 4 ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	var at []time.Time
	for rows.Next() {
		var s int
		var ts time.Time
		if err := rows.Scan(&s, &ts); err != nil {
			t.Fatal(err)
		}
		steps, at = append(steps, s), append(at, ts)
	}
	rows.Close()
	if len(steps) != 4 || steps[0] != 1 || steps[1] != 2 || steps[2] != 3 || steps[3] != 4 {
		t.Fatalf("steps applied: %v, want [1 2 3 4] once each", steps)
	}
	started2, err := time.Parse(time.RFC3339Nano, before.Rollout.StepStarted)
	if err != nil {
		t.Fatal(err)
	}
	if !at[1].Equal(started2) {
		t.Errorf("step 2 started at %s before the kill, its audit row says %s", started2, at[1])
	}
	if gap := at[2].Sub(at[1]); gap < 10*time.Second {
		t.Errorf("step 3 began %s after step 2: its 10 s dwell was cut short", gap)
	}
	if late := at[2].Sub(restarted); late > 8*time.Second {
		t.Errorf("step 3 began %s after the restart: the dwell restarted instead of continuing", late)
	}
	s := status(t, d.alice, "v4")
	if s.Rollout.State != "completed" || s.share("v4") != 100 || s.share("v1") != 0 {
		t.Errorf("after the promotion: %+v, shares %+v", s.Rollout, s.Shares)
	}
}
