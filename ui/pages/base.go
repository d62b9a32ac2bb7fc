// Package pages holds the console's screens: the inventory (with the
// wallet detail), health, audit, the migrations and the Flows
// menu. Each embeds Base, which holds what every screen has.
package pages

import (
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/ui/common"
)

// Base is what every page has, declared once and embedded: the shared
// context, the page's name and title, its size, its "/" filter, and the
// state of its main load (loaded once, when, and why the last one failed),
// with the defaults of the page interface: not filterable, nothing open to
// go back from, nothing to refresh. A page overrides what it does otherwise
// (a SetSize that lays out, a Refresh that loads).
type Base struct {
	c           *common.Common
	name, title string
	w, h        int
	filter      string

	loaded   bool      // a load has succeeded
	loadedAt time.Time // when the data shown was loaded
	err      string    // why the last load failed, inert; "" when it did not
	errAt    time.Time
}

func newBase(c *common.Common, name, title string) Base {
	return Base{c: c, name: name, title: title}
}

// Common is the shared context.
func (b *Base) Common() *common.Common { return b.c }

// Name is the page's name for ":name".
func (b *Base) Name() string { return b.name }

// Title is the page's name in the tabs.
func (b *Base) Title() string { return b.title }

// SetSize takes the page's share of the terminal.
func (b *Base) SetSize(w, h int) { b.w, b.h = w, h }

// Size is the page's share of the terminal.
func (b *Base) Size() (w, h int) { return b.w, b.h }

// Filterable is false: "/" has nothing to filter here.
func (b *Base) Filterable() bool { return false }

// Filter is the "/" filter in force ("" for none).
func (b *Base) Filter() string { return b.filter }

// SetFilter sets the "/" filter.
func (b *Base) SetFilter(f string) { b.filter = f }

// Back has nothing to close.
func (b *Base) Back() bool { return false }

// Refresh has nothing to load.
func (b *Base) Refresh() tea.Cmd { return nil }

// Loaded reports whether a load has succeeded, and when the latest did.
func (b *Base) Loaded() (bool, time.Time) { return b.loaded, b.loadedAt }

// LoadError is why the latest load failed; "" when it did not.
func (b *Base) LoadError() string { return b.err }

// failed takes the outcome of a load at now: for an error it records why
// and when and reports true; otherwise it clears the error.
func (b *Base) failed(err error, now time.Time) bool {
	if err != nil {
		b.err, b.errAt = common.ErrText(err), now
		return true
	}
	b.err = ""
	return false
}

// markLoaded records a good load at now.
func (b *Base) markLoaded(now time.Time) { b.loaded, b.loadedAt = true, now }

// staleLines is the failure-in-place line while the latest load has failed
// (the data shown is from an earlier one), and nothing otherwise.
func (b *Base) staleLines() []string {
	if b.err == "" {
		return nil
	}
	text := "! refresh failed at " + common.Stamp(b.errAt, b.c.Loc) + ": " + b.err
	if !b.loadedAt.IsZero() {
		text = "! showing data from " + common.Stamp(b.loadedAt, b.c.Loc) + "; refresh failed at " + common.Stamp(b.errAt, b.c.Loc) + ": " + b.err
	}
	return []string{b.c.Styles.R(b.c.Styles.Error, common.Truncate(text, b.w))}
}

// notLoaded is the line in place of the data before the first good load:
// what is loading, or that there is no data yet when that load failed.
func (b *Base) notLoaded(what string) string {
	s := b.c.Styles
	if b.err == "" {
		return s.R(s.Muted, "  loading "+what+"…")
	}
	return s.R(s.Muted, "  no data yet")
}

// scope describes the filters in force: ` "abc" in production`.
func (b *Base) scope() string {
	var sb strings.Builder
	if b.filter != "" {
		sb.WriteString(" " + common.Quote(b.filter))
	}
	if b.c.Env != "" {
		sb.WriteString(" in " + string(b.c.Env))
	}
	return sb.String()
}

// clip joins the lines of a page's view, at most its height of them.
func (b *Base) clip(out []string) string {
	if len(out) > b.h {
		out = out[:max(b.h, 0)]
	}
	return strings.Join(out, "\n")
}
