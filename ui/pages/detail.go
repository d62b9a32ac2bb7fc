package pages

import (
	"slices"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// detailPage is one wallet: its facts, manufacturers, allocations by type,
// lineage and recent operations. The lines are drawn once per data or width
// change; View only slices the visible ones, so a wallet with thousands of
// manufacturers scrolls as cheaply as a small one.
type detailPage struct {
	Base
	version int
	sum     *model.WalletSummary // from the inventory, until the detail arrives
	d       *model.WalletDetail

	// What changed since the previous load of this detail: inventory
	// column bits for the facts, and the previous rows of every section by
	// key (nil before a second load).
	factBits uint32
	prevRows map[string][]string

	// hist is the wallet's stored health checks, from the health load.
	hist       *[ckCount][]common.HealthPoint
	histLoaded bool

	lines []string
	sc    components.Scroller
}

func newDetailPage(c *common.Common, v int, sum *model.WalletSummary) *detailPage {
	d := &detailPage{Base: newBase(c, "", ""), version: v}
	if sum != nil {
		cp := *sum
		d.sum = &cp
	}
	return d
}

func (d *detailPage) SetSize(w, h int) {
	rebuild := w != d.w
	d.w, d.h = w, h
	d.sc.Height = h
	if rebuild {
		d.build()
	}
	d.sc.Clamp()
}

func (d *detailPage) setSummary(w model.WalletSummary) {
	d.sum = &w
	d.build()
}

func (d *detailPage) update(msg common.DetailMsg) {
	if msg.Version != d.version {
		return
	}
	now := d.c.Clock()
	if !d.failed(msg.Err, now) {
		det := msg.Detail
		if old := d.d; old != nil {
			d.factBits = diffWallets(&old.Wallet, &det.Wallet)
			d.prevRows = sectionIndex(detailSections(old, d.c.Loc))
		}
		d.d = &det
		d.markLoaded(now)
		d.sum = &det.Wallet
	}
	d.build()
}

func (d *detailPage) key(msg tea.KeyPressMsg) {
	d.sc.Key(d.c.Keys, msg)
}

func (d *detailPage) View() string {
	start, end := d.sc.Visible()
	if start >= end {
		return ""
	}
	return strings.Join(d.lines[start:end], "\n")
}

func (d *detailPage) Status() string {
	st := model.VersionName(d.version)
	if pos := d.sc.Position(); pos != "" {
		st += " · " + pos
	}
	if !d.loadedAt.IsZero() {
		st += " · detail from " + common.Stamp(d.loadedAt, d.c.Loc)
	}
	return st + " · esc back"
}

// build draws every line of the detail for the current width.
func (d *detailPage) build() {
	w := d.w
	if w <= 0 {
		d.lines = nil
		d.sc.N = 0
		return
	}
	s := d.c.Styles
	var out []string
	add := func(line string) { out = append(out, common.Truncate(line, w)) }

	sum := d.sum
	// fact is a fact of the wallet, marked when it changed.
	fact := func(col int, text string) string {
		if d.factBits&(1<<col) != 0 {
			return s.R(s.Changed, components.ChangeMark+text)
		}
		return text
	}
	title := model.VersionName(d.version)
	if sum != nil {
		if n := walletName(*sum); n != title {
			title = n + " (" + title + ")"
		}
		facts := []string{fact(icStatus, s.R(s.Status(sum.Status), common.Inert(string(sum.Status)))), fact(icEnv, common.Inert(string(sum.Environment))),
			fact(icSecurity, "security "+common.Inert(string(sum.SecurityLevel)))}
		if sum.IsDefault {
			facts = append(facts, fact(icDefault, s.R(s.Title, "DEFAULT")))
		} else if d.factBits&(1<<icDefault) != 0 {
			facts = append(facts, fact(icDefault, "no longer default"))
		}
		title = s.R(s.Title, title) + " · " + strings.Join(facts, " · ")
	} else {
		title = s.R(s.Title, title)
	}
	add(title)
	out = append(out, d.staleLines()...)
	if sum == nil {
		if d.err == "" {
			add(s.R(s.Muted, "loading…"))
		}
		d.finish(out)
		return
	}
	if sum.Description != "" {
		for _, l := range common.Wrap(common.Inert(sum.Description), w) {
			add(l)
		}
	}
	now := d.c.Clock()
	mig := "none"
	if sum.MigrationCompletion != nil {
		mig = common.Itoa(int(*sum.MigrationCompletion+0.5)) + "%"
	}
	for _, l := range common.Pack(w,
		fact(icHealth, "health "+s.R(s.Health(sum.Health), healthText(sum.Health))),
		fact(icLast, "last allocation "+common.Ago(now, sum.LastAllocation)),
		"created "+common.DateTime(sum.CreatedAt, d.c.Loc)) {
		add(l)
	}
	for _, l := range common.Pack(w,
		fact(icMfrs, "manufacturers "+common.Itoa(sum.Manufacturers)), fact(icPaths, "paths "+common.Group(sum.Paths)),
		fact(icIDs, "identifiers "+common.Group(sum.Identifiers)), fact(icMigr, "migration out "+mig)) {
		add(l)
	}
	add("master key " + common.Inert(sum.MasterKeyID))

	if d.d == nil {
		if d.err == "" {
			add(s.R(s.Muted, "loading manufacturers, allocations, lineage and operations…"))
		}
		d.finish(out)
		return
	}
	for _, sec := range detailSections(d.d, d.c.Loc) {
		out = append(out, "")
		add(s.R(s.Section, sec.name+" ("+common.Itoa(len(sec.rows))+")"))
		if len(sec.rows) == 0 {
			add(s.R(s.Muted, "  none"))
			continue
		}
		t := components.NewMarkedTable(sec.cols...)
		t.Measure(sec.rows)
		t.Layout(w)
		out = append(out, t.Header(s, nil))
		for i, r := range sec.rows {
			changed := false
			if d.prevRows != nil {
				old, ok := d.prevRows[sec.name+"\x00"+sec.keys[i]]
				changed = !ok || !slices.Equal(old, r)
			}
			var style func(int) *lipgloss.Style
			if changed {
				style = func(int) *lipgloss.Style { return &s.Changed }
			}
			out = append(out, t.MarkedRow(s, r, false, changed, style))
		}
	}

	out = append(out, "")
	out = append(out, d.historyLines()...)
	d.finish(out)
}

// setHealth takes the stored health history of every wallet.
func (d *detailPage) setHealth(pts []common.HealthPoint) {
	var h [ckCount][]common.HealthPoint
	for _, p := range pts {
		if p.Wallet != d.version {
			continue
		}
		if i := slices.Index(model.AllChecks, p.Check); i >= 0 {
			h[i] = append(h[i], p)
		}
	}
	d.hist, d.histLoaded = &h, true
	d.build()
}

// historyLines are the wallet's stored check runs: each check's latest state
// and a trend line.
func (d *detailPage) historyLines() []string {
	s := d.c.Styles
	w := d.w
	title := s.R(s.Section, "Health history") + s.R(s.Muted, " · stored check runs, oldest left, full height = the limit; live values on the health screen")
	out := []string{common.Truncate(title, w)}
	if !d.histLoaded {
		return append(out, common.Truncate(s.R(s.Muted, "  loading…"), w))
	}
	t := components.NewTable(
		components.Column{Title: "CHECK", Width: 22},
		components.Column{Title: "LATEST", Width: 7},
		components.Column{Title: "AT", Width: 16, Prio: 2},
		components.Column{Title: "TREND", Width: common.HistoryPoints, Min: 12, Flex: true, Prio: 1},
	)
	t.Layout(w)
	tw := t.Widths[3]
	rows := 0
	lines := []string{t.Header(s, nil)}
	for c, name := range model.AllChecks {
		pts := d.hist[c]
		if len(pts) == 0 {
			continue
		}
		rows++
		last := pts[len(pts)-1]
		cells := []string{string(name), healthText(last.State), last.At.In(d.c.Loc).Format("2006-01-02 15:04"), ""}
		if tw > 0 {
			cells[3] = components.TrendLine(s, pts, components.TrendScale(d.c.Thresholds, name), tw)
		}
		lines = append(lines, t.Row(s, cells, false, func(col int) *lipgloss.Style {
			if col == 1 {
				st := s.Health(last.State)
				return &st
			}
			return nil
		}))
	}
	if rows == 0 {
		return append(out, common.Truncate(s.R(s.Muted, "  no check runs recorded"), w))
	}
	return append(out, lines...)
}

// detailSection is one table of the detail: its rows as shown (inert,
// formatted) and a key per row that names it across refreshes.
type detailSection struct {
	name string
	cols []components.Column
	rows [][]string
	keys []string
}

// sectionIndex maps section and key to a row's cells.
func sectionIndex(secs []detailSection) map[string][]string {
	n := 0
	for _, sec := range secs {
		n += len(sec.rows)
	}
	m := make(map[string][]string, n)
	for _, sec := range secs {
		for i, k := range sec.keys {
			m[sec.name+"\x00"+k] = sec.rows[i]
		}
	}
	return m
}

// dropEmpty removes the columns in which no row has a value (FROM when no
// manufacturer migrated in), so that they take no room from the columns
// that say something.
func (sec *detailSection) dropEmpty() {
	keep := make([]bool, len(sec.cols))
	left := len(sec.cols) // columns not yet seen with a value
	for _, r := range sec.rows {
		for i, c := range r {
			if c != "" && !keep[i] {
				keep[i] = true
				left--
			}
		}
		if left == 0 {
			return // every column has a value: nothing to drop, no need to look further
		}
	}
	var cols []components.Column
	for i, c := range sec.cols {
		if keep[i] {
			cols = append(cols, c)
		}
	}
	if len(cols) == len(sec.cols) {
		return
	}
	for j, r := range sec.rows {
		cells := r[:0] // in place: the row is this section's own
		for i, c := range r {
			if keep[i] {
				cells = append(cells, c)
			}
		}
		sec.rows[j] = cells
	}
	sec.cols = cols
}

// detailSections formats the detail's tables: manufacturers, allocations by
// type, lineage and recent operations. A column no row has a value in is
// left out. When the manufacturers' table is narrow it keeps, after the
// index, name, status and paths, the identifiers; then the delegation
// level, the registration date, the organization and the wallet migrated
// from, in that order.
func detailSections(det *model.WalletDetail, loc *time.Location) []detailSection {
	mf := detailSection{name: "Manufacturers", cols: []components.Column{
		{Title: "IDX", Max: 8, Right: true},
		{Title: "NAME", Max: 40, Min: 12, Flex: true},
		{Title: "STATUS", Max: 12},
		{Title: "DELEGATION", Max: 14, Prio: 2},
		{Title: "PATHS", Max: 14, Right: true},
		{Title: "IDENTIFIERS", Max: 16, Right: true, Prio: 1},
		{Title: "ORGANIZATION", Max: 24, Prio: 4},
		{Title: "REGISTERED", Max: 10, Prio: 3},
		{Title: "FROM", Max: 6, Prio: 5},
	}}
	for _, m := range det.Manufacturers {
		from := ""
		if m.MigratedFrom != nil {
			from = model.VersionName(*m.MigratedFrom)
		}
		reg := ""
		if !m.RegisteredAt.IsZero() {
			reg = m.RegisteredAt.In(loc).Format(time.DateOnly)
		}
		mf.rows = append(mf.rows, []string{common.Itoa(m.Index), common.Inert(m.Name), common.Inert(m.Status), common.Inert(m.DelegationLevel),
			common.Group(m.Paths), common.Group(m.Identifiers), common.Inert(m.Organization), reg, from})
		mf.keys = append(mf.keys, common.Itoa(m.Index))
	}

	al := detailSection{name: "Allocations by type", cols: []components.Column{
		{Title: "TYPE", Max: 14},
		{Title: "STATUS", Max: 12},
		{Title: "PATHS", Max: 14, Right: true},
		{Title: "IDENTIFIERS", Max: 18, Right: true},
		{Title: "LAST ALLOCATED", Max: 19, Prio: 1},
	}}
	for _, a := range det.Allocations {
		r := []string{common.Inert(a.Type), common.Inert(a.Status), common.Group(a.Paths), common.Group(a.Identifiers), common.DateTime(a.LastAllocatedAt, loc)}
		al.rows = append(al.rows, r)
		al.keys = append(al.keys, r[0]+"\x00"+r[1])
	}

	ln := detailSection{name: "Lineage", cols: []components.Column{
		{Title: "MANUFACTURER", Max: 30, Min: 12, Flex: true},
		{Title: "FROM", Max: 12},
		{Title: "TO", Max: 12},
		{Title: "REASON", Max: 20, Prio: 2},
		{Title: "STATUS", Max: 12},
		{Title: "DONE", Max: 5, Right: true},
		{Title: "DATE", Max: 10, Prio: 1},
	}}
	for _, l := range det.Lineage {
		from := "—"
		if l.PredecessorWallet != nil {
			from = model.VersionName(*l.PredecessorWallet)
			if l.PredecessorIndex != nil {
				from += " #" + common.Itoa(*l.PredecessorIndex)
			}
		}
		to := model.VersionName(l.CurrentWallet) + " #" + common.Itoa(l.CurrentIndex)
		date := ""
		if !l.Date.IsZero() {
			date = l.Date.In(loc).Format(time.DateOnly)
		}
		r := []string{common.Inert(l.CanonicalName), from, to, common.Inert(l.Reason), common.Inert(l.Status), common.Itoa(l.Completion) + "%", date}
		ln.rows = append(ln.rows, r)
		ln.keys = append(ln.keys, r[0]+"\x00"+from+"\x00"+to)
	}

	ops := detailSection{name: "Recent operations", cols: []components.Column{
		{Title: "SEQ", Max: 10, Right: true},
		{Title: "TIME", Max: 19},
		{Title: "OPERATION", Max: 40, Min: 12, Flex: true},
		{Title: "STATUS", Max: 12, Prio: 1},
		{Title: "LOGIN", Max: 20, Prio: 2},
	}}
	for _, o := range det.Recent {
		ops.rows = append(ops.rows, []string{common.Itoa64(o.Seq), common.DateTime(o.Time, loc), common.Inert(o.Type), common.Inert(o.Status), common.Inert(o.Actor())})
		ops.keys = append(ops.keys, common.Itoa64(o.Seq))
	}
	secs := []detailSection{mf, al, ln, ops}
	for i := range secs {
		secs[i].dropEmpty()
	}
	return secs
}

func (d *detailPage) finish(lines []string) {
	d.lines = lines
	d.sc.N = len(lines)
	d.sc.Clamp()
}
