package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"golang.org/x/sys/unix"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// dbSource adapts the store to what the screens need (ui does not import store).
type dbSource struct{ *store.DB }

// hsmSource shows the token in the header and measures it for the health screen.
type hsmSource struct {
	module string
	t      *hsm.Token
	probe  *signProbe // nil: a key of its own for every measurement
}

func (h hsmSource) Describe() (string, string, bool) { return h.module, h.t.Label(), h.t.LoggedIn() }

func (h hsmSource) Ping(ctx context.Context) (time.Duration, error) {
	r, err := h.t.Ping()
	return r.Latency, err
}

// SignTiming signs a few test messages with a session key (CKA_TOKEN false,
// so it is gone when the token is closed, never a wallet's key) and returns
// the average time of one signature.
func (h hsmSource) SignTiming(ctx context.Context) (time.Duration, error) {
	p := h.probe
	if p == nil {
		p = &signProbe{}
		defer p.close()
	}
	return p.time(ctx, h.t)
}

// signProbe is the health screen's test key: made on first use and kept,
// so that a real HSM's own log does not get a key generation on every
// refresh; made again if it stops working (a token that logged out and in).
type signProbe struct {
	mu  sync.Mutex
	key *hsm.Key
}

const signProbeCount = 10

func (p *signProbe) time(ctx context.Context, t *hsm.Token) (time.Duration, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.key == nil {
		suffix := make([]byte, 4)
		_, _ = rand.Read(suffix)
		k, err := t.GenerateKey("console-sign-probe-"+hex.EncodeToString(suffix), hsm.KeyOptions{Session: true})
		if err != nil {
			return 0, err
		}
		p.key = k
	}
	msg := []byte("wallet console signature timing")
	start := time.Now()
	for range signProbeCount {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if _, err := p.key.Sign(msg); err != nil {
			p.dropLocked()
			return 0, err
		}
	}
	return time.Since(start) / signProbeCount, nil
}

// dropLocked destroys the key (best effort: a session key goes with its
// session anyway) so that the next measurement makes a new one.
func (p *signProbe) dropLocked() {
	if p.key != nil {
		_ = p.key.Token().DestroyKey(p.key.Label())
		p.key = nil
	}
}

func (p *signProbe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.dropLocked()
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
		probe := &signProbe{}
		defer probe.close()
		hs = hsmSource{module: h.module, t: t, probe: probe}
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	login, err := db.Login(ctx)
	if err != nil {
		return err
	}
	prof := ui.DefaultProfile()
	app := ui.NewApp(ui.Options{Source: dbSource{db}, HSM: hs, ReadOnly: *readOnly, Refresh: *refresh,
		Profile: prof, Screen: *screen, Context: ctx,
		Requests: requestSource{db: db, actor: g.operator, login: login}})
	p := tea.NewProgram(app, tea.WithContext(ctx), tea.WithColorProfile(prof))
	if _, err := p.Run(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("console: %w", err)
	}
	return nil
}
