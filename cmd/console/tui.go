package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// dbSource adapts the store to what the screens need (ui does not import store).
type dbSource struct{ *store.DB }

func (s dbSource) Operations(ctx context.Context, f ui.OpFilter) ([]model.Operation, error) {
	return s.DB.Operations(ctx, store.OpFilter{Wallet: f.Wallet, Type: f.Type, Operator: f.Operator,
		Since: f.Since, Until: f.Until, Limit: f.Limit})
}

func (s dbSource) VerifyAudit(ctx context.Context) (ui.AuditStatus, error) {
	r, err := s.DB.VerifyAudit(ctx)
	return ui.AuditStatus{OK: r.OK, Rows: r.Rows, BrokenAt: r.BrokenAt, Problem: r.Problem}, err
}

// hsmSource shows the token in the header and measures it for the health screen.
type hsmSource struct {
	module string
	t      *hsm.Token
}

func (h hsmSource) Describe() (string, string, bool) { return h.module, h.t.Label(), h.t.LoggedIn() }

func (h hsmSource) Ping(ctx context.Context) (time.Duration, error) {
	r, err := h.t.Ping()
	return r.Latency, err
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// cmdConsole opens the full-screen console; without a terminal it prints the
// inventory instead, so that `console | less` and cron still get the facts.
func cmdConsole(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("")
	var h hsmFlags
	h.register(fs)
	readOnly := fs.Bool("read-only", false, "hide every action that changes anything")
	refresh := fs.Duration("refresh", 5*time.Second, "how often the screens refresh")
	screen := fs.String("screen", "inventory", "first screen: inventory, health, audit, migrations, flows")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !isTerminal(os.Stdout) || !isTerminal(os.Stdin) {
		return printStatus(ctx, g, false, out)
	}
	var hs ui.HSMStatus
	if h.token != "" {
		_, t, closeHSM, err := h.openToken(g, true)
		if err != nil {
			return err
		}
		defer closeHSM()
		hs = hsmSource{module: h.module, t: t}
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	prof := ui.DefaultProfile()
	app := ui.NewApp(ui.Options{Source: dbSource{db}, HSM: hs, ReadOnly: *readOnly, Refresh: *refresh,
		Profile: prof, Screen: *screen, Context: ctx})
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithColorProfile(prof))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
