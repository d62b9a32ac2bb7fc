package pages

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// Inventory columns, in display order.
const (
	icDefault = iota
	icName
	icStatus
	icHealth
	icEnv
	icSecurity
	icMfrs
	icPaths
	icIDs
	icLast
	icMigr
	icDesc
	icCount
)

func inventoryColumns() []components.Column {
	// What goes first when the terminal is narrow: the highest priority
	// number. The name, status, health and path count always show (at 60
	// columns they fit with the longest name and count); then the
	// environment, the default mark, the other counts, and the rest.
	c := make([]components.Column, icCount)
	c[icDefault] = components.Column{Title: "DEF", Width: 3, Prio: 2}
	c[icName] = components.Column{Title: "NAME", Max: 16}
	c[icStatus] = components.Column{Title: "STATUS", Width: 11}              // compromised
	c[icHealth] = components.Column{Title: "HEALTH", Width: 9}               // unhealthy
	c[icEnv] = components.Column{Title: "ENV", Width: 11, Prio: 1}           // development
	c[icSecurity] = components.Column{Title: "SECURITY", Width: 12, Prio: 4} // experimental
	c[icMfrs] = components.Column{Title: "MFRS", Max: 8, Right: true, Prio: 3}
	c[icPaths] = components.Column{Title: "PATHS", Max: 14, Right: true}
	c[icIDs] = components.Column{Title: "IDENTIFIERS", Max: 16, Right: true, Prio: 5}
	c[icLast] = components.Column{Title: "LAST ALLOC", Width: 10, Prio: 6}
	c[icMigr] = components.Column{Title: "MIGR", Width: 4, Right: true, Prio: 7}
	c[icDesc] = components.Column{Title: "DESCRIPTION", Max: 60, Min: 12, Flex: true, Prio: 8}
	return c
}

// invRow is one wallet with its cells formatted (and made inert) once, when
// the data arrives, so that View only pads and styles the rows on screen.
type invRow struct {
	w      model.WalletSummary
	cells  []string
	search string // every cell, lower case, for "/"
	// What changed since the last refresh: a bit per column, or the whole
	// row for a wallet that was not there.
	changed uint32
	isNew   bool
}

// marked says whether the row carries the change mark.
func (r *invRow) marked() bool { return r.isNew || r.changed != 0 }

// diffWallets returns a bit per inventory column whose value differs
// between two refreshes of the same wallet. Last allocation compares the
// time, not the "5m ago" text, which moves on its own.
func diffWallets(old, cur *model.WalletSummary) uint32 {
	var bits uint32
	for col := range icCount {
		var d bool
		switch col {
		case icName:
			d = old.Name != cur.Name
		case icDesc:
			d = old.Description != cur.Description
		default:
			d = compareWallets(col, old, cur) != 0
		}
		if d {
			bits |= 1 << col
		}
	}
	return bits
}

func newInvRow(w model.WalletSummary, now time.Time) invRow {
	cells := make([]string, icCount)
	if w.IsDefault {
		cells[icDefault] = "yes" // not "*": that is the change mark
	}
	cells[icName] = walletName(w)
	cells[icStatus] = common.Inert(string(w.Status))
	cells[icHealth] = healthText(w.Health)
	cells[icEnv] = common.Inert(string(w.Environment))
	cells[icSecurity] = common.Inert(string(w.SecurityLevel))
	cells[icMfrs] = common.Itoa(w.Manufacturers)
	cells[icPaths] = common.Group(w.Paths)
	cells[icIDs] = common.Group(w.Identifiers)
	cells[icLast] = common.Ago(now, w.LastAllocation)
	cells[icMigr] = "—"
	if w.MigrationCompletion != nil {
		cells[icMigr] = common.Itoa(int(*w.MigrationCompletion+0.5)) + "%"
	}
	cells[icDesc] = common.Inert(w.Description)
	// search is made on the first filter, not here: taking 10,000 wallets
	// in must not pay for a "/" that may never come.
	return invRow{w: w, cells: cells}
}

// searchText is what "/" looks in: every cell as shown, lower case. Each
// cell is lowered on its own: most are ASCII with nothing to lower, which
// costs no copy, where one joined string with a "—" in it would go the slow
// way whole.
func searchText(cells []string) string {
	var b strings.Builder
	n := len(cells)
	for _, c := range cells {
		n += len(c)
	}
	b.Grow(n)
	for i, c := range cells {
		if i > 0 {
			b.WriteByte(0)
		}
		b.WriteString(strings.ToLower(c))
	}
	return b.String()
}

// walletName is a wallet's name, inert, or its version when the name is empty.
func walletName(w model.WalletSummary) string {
	if w.Name == "" {
		return model.VersionName(w.Version)
	}
	return common.Inert(w.Name)
}

func healthText(h model.HealthState) string {
	if h == "" {
		return string(model.HealthUnknown)
	}
	return common.Inert(string(h))
}

// Ranks for sorting: lifecycle order, most to least critical environment,
// best to worst health.
func statusRank(s model.Status) int {
	if i := slices.Index(model.AllStatuses, s); i >= 0 {
		return i
	}
	return len(model.AllStatuses)
}

func envRank(e model.Environment) int {
	if i := slices.Index(model.AllEnvironments, e); i >= 0 {
		return i
	}
	return len(model.AllEnvironments)
}

func levelRank(l model.SecurityLevel) int {
	if i := slices.Index(model.AllSecurityLevels, l); i >= 0 {
		return i
	}
	return len(model.AllSecurityLevels)
}

func healthRank(h model.HealthState) int {
	switch h {
	case model.HealthHealthy:
		return 0
	case model.HealthWarning:
		return 2
	case model.HealthFailed, model.HealthUnhealthy:
		return 3
	default:
		return 1
	}
}

func compareWallets(col int, a, b *model.WalletSummary) int {
	switch col {
	case icDefault:
		return cmpBool(b.IsDefault, a.IsDefault) // the default first
	case icStatus:
		return cmp.Compare(statusRank(a.Status), statusRank(b.Status))
	case icHealth:
		return cmp.Compare(healthRank(a.Health), healthRank(b.Health))
	case icEnv:
		return cmp.Compare(envRank(a.Environment), envRank(b.Environment))
	case icSecurity:
		return cmp.Compare(levelRank(a.SecurityLevel), levelRank(b.SecurityLevel))
	case icMfrs:
		return cmp.Compare(a.Manufacturers, b.Manufacturers)
	case icPaths:
		return cmp.Compare(a.Paths, b.Paths)
	case icIDs:
		return cmp.Compare(a.Identifiers, b.Identifiers)
	case icLast:
		return a.LastAllocation.Compare(b.LastAllocation)
	case icMigr:
		return cmp.Compare(migr(a), migr(b))
	case icDesc:
		return strings.Compare(a.Description, b.Description)
	}
	return 0 // name: the version order, the tie-break of every column
}

func migr(w *model.WalletSummary) float64 {
	if w.MigrationCompletion == nil {
		return -1
	}
	return *w.MigrationCompletion
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}

// Inventory lists every wallet version; Enter opens one.
type Inventory struct {
	Base
	all []invRow
	// order is every row in the sort's order, made again only when the data
	// or the sort changes: a filter keystroke then only filters it.
	order     []*invRow
	orderedBy [2]int    // the sort column and direction order was made for; -1: stale
	rows      []*invRow // filtered and sorted: what the table shows
	tbl       *components.Table
	nav       components.ListNav
	sort      int
	desc      bool

	detail *detailPage
	isOpen bool
}

func NewInventory(c *common.Common) *Inventory {
	p := &Inventory{Base: newBase(c, "inventory", "Inventory"), sort: icName, orderedBy: [2]int{-1, 0}}
	p.newTable()
	return p
}

// newTable makes the table for the sort in force (its column's title
// carries the arrow), measured and laid out.
func (p *Inventory) newTable() {
	p.tbl = components.NewMarkedTable(sortedColumns(inventoryColumns(), p.sort, p.arrow(), true)...)
	p.tbl.Measure(p.allCells())
	p.tbl.Layout(p.w)
}

// arrow is the mark of the sort order.
func (p *Inventory) arrow() string { return sortArrow(p.c.Styles, p.desc) }

func (p *Inventory) SetSize(w, h int) {
	p.Base.SetSize(w, h)
	p.tbl.Layout(w)
	p.resize()
	if p.detail != nil {
		p.detail.SetSize(w, h)
	}
}

// resize gives the table what the error line leaves.
func (p *Inventory) resize() {
	h := p.h - 1 // column titles
	if p.err != "" {
		h--
	}
	p.nav.SetHeight(h)
}

func (p *Inventory) Filterable() bool { return !p.isOpen }

func (p *Inventory) SetFilter(f string) {
	p.filter = f
	p.rebuild()
}

func (p *Inventory) Back() bool {
	if p.isOpen {
		p.isOpen = false
		p.detail = nil
		return true
	}
	return false
}

func (p *Inventory) Refresh() tea.Cmd {
	if p.isOpen && p.detail != nil {
		return tea.Batch(p.c.Load.Detail(p.detail.version), p.c.Load.Health())
	}
	return nil
}

// Open shows the detail of wallet v.
func (p *Inventory) Open(v int) tea.Cmd {
	var sum *model.WalletSummary
	for i := range p.all {
		if p.all[i].w.Version == v {
			sum = &p.all[i].w
			break
		}
	}
	p.detail = newDetailPage(p.c, v, sum)
	p.detail.SetSize(p.w, p.h)
	p.isOpen = true
	return tea.Batch(p.c.Load.Detail(v), p.c.Load.Health())
}

func (p *Inventory) selected() *invRow {
	if p.nav.Cursor < 0 || p.nav.Cursor >= len(p.rows) {
		return nil
	}
	return p.rows[p.nav.Cursor]
}

func (p *Inventory) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.InventoryMsg:
		now := p.c.Clock()
		if p.failed(msg.Err, now) {
			p.resize()
			return nil
		}
		var old map[int]*model.WalletSummary
		if p.loaded {
			old = make(map[int]*model.WalletSummary, len(p.all))
			for i := range p.all {
				old[p.all[i].w.Version] = &p.all[i].w
			}
		}
		p.markLoaded(now)
		all := make([]invRow, len(msg.Wallets))
		for i, w := range msg.Wallets {
			all[i] = newInvRow(w, now)
			if old != nil {
				if o, ok := old[w.Version]; ok {
					all[i].changed = diffWallets(o, &all[i].w)
				} else {
					all[i].isNew = true
				}
			}
		}
		p.all = all
		p.orderedBy[0] = -1 // new data: sort it again
		p.newTable()
		p.resize()
		p.rebuild()
		if p.detail != nil {
			for i := range p.all {
				if p.all[i].w.Version == p.detail.version {
					p.detail.setSummary(p.all[i].w)
				}
			}
		}
	case common.DetailMsg:
		if p.detail != nil {
			p.detail.update(msg)
		}
	case common.HealthMsg:
		if p.detail != nil && msg.Err == nil {
			p.detail.setHealth(msg.History)
		}
	case common.EnvChangedMsg:
		p.rebuild()
	case common.RestyleMsg:
		p.newTable()
		if p.detail != nil {
			p.detail.build()
		}
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

func (p *Inventory) allCells() [][]string {
	cells := make([][]string, len(p.all))
	for i := range p.all {
		cells[i] = p.all[i].cells
	}
	return cells
}

func (p *Inventory) key(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	if p.isOpen {
		if key.Matches(msg, k.Allocate) {
			return allocate(p.detail.version)
		}
		p.detail.key(msg)
		return nil
	}
	if p.nav.Key(k, msg) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Open):
		if r := p.selected(); r != nil {
			return p.Open(r.w.Version)
		}
	case key.Matches(msg, k.Sort):
		p.nextSort()
		p.newTable()
		p.rebuild()
	case key.Matches(msg, k.Reverse):
		p.desc = !p.desc
		p.newTable()
		p.rebuild()
	case key.Matches(msg, k.Allocate):
		if r := p.selected(); r != nil {
			return allocate(r.w.Version)
		}
	}
	return nil
}

// sorted is every row in the sort's order (stable, ties in version order),
// reusing the last order while neither the data nor the sort changed.
func (p *Inventory) sorted() []*invRow {
	dir := 0
	if p.desc {
		dir = 1
	}
	if p.orderedBy == [2]int{p.sort, dir} && len(p.order) == len(p.all) {
		return p.order
	}
	order := make([]*invRow, len(p.all))
	for i := range p.all {
		order[i] = &p.all[i]
	}
	col, desc := p.sort, p.desc
	slices.SortStableFunc(order, func(a, b *invRow) int {
		var c int
		if col == icName {
			c = cmp.Compare(a.w.Version, b.w.Version)
		} else {
			c = compareWallets(col, &a.w, &b.w)
		}
		if desc {
			c = -c
		}
		if c == 0 { // ties stay in version order either way
			c = cmp.Compare(a.w.Version, b.w.Version)
		}
		return c
	})
	p.orderedBy = [2]int{p.sort, dir}
	return order
}

// allocate asks the App to open the allocation flow on wallet v.
func allocate(v int) tea.Cmd {
	return func() tea.Msg {
		return common.OpenFlowMsg{Name: "allocate", Args: []string{model.VersionName(v)}}
	}
}

// nextSort moves the sort to the next column on screen.
func (p *Inventory) nextSort() {
	for i := 1; i <= icCount; i++ {
		c := (p.sort + i) % icCount
		if p.tbl.Widths[c] > 0 {
			p.sort = c
			return
		}
	}
}

// rebuild filters and sorts, keeping the cursor on the same wallet.
func (p *Inventory) rebuild() {
	keep := -1
	if r := p.selected(); r != nil {
		keep = r.w.Version
	}
	p.order = p.sorted()
	// Filtering keeps the order: no sort per keystroke.
	p.rows = p.rows[:0]
	f := strings.ToLower(p.filter)
	for _, r := range p.order {
		if p.c.Env != "" && r.w.Environment != p.c.Env {
			continue
		}
		if f != "" && r.search == "" {
			r.search = searchText(r.cells)
		}
		if f != "" && !strings.Contains(r.search, f) {
			continue
		}
		p.rows = append(p.rows, r)
	}
	p.nav.SetLen(len(p.rows))
	if keep >= 0 {
		for i, r := range p.rows {
			if r.w.Version == keep {
				p.nav.Cursor = i
				p.nav.Clamp()
				break
			}
		}
	}
}

func (p *Inventory) View() string {
	if p.isOpen && p.detail != nil {
		return p.detail.View()
	}
	s := p.c.Styles
	out := make([]string, 0, p.h)
	out = append(out, p.staleLines()...)
	out = append(out, p.tbl.Header(s, nil))
	switch {
	case !p.loaded:
		out = append(out, p.notLoaded("wallets"))
	case len(p.all) == 0:
		out = append(out, s.R(s.Muted, "  no wallets yet"))
	case len(p.rows) == 0:
		out = append(out, s.R(s.Muted, common.Truncate("  no wallet matches"+p.scope(), p.w)))
	}
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		r := p.rows[i]
		out = append(out, p.tbl.MarkedRow(s, r.cells, i == p.nav.Cursor, r.marked(), func(col int) *lipgloss.Style {
			if r.isNew || r.changed&(1<<col) != 0 {
				return &s.Changed
			}
			switch col {
			case icStatus:
				st := s.Status(r.w.Status)
				return &st
			case icHealth:
				st := s.Health(r.w.Health)
				return &st
			case icDefault:
				return &s.Title
			}
			return nil
		}))
	}
	return p.clip(out)
}

func (p *Inventory) Status() string {
	if p.isOpen && p.detail != nil {
		return p.detail.Status()
	}
	if !p.loaded {
		return "inventory"
	}
	st := common.Itoa(len(p.all)) + " wallets"
	if n := p.changedCount(); n > 0 {
		st += " · " + common.Itoa(n) + " changed (" + components.ChangeMark + ")"
	}
	if len(p.rows) != len(p.all) {
		st += " · " + common.Itoa(len(p.rows)) + " shown"
	}
	if p.c.Env != "" {
		st += " · env " + string(p.c.Env)
	}
	st += " · sort " + strings.ToLower(inventoryColumns()[p.sort].Title) + " " + p.arrow()
	return st
}

// changedCount is the number of wallets marked changed.
func (p *Inventory) changedCount() int {
	n := 0
	for i := range p.all {
		if p.all[i].marked() {
			n++
		}
	}
	return n
}

func (p *Inventory) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.isOpen {
		return []key.Binding{k.Up, k.Down, k.Back, k.Allocate, k.Screens, k.Help, k.Quit}
	}
	return []key.Binding{k.Open, k.Sort, k.Reverse, k.Filter, k.Allocate, k.Env, k.Screens, k.Help, k.Quit}
}

func (p *Inventory) FullHelp() [][]key.Binding {
	k := p.c.Keys
	if p.isOpen {
		return [][]key.Binding{k.Nav(), {k.Back, k.Allocate}, k.Global()}
	}
	return [][]key.Binding{k.Nav(), {k.Open, k.Sort, k.Reverse, k.Back, k.Allocate}, k.Global()}
}
