package ui

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
)

// width is the display width of s; plain ASCII is measured by length.
func width(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return ansi.StringWidth(s)
		}
	}
	return len(s)
}

// truncate cuts s to at most w cells, ending with "…" when it cut.
func truncate(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if width(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// fit truncates or pads s to exactly w cells, on the right or (right=true)
// on the left.
func fit(s string, w int, right bool) string {
	if w <= 0 {
		return ""
	}
	sw := width(s)
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

// joinRight puts right at the end of a w-wide line after left, truncating
// left first so that right stays visible; right is dropped when it would
// leave left less than half the line.
func joinRight(left, right string, w int) string {
	rw := width(right)
	if right == "" || rw+1 > w/2 {
		return truncate(left, w)
	}
	return fit(left, w-rw-1, false) + " " + right
}

// itoa is strconv.Itoa, short.
func itoa(n int) string { return strconv.Itoa(n) }

// group formats n with thousands separators: 1,234,567.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}

// ago says how long before now t was, in one unit: "12s ago", "5m ago",
// "3h ago", "4d ago"; "never" for the zero time, "in future" for clock skew.
func ago(now, t time.Time) string {
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

// stamp formats a time of day for the header: 15:04:05.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format(time.TimeOnly)
}

// dateTime formats a moment for tables: 2006-01-02 15:04:05.
func dateTime(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(loc).Format(time.DateTime)
}

// errText is an error made fit for one line of the screen: inert, since
// database errors quote database text.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return Inert(err.Error())
}

// millis shows a latency as the health checks do.
func millis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	if ms < 1 {
		return strconv.FormatFloat(ms, 'f', 3, 64) + " ms"
	}
	return strconv.FormatFloat(ms, 'f', 1, 64) + " ms"
}

// lines splits s into at most h lines and cuts each to w cells: the last
// guard that nothing a screen draws can leave the terminal.
func clampLines(s string, w, h int) []string {
	if w <= 0 || h <= 0 {
		return nil
	}
	ls := strings.Split(s, "\n")
	if len(ls) > h {
		ls = ls[:h]
	}
	for i, l := range ls {
		if width(l) > w {
			ls[i] = ansi.Truncate(l, w, "")
		}
	}
	return ls
}

// padLines returns ls padded with empty lines to exactly h lines (cut when
// longer).
func padLines(ls []string, h int) []string {
	if len(ls) >= h {
		return ls[:max(h, 0)]
	}
	for len(ls) < h {
		ls = append(ls, "")
	}
	return ls
}

// wrap wraps text to w cells, breaking long words.
func wrap(s string, w int) []string {
	if w <= 0 {
		return nil
	}
	return strings.Split(ansi.Wrap(s, w, ""), "\n")
}

// itoa64 is strconv.FormatInt in base 10.
func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// flow packs parts into lines of at most w cells, joined by " · ", breaking
// between parts (a part wider than a line is cut).
func flow(w int, parts ...string) []string {
	var out []string
	line := ""
	for _, p := range parts {
		switch {
		case line == "":
			line = p
		case width(line)+3+width(p) <= w:
			line += " · " + p
		default:
			out = append(out, truncate(line, w))
			line = p
		}
	}
	if line != "" {
		out = append(out, truncate(line, w))
	}
	return out
}

// inert is Inert with a fast path for the common case, printable ASCII,
// which has nothing to neutralise; anything else goes through Inert.
func inert(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return Inert(s)
		}
	}
	return s
}

// visibleWallets appends to out the rows of all that the environment filter
// and the "/" filter let through; key gives a row's environment and its
// lower-case search text.
func visibleWallets[R any](out []*R, all []R, env model.Environment, filter string, key func(*R) (model.Environment, string)) []*R {
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
