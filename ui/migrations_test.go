package ui

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// (The same walks against PostgreSQL, with the database's own refusals,
// are in cmd/console/migration_ui_test.go.)

// calls is what the fake was asked to change, in order.
func (ta *testApp) calls() []string {
	ta.migs.Src.Mu.Lock()
	defer ta.migs.Src.Mu.Unlock()
	return append([]string(nil), ta.migs.Calls...)
}

func (ta *testApp) migration(t *testing.T, id int64) common.Migration {
	t.Helper()
	ta.migs.Src.Mu.Lock()
	defer ta.migs.Src.Mu.Unlock()
	for _, m := range ta.migs.List {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("no migration #%d", id)
	return common.Migration{}
}

// A pause asks for its reason, shows what it will do, and changes nothing
// until y; n goes back, and only then y pauses.
func TestMigrationPauseAsksFirst(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "4", "p")
	mustShow(t, ta, "Pause migration #4 KTH Prototype Lab v3 → v1", "[input]", "reason")
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "reason is required")
	ta.typeText(t, "sale weekend: quiet please") // q and p are typed, not taken as keys
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "[checks]", "PASS", "reason: sale weekend: quiet please")
	ta.press(t, "enter")
	mustShow(t, ta, "go ahead? y/N")
	ta.press(t, "n")
	mustShow(t, ta, "[checks]")
	if c := ta.calls(); len(c) != 0 {
		t.Fatalf("changed before the confirmation: %v", c)
	}
	ta.press(t, "enter", "y")
	mustShow(t, ta, "[result]", "migration #4: pause done", "audit rows: #901")
	if c := ta.calls(); !slices.Equal(c, []string{"pause 4 sale weekend: quiet please"}) {
		t.Fatalf("calls %v", c)
	}
	ta.press(t, "enter")
	mustShow(t, ta, "paused: sale weekend: quiet please (c resumes)", "migration #4: pause done")
	mustNotShow(t, ta, "[result]")
}

// A rollback is typed: anything but "rollback #N" changes nothing.
func TestMigrationRollbackTyped(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "4", "down", "b")
	ta.typeText(t, "target HSM misbehaves")
	ta.press(t, "ctrl+s", "enter")
	mustShow(t, ta, "this cannot be undone", "type rollback #3 to confirm")
	ta.press(t, "y") // no y/N here: typed
	ta.press(t, "enter")
	mustShow(t, ta, `you typed "y": type rollback #3 exactly`)
	ta.typeText(t, "rollback #4")
	ta.press(t, "enter")
	mustShow(t, ta, "type rollback #3 exactly")
	if c := ta.calls(); len(c) != 0 || ta.migration(t, 3).Direction != "forward" {
		t.Fatalf("a rollback without its typed confirmation changed something: %v", c)
	}
	ta.typeText(t, "rollback #3")
	ta.press(t, "enter")
	mustShow(t, ta, "migration #3: rollback done")
	if ta.migration(t, 3).Direction != "rollback" {
		t.Fatal("the typed rollback did not roll back")
	}
}

// The database's refusal (a pause of a migration already paused, as a
// screen that is behind would ask for) is shown in place, in its words,
// with what it means: nothing changed.
func TestMigrationRefusalInPlace(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "4", "down", "down", "p")
	ta.typeText(t, "again")
	ta.press(t, "ctrl+s", "enter", "y")
	mustShow(t, ta, "failed: pause migration #2: migration #2 is already paused", "nightly", "nothing changed",
		"nothing was changed: the change and its audit row are one transaction")
	ta.press(t, "esc")
	mustShow(t, ta, "[input]")
	ta.press(t, "esc", "y") // what was typed is thrown away only on y
	mustShow(t, ta, "Manufacturer migrations", "paused: nightly backup window")
	if m := ta.migration(t, 2); m.PauseReason != "nightly backup window" {
		t.Fatalf("the refused pause changed the reason to %q", m.PauseReason)
	}
}

// w runs the worker as a background job (after y); v verifies and
// completes the moved migration.
func TestMigrationWorkerAndVerify(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.migs.WorkStep = 10
	ta.press(t, "4", "down", "w")
	mustShow(t, ta, "Run the worker for migration #3 Ericsson v2 → v1", "[checks]")
	ta.press(t, "enter", "y")
	mustShow(t, ta, "[result]", "migration #3: 320 of 320 paths moved; moved: verify to complete")
	ta.press(t, "enter")
	mustShow(t, ta, "every path has moved: verify (v)", "moved: verify to complete")
	ta.press(t, "v")
	mustShow(t, ta, "Verify migration #3", "[checks]")
	ta.press(t, "enter", "y")
	mustShow(t, ta, "verified clean in 12ms and completed")
	ta.press(t, "enter")
	mustShow(t, ta, "clean, 0 findings · completed")
	if m := ta.migration(t, 3); m.State != "completed" {
		t.Fatalf("state %s", m.State)
	}
}

// Read-only: every action is refused in place, saying why; nothing is asked.
func TestMigrationsReadOnly(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.ReadOnly = true }).start(t, 100, 30)
	ta.press(t, "4")
	for _, k := range []string{"p", "c", "t", "T", "b", "v", "w", "n"} {
		ta.press(t, k)
		mustShow(t, ta, "read-only: "+k)
		mustNotShow(t, ta, "[input]", "[checks]")
	}
	mustNotShow(t, ta, "p pause")
	if c := ta.calls(); len(c) != 0 {
		t.Fatalf("read-only console changed: %v", c)
	}
}

// The migration flow: the wallets, every manufacturer with its refusals,
// the chosen one's checks, y, the start, then its worker from the result.
func TestMigrationFlow(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "4", "n")
	mustShow(t, ta, "Manufacturer migration", "[wallets]", "from")
	ta.typeText(t, "v3")
	ta.press(t, "enter")
	ta.typeText(t, "v3")
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "to: a manufacturer moves to another wallet than v3")
	ta.press(t, "backspace")
	ta.typeText(t, "1")
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "Manufacturers of v3 to move to v1", "can start · Anna Lindqvist Keramik", "refused · Plings",
		"✗ Plings is already registered in v1")
	ta.press(t, "down", "enter")
	mustShow(t, ta, "FAIL refused", "blocked")
	ta.press(t, "enter")
	mustNotShow(t, ta, "go ahead?")
	ta.press(t, "esc")
	mustShow(t, ta, "Manufacturers of v3 to move to v1")
	ta.press(t, "up", "enter")
	mustShow(t, ta, "Start migrating Anna Lindqvist Keramik from v3 to v1", "PASS nothing refuses the start")
	ta.press(t, "enter")
	mustShow(t, ta, "go ahead? y/N")
	if c := ta.calls(); len(c) != 0 {
		t.Fatalf("started before the confirmation: %v", c)
	}
	ta.press(t, "y")
	mustShow(t, ta, "migration #5 of Anna Lindqvist Keramik from v3 to v1 started", "w: run its worker now", "m: the Migrations screen")
	if c := ta.calls(); !slices.Equal(c, []string{"start Anna Lindqvist Keramik 3 1 wallet_deprecation 5000"}) {
		t.Fatalf("calls %v", c)
	}
	ta.press(t, "w")
	mustShow(t, ta, "Run the worker for migration #5 Anna Lindqvist Keramik v3 → v1", "[checks]")
	ta.press(t, "enter", "y")
	mustShow(t, ta, "migration #5: 12 of 12 paths moved")
	ta.press(t, "enter")
	// The flow was opened from the Migrations screen: closing it returns there.
	if ta.Screen() != "migrations" {
		t.Fatalf("after the flow: screen %s", ta.Screen())
	}
	mustShow(t, ta, "#5", "Anna Lindqvist", "moved: veri")
}

// From the start's result, m goes to the Migrations screen.
func TestMigrationFlowToScreen(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, ":")
	ta.typeText(t, "migration v3 v1")
	ta.press(t, "enter")
	mustShow(t, ta, "can start · Anna Lindqvist Keramik")
	ta.press(t, "enter", "enter", "y", "m")
	if ta.Screen() != "migrations" {
		t.Fatalf("m went to %s", ta.Screen())
	}
	mustShow(t, ta, "migration #5 started: select it and press w", "#5")
}

// Quitting over a running worker asks first; y cancels the job, and the
// console waits for its work to return (the batch in flight ends whole)
// before it exits.
func TestMigrationWorkerQuit(t *testing.T) {
	src := uitest.SampleSource()
	migs := &holdMigrations{Migrator: uitest.NewMigrations(src)}
	o := Options{Source: src, Migrations: migs, Profile: colorprofile.NoTTY, Refresh: -1, Location: time.UTC, Screen: "migrations"}
	tm := teatest.NewTestModel(t, NewApp(o), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "KTH Prototype Lab")
	tm.Send(keyMsg("w"))
	waitFor(t, tm, "enter: continue")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "go ahead? y/N")
	tm.Send(keyMsg("y"))
	waitFor(t, tm, "running as job 1")
	tm.Send(keyMsg("esc"))
	waitFor(t, tm, "job 1 in this console")
	tm.Send(keyMsg("q"))
	waitFor(t, tm, "quit anyway? y/N")
	tm.Send(keyMsg("y"))
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	if !migs.stopped.Load() {
		t.Fatal("the console exited before the worker's work returned")
	}
}

// holdMigrations is a worker that moves one path and then holds until it
// is cancelled, as one waiting on a long batch would.
type holdMigrations struct {
	common.Migrator
	stopped atomic.Bool
}

func (h *holdMigrations) RunWorker(ctx context.Context, id int64, news func(common.WorkerNews)) (model.Outcome, error) {
	news(common.WorkerNews{Done: 1, Of: 10, Batch: 1, Moved: 1})
	<-ctx.Done()
	time.Sleep(50 * time.Millisecond) // the batch in flight rolls back
	h.stopped.Store(true)
	return model.Outcome{}, ctx.Err()
}
