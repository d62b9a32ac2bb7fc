package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	flag "github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
	"github.com/plings/walletconsole/ui/flows"
)

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Bounds of --refresh: faster than once a second costs the host's CPU (1ms
// took 80 %) and tells an operator nothing new; slower than an hour is a
// screen nobody watches.
const (
	minRefresh = time.Second
	maxRefresh = time.Hour
)

// checkRefresh refuses an interval outside the bounds; 0 turns the
// automatic refresh off (r still refreshes).
func checkRefresh(d time.Duration) error {
	if d == 0 || (d >= minRefresh && d <= maxRefresh) {
		return nil
	}
	return fmt.Errorf("--refresh must be between 1s and 1h (or 0 to turn the automatic refresh off), not %s", d)
}

// fallbackScreens are the first screens --screen accepts while the registry
// lists none (the ui fills registry/screens.go).
var fallbackScreens = []string{"inventory", "health", "audit", "migrations", "flows"}

// checkScreen accepts a registry screen's name or alias.
func checkScreen(name string) (string, error) {
	screens := registry.Of(registry.Screen)
	if len(screens) == 0 {
		if slices.Contains(fallbackScreens, name) {
			return name, nil
		}
		return "", fmt.Errorf("--screen %q: no such screen; use one of %s", name, strings.Join(fallbackScreens, ", "))
	}
	if e, ok := registry.Lookup(registry.Screen, name); ok {
		return e.Name, nil
	}
	names := make([]string, len(screens))
	for i, e := range screens {
		names[i] = e.Name
	}
	return "", fmt.Errorf("--screen %q: no such screen; use one of %s", name, strings.Join(names, ", "))
}

// bindConsole is the full-screen console; without a terminal it prints the
// inventory instead, so that `console | less` and cron still get the facts.
func bindConsole(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	readOnly := fs.Bool("read-only", false, "hide every action that changes anything")
	refresh := durationFlag(fs, "refresh", 5*time.Second, "how often the screens refresh (1s to 1h; 0: never on their own)")
	screen := fs.String("screen", "inventory", "first screen: "+strings.Join(fallbackScreens, ", "))
	return func(ctx context.Context, c *call) error {
		if err := checkRefresh(*refresh); err != nil {
			return err
		}
		first, err := checkScreen(strings.ToLower(strings.TrimSpace(*screen)))
		if err != nil {
			return err
		}
		if !isTerminal(os.Stdout) || !isTerminal(os.Stdin) {
			return printStatus(ctx, &c.g, false, c.out)
		}
		var (
			tok         *hsm.Token
			noHSMReason string
		)
		if h.token != "" {
			_, t, closeHSM, err := h.openTokenTries(&c.g, pinTries, os.Stderr)
			switch {
			case errors.Is(err, hsm.ErrPINIncorrect):
				// Three wrong PINs: the console is still useful without the HSM.
				noHSMReason = fmt.Sprintf("token %s: PIN refused %d times; running without the HSM", ui.Inert(h.token), pinTries)
				if h.pinFile != "" {
					noHSMReason = fmt.Sprintf("token %s: the PIN in --pin-file was refused; running without the HSM", ui.Inert(h.token))
				}
			case err != nil:
				return err
			default:
				defer closeHSM()
				tok = t
			}
		}
		c.g.readOnly = *readOnly
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		s.Token, s.Module = tok, h.module
		flow, err := s.RequestFlow(ctx)
		if err != nil {
			return err
		}
		every := *refresh
		if every == 0 {
			every = -1 // ui: a negative interval turns the timer off
		}
		opts := ui.Options{Source: s, ReadOnly: *readOnly, Refresh: every, NoHSMReason: noHSMReason,
			Profile: ui.DefaultProfile(), Screen: first, Context: ctx, Requests: flow, Allocator: s, Activator: s,
			Rollouts: rolloutView{s}, Migrations: migrationView{s}}
		if v := s.HSM(); v != nil {
			opts.HSM = v
		}
		if tok != nil {
			opts.Validator = s
		}
		p := tea.NewProgram(ui.NewApp(opts), tea.WithContext(ctx), tea.WithColorProfile(opts.Profile))
		if _, err := p.Run(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("console: %w", err)
		}
		return nil
	}
}

// rolloutView gives the Deployment view the rollouts, a wallet without one
// as flows.ErrNoRollout (ui does not know store).
type rolloutView struct{ s *ops.Service }

func (v rolloutView) DeployStatus(ctx context.Context, version int) (*model.Rollout, error) {
	r, err := v.s.DeployStatus(ctx, version)
	if errors.Is(err, store.ErrRolloutNotFound) {
		return nil, fmt.Errorf("%w: %w", flows.ErrNoRollout, err)
	}
	return r, err
}
