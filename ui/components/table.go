package components

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/ui/common"
)

// Column describes one table column. Columns that do not fit the terminal
// are dropped by priority, highest number first; priority 0 is always shown
// (squeezed if need be).
type Column struct {
	Title string
	Width int // natural width: fixed, or measured from the data
	Max   int // cap on a measured width; 0 for none
	Min   int // a flex column is never narrower
	Prio  int
	Right bool // numbers
	Flex  bool // takes the room left over, up to its natural width
}

// Table lays out and draws rows of pre-formatted cells. Cells are plain,
// already inert text; styles are applied while drawing, only to the rows
// on screen.
type Table struct {
	cols   []Column
	Widths []int // per column; 0 = hidden
	gap    int
	// marks adds a change column to the marker: ">* " for the selected row
	// that changed since the last refresh, " * " for another changed row.
	marks bool
}

const marker = 2 // "> " before every row

// ChangeMark marks a row or value that changed since the last refresh. It
// is plain text, so it shows with NO_COLOR and on any terminal; the Changed
// style only adds emphasis.
const ChangeMark = "*"

// NewTable is a table of cols.
func NewTable(cols ...Column) *Table {
	return &Table{cols: cols, Widths: make([]int, len(cols)), gap: 2}
}

// NewMarkedTable is a table whose rows can carry the change mark.
func NewMarkedTable(cols ...Column) *Table {
	t := NewTable(cols...)
	t.marks = true
	return t
}

// lead is the width of the marker before every row.
func (t *Table) lead() int {
	if t.marks {
		return marker + 1
	}
	return marker
}

// Measure sets the natural width of measured columns (max > 0) from the
// data: the widest cell or the title, at most max.
func (t *Table) Measure(rows [][]string) {
	for i := range t.cols {
		c := &t.cols[i]
		if c.Max == 0 {
			continue
		}
		w := common.Width(c.Title)
		for _, r := range rows {
			if i < len(r) {
				if cw := common.Width(r[i]); cw > w {
					w = cw
					if w >= c.Max {
						w = c.Max
						break
					}
				}
			}
		}
		c.Width = w
	}
}

// Layout chooses the columns and their widths for total cells (the marker
// included).
func (t *Table) Layout(total int) {
	avail := total - t.lead()
	for i := range t.Widths {
		t.Widths[i] = 0
	}
	// Stable order by priority.
	order := make([]int, len(t.cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return t.cols[a].Prio - t.cols[b].Prio })
	used, shown := 0, 0
	for _, i := range order {
		c := t.cols[i]
		w := c.Width
		if c.Flex {
			w = max(c.Min, 1)
		}
		need := w
		if shown > 0 {
			need += t.gap
		}
		if used+need > avail {
			if c.Prio != 0 {
				continue
			}
			// A column that must show gets what is left.
			rest := avail - used
			if shown > 0 {
				rest -= t.gap
			}
			if rest < 1 {
				continue
			}
			w, need = rest, avail-used
		}
		t.Widths[i] = w
		used += need
		shown++
	}
	// Flex columns grow into the slack, up to their natural width.
	for i, c := range t.cols {
		if c.Flex && t.Widths[i] > 0 && used < avail {
			grow := min(avail-used, max(c.Width-t.Widths[i], 0))
			t.Widths[i] += grow
			used += grow
		}
	}
}

// Header draws the column titles; mark may decorate a title (sort arrows).
func (t *Table) Header(s *common.Styles, mark func(i int) string) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", t.lead()))
	first := true
	for i, w := range t.Widths {
		if w == 0 {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", t.gap))
		}
		first = false
		title := t.cols[i].Title
		if mark != nil {
			// The sort arrow shows where it fits; the status line names
			// the sort column in any case.
			if m := mark(i); m != "" && common.Width(title+m) <= w {
				title += m
			}
		}
		b.WriteString(s.R(s.Header, common.Fit(title, w, t.cols[i].Right)))
	}
	return b.String()
}

// Row draws one row. style may pick a style per column (nil for none); the
// selected row gets the ">" marker and the selection style instead.
func (t *Table) Row(s *common.Styles, cells []string, selected bool, style func(col int) *lipgloss.Style) string {
	return t.MarkedRow(s, cells, selected, false, style)
}

// MarkedRow is row with the change mark when changed (and the table has
// marks).
func (t *Table) MarkedRow(s *common.Styles, cells []string, selected, changed bool, style func(col int) *lipgloss.Style) string {
	var b strings.Builder
	if selected {
		b.WriteString(">")
	} else {
		b.WriteString(" ")
	}
	if t.marks {
		switch {
		case changed && selected: // the selection style covers the line
			b.WriteString(ChangeMark)
		case changed:
			b.WriteString(s.R(s.Changed, ChangeMark))
		default:
			b.WriteString(" ")
		}
	}
	b.WriteString(" ")
	first := true
	for i, w := range t.Widths {
		if w == 0 {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", t.gap))
		}
		first = false
		var cell string
		if i < len(cells) {
			cell = cells[i]
		}
		right := t.cols[i].Right
		text := common.Truncate(cell, w)
		pad := strings.Repeat(" ", w-common.Width(text))
		if !selected && style != nil {
			if st := style(i); st != nil {
				text = s.R(*st, text)
			}
		}
		if right {
			b.WriteString(pad + text)
		} else {
			b.WriteString(text + pad)
		}
	}
	if selected {
		return s.R(s.Selected, b.String())
	}
	return b.String()
}

// ListNav is a cursor over n rows shown height at a time.
type ListNav struct {
	Cursor, Offset, N, Height int
}

func (l *ListNav) SetLen(n int) {
	l.N = n
	l.Clamp()
}

func (l *ListNav) SetHeight(h int) {
	l.Height = max(h, 0)
	l.Clamp()
}

func (l *ListNav) Clamp() {
	if l.Cursor >= l.N {
		l.Cursor = l.N - 1
	}
	if l.Cursor < 0 {
		l.Cursor = 0
	}
	if l.Height <= 0 {
		l.Offset = 0
		return
	}
	if l.Cursor < l.Offset {
		l.Offset = l.Cursor
	}
	if l.Cursor >= l.Offset+l.Height {
		l.Offset = l.Cursor - l.Height + 1
	}
	if l.Offset > l.N-l.Height {
		l.Offset = l.N - l.Height
	}
	if l.Offset < 0 {
		l.Offset = 0
	}
}

// Key moves the cursor for a navigation key; it reports whether the key was
// one.
func (l *ListNav) Key(k *common.KeyMap, msg tea.KeyPressMsg) bool {
	page := max(l.Height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		l.Cursor--
	case key.Matches(msg, k.Down):
		l.Cursor++
	case key.Matches(msg, k.PageUp):
		l.Cursor -= page
		l.Offset -= page
	case key.Matches(msg, k.PageDown):
		l.Cursor += page
		l.Offset += page
	case key.Matches(msg, k.Top):
		l.Cursor = 0
	case key.Matches(msg, k.Bottom):
		l.Cursor = l.N - 1
	default:
		return false
	}
	l.Clamp()
	return true
}

// Visible is the range of rows on screen.
func (l *ListNav) Visible() (start, end int) {
	return l.Offset, min(l.Offset+l.Height, l.N)
}

// Scroller is a view of n lines shown height at a time, without a cursor.
type Scroller struct {
	Offset, N, Height int
}

func (s *Scroller) Clamp() {
	s.Offset = min(s.Offset, s.N-s.Height)
	s.Offset = max(s.Offset, 0)
}

func (s *Scroller) Key(k *common.KeyMap, msg tea.KeyPressMsg) bool {
	page := max(s.Height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.Offset--
	case key.Matches(msg, k.Down):
		s.Offset++
	case key.Matches(msg, k.PageUp):
		s.Offset -= page
	case key.Matches(msg, k.PageDown):
		s.Offset += page
	case key.Matches(msg, k.Top):
		s.Offset = 0
	case key.Matches(msg, k.Bottom):
		s.Offset = s.N
	default:
		return false
	}
	s.Clamp()
	return true
}

func (s *Scroller) Visible() (start, end int) {
	return s.Offset, min(s.Offset+s.Height, s.N)
}

// Position says where a scrolled view is: "lines 1–19 of 240".
func (s *Scroller) Position() string {
	if s.N <= s.Height {
		return ""
	}
	a, b := s.Visible()
	return "lines " + common.Itoa(a+1) + "–" + common.Itoa(b) + " of " + common.Itoa(s.N)
}
