package main

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/ui"
)

// The Migrations screen over the demo's two migrations in flight (v2 → v1:
// Ericsson #2 and Volvo #1), through ops to PostgreSQL, as `console` wires
// it: every change asks first, and the database's refusals show in place.

// migrationsOver is the console over db on its Migrations screen.
func migrationsOver(t *testing.T, s *ops.Service) *appDriver {
	t.Helper()
	app := ui.NewApp(ui.Options{Source: s, Refresh: -1, Profile: colorprofile.NoTTY, Context: context.Background(),
		Migrations: migrationView{s}, Location: time.UTC, Screen: "migrations"})
	d := &appDriver{t: t, m: app}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.drain(app.Init())
	return d
}

func demoMigration(t *testing.T, s *ops.Service, id int64) model.MigrationFigures {
	t.Helper()
	m, err := s.Migration(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m.Figures()
}

func auditCount(t *testing.T, s *ops.Service, typ string) int {
	t.Helper()
	ops, err := s.AuditLog(context.Background(), model.OpFilter{Type: typ, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return len(ops)
}

// A rollback without its typed confirmation changes nothing: not the
// migration, not the audit log.
func TestMigrationsScreenRollbackTyped(t *testing.T) {
	s := ops.New(openStore(t, demoDSN(t), false))
	d := migrationsOver(t, s)
	d.mustShow("Manufacturer migrations (2, 2 moving)", "#2", "Ericsson", "#1", "Volvo", "v2 → v1")
	d.press("down") // #1 Volvo
	d.press("b")
	d.mustShow("Roll back migration #1 Volvo v2 → v1", "[input]")
	d.typeText("the HSM of v1 misbehaves")
	d.press("ctrl+s")
	d.mustShow("[checks]", "PASS it can turn back", "PASS the source takes paths back", "return its")
	d.press("enter")
	d.mustShow("this cannot be undone", "type rollback #1 to confirm")
	for _, wrong := range []string{"y", "Volvo", "rollback #2", "rollback"} {
		d.typeText(wrong)
		d.press("enter")
		d.mustShow("type rollback #1 exactly to go ahead")
	}
	if f := demoMigration(t, s, 1); f.Direction != "forward" || f.State != "running" {
		t.Fatalf("a rollback without its typed confirmation changed the migration: %s %s", f.Direction, f.State)
	}
	if n := auditCount(t, s, "manufacturer_migration_rollback_started"); n != 0 {
		t.Fatalf("%d rollback audit rows without the typed confirmation", n)
	}
	d.press("esc") // back to the checks
	d.press("esc") // to the reason
	d.press("esc")
	d.press("y") // throw the reason away
	d.mustShow("Manufacturer migrations (2, 2 moving)")
	d.press("b")
	d.typeText("the HSM of v1 misbehaves")
	d.press("ctrl+s")
	d.press("enter")
	d.typeText("rollback #1")
	d.press("enter")
	d.mustShow("[result]", "migration #1 is rolling back", "audit rows: #")
	if f := demoMigration(t, s, 1); f.Direction != "rollback" || f.State != "rolling_back" {
		t.Fatalf("the typed rollback: %s %s", f.Direction, f.State)
	}
}

// A pause the database refuses (another console paused it while this one
// asked) is shown in place, in the database's words, and changes nothing;
// asked again, the plan says so before anything is sent.
func TestMigrationsScreenPauseRefused(t *testing.T) {
	dsn := demoDSN(t)
	s := ops.New(openStore(t, dsn, false))
	other := ops.New(openStore(t, dsn, false))
	d := migrationsOver(t, s)
	d.press("down") // #1 Volvo
	d.press("p")
	d.typeText("nightly backup")
	d.press("ctrl+s")
	d.mustShow("[checks]", "PASS it is moving")
	d.press("enter")
	d.mustShow("go ahead? y/N")
	if _, _, err := other.MigrationControl(context.Background(), "pause", 1, "paused from another terminal", time.Time{}); err != nil {
		t.Fatal(err)
	}
	d.press("y")
	d.mustShow("failed: pause migration #1: migration #1 is already paused", "paused from another terminal);", "nothing changed",
		"nothing was changed: the change and its audit row are one transaction")
	if f := demoMigration(t, s, 1); f.PauseReason != "paused from another terminal" {
		t.Fatalf("the refused pause changed the reason to %q", f.PauseReason)
	}
	if n := auditCount(t, s, "manufacturer_migration_paused"); n != 1 {
		t.Fatalf("%d pause audit rows, want the other terminal's one", n)
	}
	d.press("esc") // to the reason
	d.press("esc")
	d.press("y")
	d.mustShow("paused: paused from another terminal (c resumes)")
	d.press("p")
	d.typeText("again")
	d.press("ctrl+s")
	d.mustShow("FAIL it is moving", "it is already paused: paused from another terminal", "resume it (c)", "blocked")
	d.press("enter")
	if strings.Contains(d.screen(), "go ahead?") {
		t.Fatalf("a blocked pause asked to go ahead:\n%s", d.screen())
	}
}

// The worker runs as the console's job to the end; verify completes the
// migration; the figures on screen are the database's.
func TestMigrationsScreenWorkerVerify(t *testing.T) {
	s := ops.New(openStore(t, demoDSN(t), false))
	d := migrationsOver(t, s)
	d.press("w") // #2 Ericsson
	d.mustShow("Run the worker for migration #2 Ericsson v2 → v1", "PASS it has paths to move")
	d.press("enter")
	d.mustShow("go ahead? y/N")
	d.press("y")
	f := demoMigration(t, s, 2)
	if f.State != "moved" || f.Done() != f.Of() {
		t.Fatalf("after the worker: %s, %d of %d", f.State, f.Done(), f.Of())
	}
	d.mustShow("[result]", "migration #2: "+model.Group(f.Of())+" of "+model.Group(f.Of())+" paths moved; moved: verify to complete")
	d.press("enter")
	d.mustShow("every path has moved: verify (v)")
	d.press("v")
	d.mustShow("Verify migration #2", "completes the migration")
	d.press("enter")
	d.press("y")
	d.mustShow("verified clean in", "and completed", "every moved path is in its target exactly once")
	d.press("enter")
	d.mustShow("clean, 0 findings · completed", "nothing left to move")
	if f := demoMigration(t, s, 2); f.State != "completed" {
		t.Fatalf("after verify: %s", f.State)
	}
}

// Quitting over a running worker (held by an operator's throttle) asks,
// then cancels it and waits: the console ends with no session of the
// worker left and the migration as the last batch left it.
func TestMigrationsScreenQuitStopsWorker(t *testing.T) {
	db := openStore(t, demoDSN(t), false)
	s := ops.New(db)
	ctx := context.Background()
	if _, _, err := s.MigrationControl(ctx, "throttle", 2, "held for the test", time.Time{}); err != nil {
		t.Fatal(err)
	}
	before := demoMigration(t, s, 2)
	app := ui.NewApp(ui.Options{Source: s, Refresh: -1, Profile: colorprofile.NoTTY, Context: ctx,
		Migrations: migrationView{s}, Location: time.UTC, Screen: "migrations"})
	tm := teatest.NewTestModel(t, app, teatest.WithInitialTermSize(100, 30))
	wait := func(text string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), text) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("held for the test")
	tm.Send(tea.KeyPressMsg{Code: 'w', Text: "w"})
	wait("enter: continue")
	tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter})
	wait("go ahead? y/N")
	tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
	wait("waiting: throttled")
	tm.Send(tea.KeyPressMsg{Code: 'q', Text: "q"})
	wait("quitting cancels it")
	tm.Send(tea.KeyPressMsg{Code: 'y', Text: "y"})
	tm.FinalModel(t, teatest.WithFinalTimeout(15*time.Second))
	if n := db.Pool().Stat().AcquiredConns(); n != 0 {
		t.Fatalf("%d connections still held after the console quit", n)
	}
	after := demoMigration(t, s, 2)
	if after.Done() != before.Done() || after.State != "running" || after.ThrottleReason != "held for the test" {
		t.Fatalf("quitting changed the migration: %+v → %+v", before, after)
	}
}
