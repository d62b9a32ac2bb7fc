package common

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
)

// Width is the display width of s; plain ASCII is measured by length.
func Width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// Truncate cuts s to at most w cells, ending with "…" when it cut.
func Truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if Width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// Fit truncates or pads s to exactly w cells, on the right or (right=true)
// on the left.
func Fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := Width(s)
	if sw > w {
		return ansi.Truncate(s, w, "…")
	}
	if sw == w {
		return s
	}
	pad := strings.Repeat(" ", w-sw)
	if right {
		return pad + s
	}
	return s + pad
}

// JoinRight puts right at the end of a w-wide line after left, truncating
// left first so that right stays visible; right is dropped when it would
// leave left less than half the line.
func JoinRight(left, right string, w int) string {
	rw := Width(right)
	if right == "" || rw+1 > w/2 {
		return Truncate(left, w)
	}
	return Fit(left, w-rw-1, false) + " " + right
}

// Quote is s in double quotes, inert.
func Quote(s string) string { return "\"" + Inert(s) + "\"" }

// Itoa is strconv.Itoa, short.
func Itoa(n int) string { return strconv.Itoa(n) }

// Group formats n with thousands separators: 1,234,567 (model.Group).
func Group(n int64) string { return model.Group(n) }

// Ago says how long before now t was, in one unit: "12s ago", "5m ago",
// "3h ago", "4d ago"; "never" for the zero time, "in future" for clock skew.
func Ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	switch {
	case d < -time.Minute:
		return "in future"
	case d < time.Minute:
		return strconv.Itoa(max(0, int(d/time.Second))) + "s ago"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + "m ago"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + "h ago"
	default:
		return strconv.Itoa(int(d/(24*time.Hour))) + "d ago"
	}
}

// Stamp formats a time of day for the header: 15:04:05.
func Stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format(time.TimeOnly)
}

// DateTime formats a moment for tables: 2006-01-02 15:04:05.
func DateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format(time.DateTime)
}

// ErrText is an error made fit for one line of the screen: inert, since
// database errors quote database text.
func ErrText(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.DeadlineExceeded):
		// The console's own timeout on a call: say what it means, not Go's words.
		return "no answer in time (the database or the HSM is slow or unreachable); try again"
	case errors.Is(err, context.Canceled):
		return "stopped before it finished"
	}
	return Inert(err.Error())
}

// Millis shows a latency as the health checks do.
func Millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1 {
		return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// ClampLines splits s into at most h lines and cuts each to w cells: the last
// guard that nothing a screen draws can leave the terminal.
func ClampLines(s string, w, h int) []string {
	if w <= 0 || h <= 0 {
		return nil
	}
	ls := strings.Split(s, "\n")
	if len(ls) > h {
		ls = ls[:h]
	}
	for i, l := range ls {
		if Width(l) > w {
			ls[i] = ansi.Truncate(l, w, "")
		}
	}
	return ls
}

// PadLines returns ls padded with empty lines to exactly h lines (cut when
// longer).
func PadLines(ls []string, h int) []string {
	if len(ls) >= h {
		return ls[:max(h, 0)]
	}
	for len(ls) < h {
		ls = append(ls, "")
	}
	return ls
}

// Wrap wraps text to w cells, breaking long words.
func Wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// Itoa64 is strconv.FormatInt in base 10.
func Itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// Pack packs parts into lines of at most w cells, joined by " · ", breaking
// between parts (a part wider than a line is cut).
func Pack(w int, parts ...string) []string {
	var out []string
	line := ""
	for _, p := range parts {
		switch {
		case line == "":
			line = p
		case Width(line)+3+Width(p) <= w:
			line += " · " + p
		default:
			out = append(out, Truncate(line, w))
			line = p
		}
	}
	if line != "" {
		out = append(out, Truncate(line, w))
	}
	return out
}

// VisibleWallets appends to out the rows of all that the environment filter
// and the "/" filter let through; key gives a row's environment and its
// lower-case search text.
func VisibleWallets[R any](out []*R, all []R, env model.Environment, filter string, key func(*R) (model.Environment, string)) []*R {
	f := strings.ToLower(filter)
	for i := range all {
		e, search := key(&all[i])
		if env != "" && e != env {
			continue
		}
		if f != "" && !strings.Contains(search, f) {
			continue
		}
		out = append(out, &all[i])
	}
	return out
}

// OneLine is s for a single line (the status line, a note): its own line
// breaks become " · ", the rest made inert.
func OneLine(s string) string {
	var parts []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			parts = append(parts, l)
		}
	}
	return Inert(strings.Join(parts, " · "))
}
