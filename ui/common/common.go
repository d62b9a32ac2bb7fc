// Package common is what every part of the console's terminal UI shares:
// the context passed down to every screen (Common), the styles, the key map,
// the loader that runs database and HSM calls off the UI goroutine and the
// messages it returns, the interfaces the screens read through (Source,
// HSMStatus, RequestSource, Ceremony) and the text helpers (Width, Truncate,
// Fit, Inert, …).
package common

import (
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/jobs"
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

	// Load starts the background calls and tracks those in flight.
	Load *Loader
	// Jobs runs the long work (a flow's run); the App owns it, the header
	// shows it, screens only start and watch.
	Jobs *jobs.Manager

	// AutoRefresh: the screens refresh on their own (--refresh is not 0);
	// a screen that follows moving work (Migrations) reads again faster
	// only then.
	AutoRefresh bool
	// After delivers msg after d: the App's timer, which tests stop.
	After func(d time.Duration, msg tea.Msg) tea.Cmd
}

// Clock returns the current time in the display zone.
func (c *Common) Clock() time.Time { return c.Now().In(c.Loc) }

// EnvName is the environment filter as shown in the header.
func (c *Common) EnvName() string {
	if c.Env == "" {
		return "all"
	}
	return string(c.Env)
}

// envs is the cycle of the environment filter.
var envs = append([]model.Environment{""}, model.AllEnvironments...)

// NextEnv returns the environment after e in the cycle.
func NextEnv(e model.Environment) model.Environment {
	for i, v := range envs {
		if v == e {
			return envs[(i+1)%len(envs)]
		}
	}
	return ""
}
