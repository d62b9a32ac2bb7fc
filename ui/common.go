package ui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
)

// Common is the context every screen shares, owned by the App and passed
// down by pointer: terminal size, styles, keys, mode, the environment filter,
// the clock, and the loader that starts background calls.
type Common struct {
	Width, Height int // the whole terminal
	Styles        *Styles
	Keys          *KeyMap
	ReadOnly      bool
	// Env restricts the lists to one environment; "" shows all.
	Env        model.Environment
	Thresholds model.Thresholds
	// Now is the clock; tests fix it so output is deterministic.
	Now func() time.Time
	// Loc is the zone times are shown in.
	Loc *time.Location

	load *loader
}

// clock returns the current time in the display zone.
func (c *Common) clock() time.Time { return c.Now().In(c.Loc) }

// EnvName is the environment filter as shown in the header.
func (c *Common) EnvName() string {
	if c.Env == "" {
		return "all"
	}
	return string(c.Env)
}

// envs is the cycle of the environment filter.
var envs = append([]model.Environment{""}, model.AllEnvironments...)

// nextEnv returns the environment after e in the cycle.
func nextEnv(e model.Environment) model.Environment {
	for i, v := range envs {
		if v == e {
			return envs[(i+1)%len(envs)]
		}
	}
	return ""
}

// loader turns Source and HSM calls into tea.Cmds that return messages. It
// runs at most one call per key at a time, so a database that hangs does not
// pile up calls on every refresh. It is used only from Update (the UI
// goroutine); the commands it returns touch nothing but their own copies.
type loader struct {
	ctx      context.Context
	src      Source
	hsm      HSMStatus
	timeout  time.Duration
	recent   int
	opsLimit int
	inflight map[string]bool
}

// result is embedded in every message a loader call returns.
type result struct{ key string }

func (r result) loadKey() string { return r.key }

type loadResult interface{ loadKey() string }

func (l *loader) run(key string, f func(ctx context.Context) tea.Msg) tea.Cmd {
	if l == nil || l.inflight[key] {
		return nil
	}
	l.inflight[key] = true
	parent, timeout := l.ctx, l.timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		return f(ctx)
	}
}

// done marks a call finished; the App calls it for every result message.
func (l *loader) done(key string) { delete(l.inflight, key) }

// busy reports whether any call is in flight (the header spinner).
func (l *loader) busy() bool { return len(l.inflight) > 0 }

// Messages carrying call results.
type (
	inventoryMsg struct {
		result
		wallets []model.WalletSummary
		err     error
	}
	detailMsg struct {
		result
		version int
		detail  model.WalletDetail
		err     error
	}
	opsMsg struct {
		result
		ops []model.Operation
		err error
	}
	verifyMsg struct {
		result
		status AuditStatus
		err    error
	}
	dbPingMsg struct {
		result
		latency time.Duration
		err     error
	}
	hsmPingMsg struct {
		result
		module, token string
		loggedIn      bool
		latency       time.Duration
		err           error
	}
)

func (l *loader) inventory() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.run("inventory", func(ctx context.Context) tea.Msg {
		ws, err := src.Inventory(ctx)
		return inventoryMsg{result{"inventory"}, ws, err}
	})
}

func (l *loader) detail(v int) tea.Cmd {
	if l.src == nil {
		return nil
	}
	src, recent := l.src, l.recent
	key := "detail/" + model.VersionName(v)
	return l.run(key, func(ctx context.Context) tea.Msg {
		d, err := src.WalletDetail(ctx, v, recent)
		return detailMsg{result{key}, v, d, err}
	})
}

func (l *loader) operations() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src, limit := l.src, l.opsLimit
	return l.run("operations", func(ctx context.Context) tea.Msg {
		ops, err := src.Operations(ctx, OpFilter{Limit: limit})
		return opsMsg{result{"operations"}, ops, err}
	})
}

func (l *loader) verify() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.run("verify", func(ctx context.Context) tea.Msg {
		st, err := src.VerifyAudit(ctx)
		return verifyMsg{result{"verify"}, st, err}
	})
}

func (l *loader) pingDB() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.run("ping/db", func(ctx context.Context) tea.Msg {
		d, err := src.Ping(ctx)
		return dbPingMsg{result{"ping/db"}, d, err}
	})
}

func (l *loader) pingHSM() tea.Cmd {
	if l.hsm == nil {
		return nil
	}
	h := l.hsm
	return l.run("ping/hsm", func(ctx context.Context) tea.Msg {
		module, token, in := h.Describe()
		d, err := h.Ping(ctx)
		return hsmPingMsg{result{"ping/hsm"}, module, token, in, d, err}
	})
}

// Messages between the App and its screens.
type (
	// refreshMsg is the refresh timer.
	refreshMsg struct{}
	// spinMsg advances the header spinner.
	spinMsg struct{}
	// envChangedMsg tells the screens that Common.Env changed.
	envChangedMsg struct{}
	// restyleMsg tells the screens that Common.Styles changed: redraw
	// what they keep drawn.
	restyleMsg struct{}
	// openWalletMsg asks the App to show a wallet's detail.
	openWalletMsg struct{ version int }
	// gotoMsg asks the App to switch screens and show a note.
	gotoMsg struct{ screen, note string }
)
