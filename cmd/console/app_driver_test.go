package main

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
	"github.com/plings/walletconsole/ui"
)

// demoDSN is a new database with the demo data, loaded by the built console.
func demoDSN(t *testing.T) string {
	t.Helper()
	dsn := pgtest.DSN(t, pgtest.NewDatabase(t))
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	return dsn
}

// openStore opens dsn for the test; it closes at the test's end.
func openStore(t *testing.T, dsn string, readOnly bool) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), store.Options{DSN: dsn, ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return db
}

// consoleOver is the full-screen console over db through ops, as `console`
// wires it (requests and allocation included), sized and loaded.
func consoleOver(t *testing.T, db *store.DB, readOnly bool) *appDriver {
	t.Helper()
	ctx := context.Background()
	s := ops.New(db)
	flow, err := s.RequestFlow(ctx)
	if err != nil {
		t.Fatal(err)
	}
	app := ui.NewApp(ui.Options{Source: s, ReadOnly: readOnly, Refresh: -1, Profile: colorprofile.NoTTY,
		Context: ctx, Requests: flow, Allocator: s, Location: time.UTC})
	d := &appDriver{t: t, m: app}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.drain(app.Init())
	return d
}

// appDriver runs a Bubble Tea model the way the program loop does, but on
// the test's goroutine: each key's commands (and theirs) run to the end
// before the next key, so a test reads the screen after a key settles.
type appDriver struct {
	t *testing.T
	m tea.Model
}

func (d *appDriver) drain(cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0 && n < 10000; n++ {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		if _, quit := msg.(tea.QuitMsg); quit {
			continue
		}
		var next tea.Cmd
		d.m, next = d.m.Update(msg)
		queue = append(queue, next)
	}
}

func (d *appDriver) send(msg tea.Msg) {
	var cmd tea.Cmd
	d.m, cmd = d.m.Update(msg)
	d.drain(cmd)
}

// press sends one key by name ("enter", "esc", "tab", "down", "ctrl+s",
// or a printable character).
func (d *appDriver) press(k string) {
	var msg tea.KeyPressMsg
	switch k {
	case "enter":
		msg = tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		msg = tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		msg = tea.KeyPressMsg{Code: tea.KeyTab}
	case "down":
		msg = tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		msg = tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "ctrl+s":
		msg = tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	default:
		msg = tea.KeyPressMsg{Code: []rune(k)[0], Text: k}
	}
	d.send(msg)
}

// typeText types s one character at a time.
func (d *appDriver) typeText(s string) {
	for _, r := range s {
		d.press(string(r))
	}
}

// colon runs a ":" line.
func (d *appDriver) colon(line string) {
	d.press(":")
	d.typeText(line)
	d.press("enter")
}

func (d *appDriver) screen() string { return d.m.View().Content }

func (d *appDriver) mustShow(want ...string) {
	d.t.Helper()
	out := d.screen()
	for _, w := range want {
		if !strings.Contains(out, w) {
			d.t.Fatalf("screen lacks %q:\n%s", w, out)
		}
	}
}
