package main

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 12, acceptance 6, as an operator walks it at 80x24 in tmux, as
// alice (an operator's login): on the demo, the migration flow starts KTH
// Prototype Lab v3 → v1 (the demo's two migrations in flight, Volvo and
// Ericsson v2 → v1, refuse a second start; of v3's manufacturers KTH
// Prototype Lab and Anna Lindqvist Keramik can move to v1); the Migrations
// screen pauses it, resumes it, runs its worker as a background job to
// 100 % and verifies it, which completes it; esc steps back where it says,
// q types inside a field, and q on the screen exits 0.
func TestMigrationWalkInTmux(t *testing.T) {
	name := pgtest.NewDatabase(t)
	owner, alice := pgtest.DSN(t, name), pgtest.DSNAs(t, name, "alice")
	if r := console(t, nil, "demo", "--dsn", owner); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	s := startTmux(t, "80", "24", []string{"TERM=xterm-256color", "HOME=" + os.TempDir()}, "--dsn", alice, "--refresh", "1h")
	s.wait = 30 * time.Second
	s.waitFor("the inventory", "[1 Inventory]", "v2", "deprecated")

	// The demo's migrations on their screen.
	s.keys("4")
	s.waitFor("the Migrations screen", "[4 Migrations]", "Manufacturer migrations (2, 2 moving)", "Ericsson", "Volvo",
		"p pause", "w run worker")

	// The flow: wallets, every manufacturer of v3 with its refusals.
	s.keys("n")
	s.waitFor("the migration flow", "Manufacturer migration", "[wallets]", "> from")
	s.keys("v3", "Enter", "v1", "C-s")
	s.waitFor("v3's manufacturers", "Manufacturers of v3 to move to v1", "refused · Plings",
		"Plings is already registered in v1", "can start · KTH Prototype Lab")
	s.keys("Escape")
	s.waitFor("esc: back to the wallets, as typed", "[wallets]", "> to      v1")
	s.keys("C-s")
	s.waitFor("planned again", "can start · KTH Prototype Lab")
	s.keys("Down", "Down", "Down")
	s.waitFor("KTH selected", "> can start · KTH Prototype Lab")
	s.keys("Enter")
	s.waitFor("its checks", "Start migrating KTH Prototype Lab from v3 to v1", "[checks]", "enter: continue")
	s.keys("Enter")
	s.waitFor("the confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("started", "[result]", "migration #3 of KTH Prototype Lab from v3 to v1 started",
		"w: run its worker now", "m: the Migrations screen")
	s.keys("m")
	s.waitFor("back on the Migrations screen", "[4 Migrations]", "Manufacturer migrations (3, 3 moving)", "#3", "KTH Prototype")
	s.keys("g") // the newest, at the top
	s.waitFor("#3 selected", "> #3", "migrations: 3 · #3 selected")

	// Pause, with its reason (q is typed there); esc steps back once.
	s.keys("p")
	s.waitFor("pause asks its reason", "Pause migration #3 KTH Prototype Lab v3 → v1", "[input]", "> reason")
	s.keys("quiet sale weekend", "C-s")
	s.waitFor("the pause's checks", "[checks]", "PASS it is moving", "reason: quiet sale weekend")
	s.keys("Escape")
	s.waitFor("esc: back to the reason", "[input]", "quiet sale weekend")
	s.keys("C-s")
	s.waitFor("the checks again", "[checks]", "enter: continue")
	s.keys("Enter")
	s.waitFor("the pause's confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("paused", "[result]", "migration #3 paused after the batches in flight: quiet sale weekend")
	s.keys("Enter")
	s.waitFor("the screen says so", "paused: quiet sale weekend (c resumes)")

	// Resume.
	s.keys("c")
	s.waitFor("resume", "Resume migration #3", "[input]")
	s.keys("C-s")
	s.waitFor("the resume's checks", "[checks]", "PASS it is paused")
	s.keys("Enter")
	s.waitFor("the resume's confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("resumed", "[result]", "migration #3 resumed")
	s.keys("Enter")
	s.waitGone("the pause is gone", "paused: quiet sale weekend")

	// The worker, a background job of this console, to 100 %.
	s.keys("w")
	s.waitFor("the worker's checks", "Run the worker for migration #3", "PASS it has paths to move", "enter: continue")
	s.keys("Enter")
	s.waitFor("the worker's confirmation", "go ahead? y/N")
	s.keys("y")
	s.waitFor("the worker ran to the end", "[result]", "migration #3: 32 of 32 paths moved; moved: verify to complete")
	s.keys("Enter")
	s.waitFor("moved, on the screen", "> #3", "32/32", "100.0%", "every path has moved: verify (v)")

	// Verify: it completes the migration.
	s.keys("v")
	s.waitFor("verify's checks", "Verify migration #3", "[checks]", "enter: continue")
	s.keys("Enter")
	s.waitFor("verify's confirmation", "go ahead? y/N")
	s.keys("q") // neither quits nor confirms: only y goes ahead
	time.Sleep(300 * time.Millisecond)
	s.waitFor("q at a confirmation does nothing", "go ahead? y/N")
	s.keys("y")
	s.waitFor("verified", "[result]", "migration #3 verified clean in", "and completed")
	s.keys("Enter")
	s.waitFor("completed, on the screen", "clean, 0 findings · completed", "nothing left to move")

	sv := ops.New(openStore(t, owner, true))
	m, err := sv.Migration(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	if f := m.Figures(); f.State != "completed" || f.Moved != 32 || m.VerifyFindings == nil || *m.VerifyFindings != 0 {
		t.Fatalf("migration #3 after the walk: %s, %d moved, findings %v", f.State, f.Moved, m.VerifyFindings)
	}

	// The window changes: at 120x40 every column shows; at 40 columns the
	// console asks for a larger window; back at 80x24 the screen is as it was.
	s.tmuxRun("resize-window", "-t", s.name, "-x", "120", "-y", "40")
	s.waitFor("120x40", "PHASE", "RATE", "ETA", "KTH Prototype Lab", "completed")
	s.tmuxRun("resize-window", "-t", s.name, "-x", "40", "-y", "24")
	s.waitFor("40 columns", "enlarge the window")
	s.tmuxRun("resize-window", "-t", s.name, "-x", "80", "-y", "24")
	s.waitFor("80x24 again", "Manufacturer migrations (3, 2 moving)", "> #3")

	s.keys("q")
	s.waitFor("the console exits", "CONSOLE-EXITED-0")
}
