package main

import (
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 11, acceptance 1, as an operator walks it at 80x24 in tmux: the
// console (with the HSM token) validates v6 through the flow, the
// Deployment view follows its rollout while the controller runs and a
// second login passes the gates from another terminal, and the Activation
// flow makes v6 active and the default; q leaves with exit 0.
func TestLifecycleWalkInTmux(t *testing.T) {
	env, pin := softToken(t)
	name := pgtest.NewDatabase(t)
	owner, alice, bob := pgtest.DSN(t, name), pgtest.DSNAs(t, name, "alice"), pgtest.DSNAs(t, name, "bob")
	if r := console(t, env, "demo", "--dsn", owner, "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir()); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	s := startTmux(t, "80", "24", env, "--dsn", alice, "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir())
	s.wait = 30 * time.Second
	s.waitFor("the inventory", "[1 Inventory]", "v6", "created")

	// Validation, through its flow.
	s.keys(":", "validate v6", "Enter")
	s.waitFor("the validation flow", "Validation suite", "wallet", "v6")
	s.keys("C-s")
	s.waitFor("its checks", "[checks]", "enter: continue")
	s.keys("Enter")
	s.waitFor("the confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("the result", "[result]", "v6 validated")
	s.keys("Enter")
	s.waitGone("the result closed", "[result]")

	// The rollout, from the command line as the runbook has it; the view follows.
	for _, args := range [][]string{
		{"deploy", "start", "v6", "--steps", "1:1s,5:1s,25:1s,50:1s,100", "--interval", "300ms", "--dsn", alice},
		{"demo", "traffic", "v6", "--error-rate", "0", "--for", "10m", "--dsn", alice},
		{"deploy", "approve", "v6", "--gate", "go", "--dsn", bob},
	} {
		if r := console(t, nil, args...); r.code != 0 {
			t.Fatalf("%s: %s %s", strings.Join(args, " "), r.stdout, r.stderr)
		}
	}
	ctl := startConsole(t, "deploy", "run", "v6", "--dsn", alice, "--poll", "300ms")
	s.keys(":", "deploy v6", "Enter")
	waitFor(t, 60*time.Second, "the promotion gate", func() bool {
		st := status(t, alice, "v6")
		return st.Rollout.State == "waiting_for_gate" && st.Rollout.Step > 0
	})
	s.waitFor("the Deployment view at the promotion gate", "Deployment of v6", "waiting for a gate", "50 %")
	if r := console(t, nil, "deploy", "approve", "v6", "--gate", "promotion", "--dsn", bob); r.code != 0 {
		t.Fatalf("approve promotion: %s %s", r.stdout, r.stderr)
	}
	if code := ctl.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("deploy run exited %d:\n%s", code, ctl.output())
	}
	s.waitFor("the view shows it completed", "completed")
	s.keys("Escape")
	// Escape and the next key together would read as alt+key: wait for it.
	s.waitGone("esc left the Deployment view", "Deployment of v6")

	// Activation, through its flow, with the default.
	s.keys(":", "activate v6", "Enter")
	s.waitFor("the activation flow", "Activate a wallet", "v6")
	s.keys("Enter") // to the default field
	s.waitFor("the default field", "> make default")
	s.keys("Right") // yes
	s.waitFor("make default: yes", "‹ yes ›")
	s.keys("C-s")
	s.waitFor("the activation's checks", "[checks]", "PASS its rollout reached 100 %", "enter: continue")
	// At 80x24 the rest of the checks are below: scroll to the default's.
	for i := 0; i < 8; i++ {
		s.keys("Down")
	}
	s.waitFor("the default's check", "the default moves from v1 to v6")
	s.keys("Enter")
	s.waitFor("the confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("the result", "[result]", "v6 is active and the default", "audit rows: #")
	s.keys("Enter")
	s.waitGone("the result closed", "[result]")
	s.keys("1")
	// The inventory reloads after the job: wait for v6's row to say so.
	deadline := time.Now().Add(30 * time.Second)
	for {
		scr := s.screen()
		done := false
		for _, line := range strings.Split(scr, "\n") {
			if strings.Contains(line, " v6 ") && strings.Contains(line, "yes") && strings.Contains(line, "active") {
				done = true
			}
		}
		if done {
			t.Logf("the inventory:\n%s", scr)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the inventory never showed v6 as the active default:\n%s", scr)
		}
		time.Sleep(200 * time.Millisecond)
	}
	s.keys("q")
	s.waitFor("the console exits", "CONSOLE-EXITED-0")
}
