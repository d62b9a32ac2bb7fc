package ui

import (
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/ui/common"
)

// column describes one table column. Columns that do not fit the terminal
// are dropped by priority, highest number first; priority 0 is always shown
// (squeezed if need be).
type column struct {
	title string
	width int // natural width: fixed, or measured from the data
	max   int // cap on a measured width; 0 for none
	min   int // a flex column is never narrower
	prio  int
	right bool // numbers
	flex  bool // takes the room left over, up to its natural width
}

// table lays out and draws rows of pre-formatted cells. Cells are plain,
// already inert text; styles are applied while drawing, only to the rows
// on screen.
type table struct {
	cols   []column
	widths []int // per column; 0 = hidden
	gap    int
	// marks adds a change column to the marker: ">* " for the selected row
	// that changed since the last refresh, " * " for another changed row.
	marks bool
}

const marker = 2 // "> " before every row

// changeMark marks a row or value that changed since the last refresh. It
// is plain text, so it shows with NO_COLOR and on any terminal; the Changed
// style only adds emphasis.
const changeMark = "*"

func newTable(cols ...column) *table {
	return &table{cols: cols, widths: make([]int, len(cols)), gap: 2}
}

// newMarkedTable is a table whose rows can carry the change mark.
func newMarkedTable(cols ...column) *table {
	t := newTable(cols...)
	t.marks = true
	return t
}

// lead is the width of the marker before every row.
func (t *table) lead() int {
	if t.marks {
		return marker + 1
	}
	return marker
}

// measure sets the natural width of measured columns (max > 0) from the
// data: the widest cell or the title, at most max.
func (t *table) measure(rows [][]string) {
	for i := range t.cols {
		c := &t.cols[i]
		if c.max == 0 {
			continue
		}
		w := common.Width(c.title)
		for _, r := range rows {
			if i < len(r) {
				if cw := common.Width(r[i]); cw > w {
					w = cw
					if w >= c.max {
						w = c.max
						break
					}
				}
			}
		}
		c.width = w
	}
}

// layout chooses the columns and their widths for total cells (the marker
// included).
func (t *table) layout(total int) {
	avail := total - t.lead()
	for i := range t.widths {
		t.widths[i] = 0
	}
	// Stable order by priority.
	order := make([]int, len(t.cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return t.cols[a].prio - t.cols[b].prio })
	used, shown := 0, 0
	for _, i := range order {
		c := t.cols[i]
		w := c.width
		if c.flex {
			w = max(c.min, 1)
		}
		need := w
		if shown > 0 {
			need += t.gap
		}
		if used+need > avail {
			if c.prio != 0 {
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
		t.widths[i] = w
		used += need
		shown++
	}
	// Flex columns grow into the slack, up to their natural width.
	for i, c := range t.cols {
		if c.flex && t.widths[i] > 0 && used < avail {
			grow := min(avail-used, max(c.width-t.widths[i], 0))
			t.widths[i] += grow
			used += grow
		}
	}
}

// header draws the column titles; mark may decorate a title (sort arrows).
func (t *table) header(s *common.Styles, mark func(i int) string) string {
	var b strings.Builder
	b.WriteString(strings.Repeat(" ", t.lead()))
	first := true
	for i, w := range t.widths {
		if w == 0 {
			continue
		}
		if !first {
			b.WriteString(strings.Repeat(" ", t.gap))
		}
		first = false
		title := t.cols[i].title
		if mark != nil {
			// The sort arrow shows where it fits; the status line names
			// the sort column in any case.
			if m := mark(i); m != "" && common.Width(title+m) <= w {
				title += m
			}
		}
		b.WriteString(s.R(s.Header, common.Fit(title, w, t.cols[i].right)))
	}
	return b.String()
}

// row draws one row. style may pick a style per column (nil for none); the
// selected row gets the ">" marker and the selection style instead.
func (t *table) row(s *common.Styles, cells []string, selected bool, style func(col int) *lipgloss.Style) string {
	return t.markedRow(s, cells, selected, false, style)
}

// markedRow is row with the change mark when changed (and the table has
// marks).
func (t *table) markedRow(s *common.Styles, cells []string, selected, changed bool, style func(col int) *lipgloss.Style) string {
	var b strings.Builder
	if selected {
		b.WriteString(">")
	} else {
		b.WriteString(" ")
	}
	if t.marks {
		switch {
		case changed && selected: // the selection style covers the line
			b.WriteString(changeMark)
		case changed:
			b.WriteString(s.R(s.Changed, changeMark))
		default:
			b.WriteString(" ")
		}
	}
	b.WriteString(" ")
	first := true
	for i, w := range t.widths {
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
		right := t.cols[i].right
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

// listNav is a cursor over n rows shown height at a time.
type listNav struct {
	cursor, offset, n, height int
}

func (l *listNav) setLen(n int) {
	l.n = n
	l.clamp()
}

func (l *listNav) setHeight(h int) {
	l.height = max(h, 0)
	l.clamp()
}

func (l *listNav) clamp() {
	if l.cursor >= l.n {
		l.cursor = l.n - 1
	}
	if l.cursor < 0 {
		l.cursor = 0
	}
	if l.height <= 0 {
		l.offset = 0
		return
	}
	if l.cursor < l.offset {
		l.offset = l.cursor
	}
	if l.cursor >= l.offset+l.height {
		l.offset = l.cursor - l.height + 1
	}
	if l.offset > l.n-l.height {
		l.offset = l.n - l.height
	}
	if l.offset < 0 {
		l.offset = 0
	}
}

// key moves the cursor for a navigation key; it reports whether the key was
// one.
func (l *listNav) key(k *common.KeyMap, msg tea.KeyPressMsg) bool {
	page := max(l.height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		l.cursor--
	case key.Matches(msg, k.Down):
		l.cursor++
	case key.Matches(msg, k.PageUp):
		l.cursor -= page
		l.offset -= page
	case key.Matches(msg, k.PageDown):
		l.cursor += page
		l.offset += page
	case key.Matches(msg, k.Top):
		l.cursor = 0
	case key.Matches(msg, k.Bottom):
		l.cursor = l.n - 1
	default:
		return false
	}
	l.clamp()
	return true
}

// visible is the range of rows on screen.
func (l *listNav) visible() (start, end int) {
	return l.offset, min(l.offset+l.height, l.n)
}

// scroller is a view of n lines shown height at a time, without a cursor.
type scroller struct {
	offset, n, height int
}

func (s *scroller) clamp() {
	s.offset = min(s.offset, s.n-s.height)
	s.offset = max(s.offset, 0)
}

func (s *scroller) key(k *common.KeyMap, msg tea.KeyPressMsg) bool {
	page := max(s.height-1, 1)
	switch {
	case key.Matches(msg, k.Up):
		s.offset--
	case key.Matches(msg, k.Down):
		s.offset++
	case key.Matches(msg, k.PageUp):
		s.offset -= page
	case key.Matches(msg, k.PageDown):
		s.offset += page
	case key.Matches(msg, k.Top):
		s.offset = 0
	case key.Matches(msg, k.Bottom):
		s.offset = s.n
	default:
		return false
	}
	s.clamp()
	return true
}

func (s *scroller) visible() (start, end int) {
	return s.offset, min(s.offset+s.height, s.n)
}

// position says where a scrolled view is: "lines 1–19 of 240".
func (s *scroller) position() string {
	if s.n <= s.height {
		return ""
	}
	a, b := s.visible()
	return "lines " + common.Itoa(a+1) + "–" + common.Itoa(b) + " of " + common.Itoa(s.n)
}
