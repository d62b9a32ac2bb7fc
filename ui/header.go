package ui

import (
	"strings"
	"time"

	"github.com/plings/walletconsole/ui/common"
)

// headerLines is the header's height: three lines, or two in a short
// window (database and HSM share the first).
func (a *App) headerLines() int {
	if a.compact() {
		return 2
	}
	return 3
}

// compact is a window below 80x24 (tmux's 80x23 pane included): the header
// shrinks to two lines and the screens drop columns.
func (a *App) compact() bool { return a.c.Height < 24 || a.c.Width < 80 }

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
	case len(a.c.Jobs.Running()) > 0:
		right = a.jobLine()
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
	if a.compact() {
		// Two lines: the states of database and HSM without their names,
		// then the tabs with the mode on the right.
		hsmShort := s.R(s.Muted, "none")
		if !a.noHSM {
			hsmShort = a.connText(&a.hsm.connState, "")
		}
		short := s.R(s.Label, "DB ") + a.connText(&a.db, "") + "  " + s.R(s.Label, "HSM ") + hsmShort
		badge := s.R(s.Operator, "OPERATOR")
		if a.c.ReadOnly {
			badge = s.R(s.ReadOnly, "READ-ONLY")
		}
		tabs := a.tabs(false)
		if common.Width(tabs)+common.Width(badge)+1 > w {
			tabs = a.tabs(true)
		}
		return []string{common.JoinRight(short, right, w), common.JoinRight(tabs, badge, w)}
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

// tabs are the compact header's screen names, shortened to four letters
// when short.
func (a *App) tabs(short bool) string {
	s := a.c.Styles
	var b strings.Builder
	for i, p := range a.pages {
		t := firstWord(p.Title())
		if short && len(t) > 4 {
			t = t[:4]
		}
		label := common.Itoa(i+1) + " " + t
		if i == a.active {
			b.WriteString(s.R(s.TabActive, "["+label+"]"))
		} else {
			b.WriteString(s.R(s.TabIdle, " "+label+" "))
		}
	}
	return b.String()
}

// firstWord shortens a tab's title in a narrow window.
func firstWord(t string) string {
	if i := strings.IndexByte(t, ' '); i > 0 {
		return t[:i]
	}
	return t
}

// jobLine is the header's view of the running jobs: the oldest with its
// progress, and how many more.
func (a *App) jobLine() string {
	s := a.c.Styles
	run := a.c.Jobs.Running()
	j := run[0]
	text := a.spin.View() + " job " + common.Itoa(j.ID) + " " + common.Truncate(common.Inert(j.Title), 24)
	if pct := j.Progress.Percent(); pct >= 0 {
		text += " " + common.Itoa(pct) + "%"
	}
	if len(run) > 1 {
		text += " (+" + common.Itoa(len(run)-1) + ")"
	}
	return s.R(s.Info, text)
}
