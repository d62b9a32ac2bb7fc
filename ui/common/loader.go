package common

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
)

// Loader turns Source and HSM calls into tea.Cmds that return messages. It
// runs at most one call per key at a time, so a database that hangs does not
// pile up calls on every refresh. It is used only from Update (the UI
// goroutine); the commands it returns touch nothing but their own copies.
type Loader struct {
	ctx      context.Context
	src      Source
	hsm      HSMStatus
	timeout  time.Duration
	recent   int
	opsLimit int
	inflight map[string]bool
}

// NewLoader makes the loader of one console: every call is a child of ctx
// and bounded by timeout; the wallet detail loads recent operations, the
// operations log opsLimit rows. src and hsm may be nil (no calls then).
func NewLoader(ctx context.Context, src Source, hsm HSMStatus, timeout time.Duration, recent, opsLimit int) *Loader {
	return &Loader{ctx: ctx, src: src, hsm: hsm, timeout: timeout, recent: recent, opsLimit: opsLimit, inflight: map[string]bool{}}
}

// Result is embedded in every message a loader call returns.
type Result struct{ Key string }

// LoadKey names the call the message is the result of.
func (r Result) LoadKey() string { return r.Key }

// LoadResult is every message that ends a loader call.
type LoadResult interface{ LoadKey() string }

// Context is the parent of every call (cancelled when the console quits).
func (l *Loader) Context() context.Context { return l.ctx }

// Run starts f under the call timeout, unless a call with the same key is
// still in flight (then it returns nil).
func (l *Loader) Run(key string, f func(ctx context.Context) tea.Msg) tea.Cmd {
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

// Done marks a call finished; the App calls it for every result message.
func (l *Loader) Done(key string) { delete(l.inflight, key) }

// Busy reports whether any call is in flight (the header spinner).
func (l *Loader) Busy() bool { return len(l.inflight) > 0 }

// InFlight is the number of calls in flight.
func (l *Loader) InFlight() int { return len(l.inflight) }

// Messages carrying call results.
type (
	InventoryMsg struct {
		Result
		Wallets []model.WalletSummary
		Err     error
	}
	DetailMsg struct {
		Result
		Version int
		Detail  model.WalletDetail
		Err     error
	}
	OpsMsg struct {
		Result
		Ops []model.Operation
		Err error
	}
	VerifyMsg struct {
		Result
		Status AuditStatus
		Err    error
	}
	DBPingMsg struct {
		Result
		Latency time.Duration
		Err     error
	}
	HSMPingMsg struct {
		Result
		Module, Token string
		LoggedIn      bool
		Latency       time.Duration
		Err           error
	}
)

// Inventory loads every wallet.
func (l *Loader) Inventory() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.Run("inventory", func(ctx context.Context) tea.Msg {
		ws, err := src.Inventory(ctx)
		return InventoryMsg{Result{"inventory"}, ws, err}
	})
}

// Detail loads wallet v in full.
func (l *Loader) Detail(v int) tea.Cmd {
	if l.src == nil {
		return nil
	}
	src, recent := l.src, l.recent
	key := "detail/" + model.VersionName(v)
	return l.Run(key, func(ctx context.Context) tea.Msg {
		d, err := src.WalletDetail(ctx, v, recent)
		return DetailMsg{Result{key}, v, d, err}
	})
}

// Operations loads the newest rows of the operations log.
func (l *Loader) Operations() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src, limit := l.src, l.opsLimit
	return l.Run("operations", func(ctx context.Context) tea.Msg {
		ops, err := src.Operations(ctx, OpFilter{Limit: limit})
		return OpsMsg{Result{"operations"}, ops, err}
	})
}

// Verify checks the operations log's hash chain.
func (l *Loader) Verify() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.Run("verify", func(ctx context.Context) tea.Msg {
		st, err := src.VerifyAudit(ctx)
		return VerifyMsg{Result{"verify"}, st, err}
	})
}

// PingDB times a round trip to the database.
func (l *Loader) PingDB() tea.Cmd {
	if l.src == nil {
		return nil
	}
	src := l.src
	return l.Run("ping/db", func(ctx context.Context) tea.Msg {
		d, err := src.Ping(ctx)
		return DBPingMsg{Result{"ping/db"}, d, err}
	})
}

// PingHSM times a round trip to the HSM and describes it.
func (l *Loader) PingHSM() tea.Cmd {
	if l.hsm == nil {
		return nil
	}
	h := l.hsm
	return l.Run("ping/hsm", func(ctx context.Context) tea.Msg {
		module, token, in := h.Describe()
		d, err := h.Ping(ctx)
		return HSMPingMsg{Result{"ping/hsm"}, module, token, in, d, err}
	})
}

// HasSource reports whether there is a database side to load from.
func (l *Loader) HasSource() bool { return l != nil && l.src != nil }
