package ui

import (
	"strings"
	"time"

	"github.com/plings/walletconsole/ui/common"
)

const headerLines = 3

// connState follows one connection (database or HSM) from its pings: up
// with a latency, or down since the first failure of the current outage.
type connState struct {
	known   bool
	ok      bool
	latency time.Duration
	since   time.Time
	err     string
}

func (c *connState) update(err error, latency time.Duration, now time.Time) {
	if err != nil {
		if !c.known || c.ok {
			c.since = now
		}
		c.known, c.ok, c.err = true, false, common.ErrText(err)
		return
	}
	c.known, c.ok, c.latency, c.err = true, true, latency, ""
}

type hsmState struct {
	connState
	module, token string
	loggedIn      bool
}

// header is three lines: database, HSM with mode and environment, tabs.
func (a *App) header() []string {
	s := a.c.Styles
	w := a.c.Width

	// Line 1: the database, and on the right the spinner or the time of the
	// last good inventory.
	db := s.R(s.Label, "DB ") + a.connText(&a.db, a.where)
	right := ""
	switch {
	case a.db.known && !a.db.ok:
		// The error needs the room; the screens say how old their data is.
	case a.c.Load.Busy():
		right = a.spin.View() + " loading"
	case !a.updated.IsZero():
		right = s.R(s.Muted, "updated "+common.Stamp(a.updated, a.c.Loc))
	}
	l1 := common.JoinRight(db, right, w)

	// Line 2: the HSM, and on the right the mode and the environment filter.
	var hsm string
	switch {
	case a.noHSM && a.noHSMWhy != "":
		hsm = s.R(s.Warn, "none: "+a.noHSMWhy)
	case a.noHSM:
		hsm = s.R(s.Muted, "none (no HSM configured)")
	default:
		var parts []string
		if a.hsm.known && a.hsm.ok {
			if a.hsm.loggedIn {
				parts = append(parts, "logged in")
			} else {
				parts = append(parts, s.R(s.Warn, "not logged in"))
			}
		}
		if a.hsm.token != "" {
			parts = append(parts, "token "+a.hsm.token)
		}
		if a.hsm.module != "" {
			parts = append(parts, a.hsm.module)
		}
		hsm = a.connText(&a.hsm.connState, strings.Join(parts, " · "))
	}
	mode := s.R(s.Operator, " OPERATOR ")
	if a.c.ReadOnly {
		mode = s.R(s.ReadOnly, " READ-ONLY ")
	}
	l2 := common.JoinRight(s.R(s.Label, "HSM ")+hsm, mode+" env: "+a.c.EnvName(), w)

	// Line 3: the screens.
	var tabs strings.Builder
	for i, p := range a.pages {
		label := common.Itoa(i+1) + " " + p.Title()
		if i == a.active {
			tabs.WriteString(s.R(s.TabActive, "["+label+"]"))
		} else {
			tabs.WriteString(s.R(s.TabIdle, " "+label+" "))
		}
		tabs.WriteString(" ")
	}
	return []string{l1, l2, common.Truncate(tabs.String(), w)}
}

// connText describes a connection: its state and error first (so that
// truncation at 80 columns keeps them), then what it is.
func (a *App) connText(c *connState, what string) string {
	s := a.c.Styles
	var b strings.Builder
	switch {
	case !c.known:
		b.WriteString(s.R(s.Unknown, "checking…"))
	case c.ok:
		b.WriteString(s.R(s.OK, "ok "+common.Millis(c.latency)))
	default:
		b.WriteString(s.R(s.Bad, "unreachable since "+common.Stamp(c.since, a.c.Loc)))
		if c.err != "" {
			b.WriteString(": " + s.R(s.Error, c.err))
		}
	}
	if what != "" {
		b.WriteString(" · " + what)
	}
	return b.String()
}
