package pages

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"encoding/json"
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

// Audit columns, in display order.
const (
	acSeq = iota
	acTime
	acWallet
	acType
	acStatus
	acOperator
	acDBUser
	acApproval
	acCount
)

func auditColumns() []components.Column {
	c := make([]components.Column, acCount)
	c[acSeq] = components.Column{Title: "SEQ", Max: 12, Right: true}
	c[acTime] = components.Column{Title: "TIME", Width: 19}
	c[acWallet] = components.Column{Title: "WALLET", Max: 8}
	c[acType] = components.Column{Title: "OPERATION", Max: 40, Min: 16, Flex: true}
	c[acStatus] = components.Column{Title: "STATUS", Max: 12, Prio: 2}
	// The login is who acted (the database sets it); the note is free text.
	c[acOperator] = components.Column{Title: "LOGIN", Max: 20, Prio: 1}
	c[acDBUser] = components.Column{Title: "NOTE", Max: 20, Prio: 3}
	c[acApproval] = components.Column{Title: "APPROVAL", Max: 24, Prio: 4}
	return c
}

type opRow struct {
	op     model.Operation
	cells  []string
	search string // every cell and the details, lower case, for "/"
	isNew  bool   // logged since the last refresh
}

func newOpRow(o model.Operation, loc *time.Location) opRow {
	cells := make([]string, acCount)
	cells[acSeq] = common.Itoa64(o.Seq)
	cells[acTime] = common.DateTime(o.Time, loc)
	if o.Wallet != nil {
		cells[acWallet] = model.VersionName(*o.Wallet)
	}
	cells[acType] = common.Inert(o.Type)
	cells[acStatus] = common.Inert(o.Status)
	cells[acOperator] = common.Inert(o.Actor())
	cells[acDBUser] = common.Inert(o.Note())
	cells[acApproval] = common.Inert(o.ApprovalID)
	// The details as the entry view shows them, so that "/" finds a path
	// (2.3.4.5) or a reason in them as well as in the columns.
	search := searchText(cells) + "\x00" + strings.ToLower(strings.Join(prettyJSON(o.Details), "\n"))
	return opRow{op: o, cells: cells, search: search}
}

// Audit is the operations log, newest first, with the hash chain's
// verdict on top; Enter opens one row in full.
type Audit struct {
	Base
	all    []opRow
	rows   []*opRow
	tbl    *components.Table
	nav    components.ListNav
	envOf  map[int]model.Environment // wallet → environment, from the inventory
	query  auditQuery                // ":audit --wallet v1 --type T --by LOGIN"
	oldest bool                      // S: oldest first instead of newest first

	chain    *common.AuditStatus
	chainAt  time.Time
	chainErr string
	checking bool

	entry *entryView
	// verifiedHead is the newest row when the chain was last checked.
	verifiedHead int64
	// head is the newest row of the latest load; rows above the previous
	// load's head are new since the last refresh.
	head  int64
	fresh int
}

func NewAudit(c *common.Common) *Audit {
	p := &Audit{Base: newBase(c, "audit", "Audit"), envOf: map[int]model.Environment{}}
	p.newTable()
	return p
}

// newTable makes the table, measured and laid out; the sequence number's
// heading carries the arrow of the order (▼ newest first, ▲ oldest first).
func (p *Audit) newTable() {
	p.tbl = components.NewMarkedTable(sortedColumns(auditColumns(), acSeq, sortArrow(p.c.Styles, !p.oldest), false)...)
	cells := make([][]string, len(p.all))
	for i := range p.all {
		cells[i] = p.all[i].cells
	}
	p.tbl.Measure(cells)
	p.tbl.Layout(p.w)
}

func (p *Audit) SetSize(w, h int) {
	p.Base.SetSize(w, h)
	p.tbl.Layout(w)
	p.resize()
	if p.entry != nil {
		p.entry.setSize(w, h)
	}
}

func (p *Audit) resize() {
	h := p.h - 2 // chain badge, column titles
	if p.err != "" {
		h--
	}
	p.nav.SetHeight(h)
}

func (p *Audit) Filterable() bool { return p.entry == nil }
func (p *Audit) SetFilter(f string) {
	p.filter = f
	p.rebuild()
}

func (p *Audit) Back() bool {
	if p.entry != nil {
		p.entry = nil
		return true
	}
	return false
}

// Refresh reloads the log. The chain check walks the whole log, so it runs
// again only when the log has grown (or on the verify key), not every refresh.
func (p *Audit) Refresh() tea.Cmd {
	return p.c.Load.Operations()
}

func (p *Audit) verify() tea.Cmd {
	p.checking = true
	return p.c.Load.Verify()
}

func (p *Audit) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.OpsMsg:
		now := p.c.Clock()
		if p.failed(msg.Err, now) {
			p.resize()
			return nil
		}
		first := !p.loaded
		prevHead := p.head
		p.markLoaded(now)
		p.all = make([]opRow, len(msg.Ops))
		p.head, p.fresh = 0, 0
		for i, o := range msg.Ops {
			p.all[i] = newOpRow(o, p.c.Loc)
			p.all[i].isNew = !first && o.Seq > prevHead
			if p.all[i].isNew {
				p.fresh++
			}
			p.head = max(p.head, o.Seq)
		}
		p.newTable()
		p.resize()
		p.rebuild()
		var head int64
		if len(msg.Ops) > 0 {
			head = msg.Ops[0].Seq
		}
		if p.chain == nil || head != p.verifiedHead {
			p.verifiedHead = head
			return p.verify()
		}
	case common.VerifyMsg:
		p.checking = false
		p.chainAt = p.c.Clock()
		if msg.Err != nil {
			p.chainErr = common.ErrText(msg.Err)
			return nil
		}
		st := msg.Status
		p.chain, p.chainErr = &st, ""
	case common.InventoryMsg:
		if msg.Err == nil {
			p.envOf = make(map[int]model.Environment, len(msg.Wallets))
			for _, w := range msg.Wallets {
				p.envOf[w.Version] = w.Environment
			}
			if p.c.Env != "" {
				p.rebuild()
			}
		}
	case common.EnvChangedMsg:
		p.rebuild()
	case common.RestyleMsg:
		p.newTable()
		if p.entry != nil {
			p.entry.build()
		}
	case tea.KeyPressMsg:
		return p.key(msg)
	}
	return nil
}

func (p *Audit) key(msg tea.KeyPressMsg) tea.Cmd {
	k := p.c.Keys
	if key.Matches(msg, k.Verify) {
		return p.verify()
	}
	if p.entry != nil {
		p.entry.sc.Key(k, msg)
		return nil
	}
	if p.nav.Key(k, msg) {
		return nil
	}
	switch {
	case key.Matches(msg, k.Open) && p.nav.Cursor < len(p.rows):
		p.entry = newEntryView(p.c, p.rows[p.nav.Cursor].op)
		p.entry.setSize(p.w, p.h)
	case key.Matches(msg, k.Reverse):
		p.oldest = !p.oldest
		p.newTable()
		p.rebuild()
	}
	return nil
}

// rebuild applies the text and environment filters and the order (newest
// first, or oldest first after S), keeping the cursor on the same row.
// Operations without a wallet show in every environment.
func (p *Audit) rebuild() {
	var keep int64 = -1
	if p.nav.Cursor < len(p.rows) {
		keep = p.rows[p.nav.Cursor].op.Seq
	}
	f := strings.ToLower(p.filter)
	p.rows = p.rows[:0]
	for i := range p.all {
		r := &p.all[i]
		if p.c.Env != "" && r.op.Wallet != nil {
			if env, ok := p.envOf[*r.op.Wallet]; ok && env != p.c.Env {
				continue
			}
		}
		if f != "" && !strings.Contains(r.search, f) {
			continue
		}
		if !p.query.match(&r.op) {
			continue
		}
		p.rows = append(p.rows, r)
	}
	oldest := p.oldest
	slices.SortStableFunc(p.rows, func(a, b *opRow) int {
		if oldest {
			return cmp.Compare(a.op.Seq, b.op.Seq)
		}
		return cmp.Compare(b.op.Seq, a.op.Seq)
	})
	p.nav.SetLen(len(p.rows))
	for i, r := range p.rows {
		if r.op.Seq == keep {
			p.nav.Cursor = i
			p.nav.Clamp()
			break
		}
	}
}

// toNewest puts the cursor on the newest row shown.
func (p *Audit) toNewest() {
	best := -1
	for i, r := range p.rows {
		if best < 0 || r.op.Seq > p.rows[best].op.Seq {
			best = i
		}
	}
	p.nav.Cursor = max(best, 0)
	p.nav.Clamp()
}

// badge is the heading: the narrowing in force (":audit --wallet v1"),
// then the chain verdict.
func (p *Audit) badge() string {
	s := p.c.Styles
	var b string
	if q := p.Query(); q != "" {
		b = s.R(s.Title, "only "+q) + " · "
	}
	switch {
	case p.chainErr != "":
		b += s.R(s.Error, "chain check failed: "+p.chainErr)
	case p.chain == nil:
		b += s.R(s.Unknown, "chain: checking…")
	case p.chain.OK:
		b += s.R(s.OK, "chain OK ("+common.Group(p.chain.Rows)+" rows)")
	case p.chain.ChainOK():
		b += s.R(s.Bad, "KEY PROBLEM: "+common.Inert(p.chain.KeyProblems[0].Problem))
	default:
		b += s.R(s.Bad, "chain BROKEN at row "+common.Itoa64(p.chain.BrokenAt)+": "+common.Inert(p.chain.Problem))
	}
	if !p.chainAt.IsZero() {
		b += s.R(s.Muted, " · checked "+common.Stamp(p.chainAt, p.c.Loc))
	}
	if p.checking && p.chain != nil {
		b += s.R(s.Muted, " · checking again…")
	}
	return common.Truncate(b, p.w)
}

func (p *Audit) View() string {
	if p.entry != nil {
		return p.entry.view()
	}
	s := p.c.Styles
	out := make([]string, 0, p.h)
	out = append(out, p.badge())
	out = append(out, p.staleLines()...)
	out = append(out, p.tbl.Header(s, nil))
	switch {
	case !p.loaded:
		out = append(out, p.notLoaded("the operations log"))
	case len(p.all) == 0:
		out = append(out, s.R(s.Muted, "  no operations logged yet"))
	case len(p.rows) == 0:
		out = append(out, s.R(s.Muted, common.Truncate("  no operation matches"+p.scope()+p.queryScope(), p.w)))
	}
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		r := p.rows[i]
		out = append(out, p.tbl.MarkedRow(s, r.cells, i == p.nav.Cursor, r.isNew, func(col int) *lipgloss.Style {
			switch {
			case r.isNew:
				return &s.Changed
			case col == acSeq || col == acTime:
				return &s.Muted
			}
			return nil
		}))
	}
	return p.clip(out)
}

// queryScope is the narrowing in force for the "no operation matches"
// line: " (wallet v1)".
func (p *Audit) queryScope() string {
	if q := p.Query(); q != "" {
		return " (" + q + ")"
	}
	return ""
}

func (p *Audit) Status() string {
	if p.entry != nil {
		st := "operation #" + common.Itoa64(p.entry.op.Seq)
		if pos := p.entry.sc.Position(); pos != "" {
			st += " · " + pos
		}
		return st + " · esc back"
	}
	if !p.loaded {
		return "audit"
	}
	order := "newest first"
	if p.oldest {
		order = "oldest first"
	}
	st := common.Itoa(len(p.all)) + " operations, " + order
	if p.fresh > 0 {
		st += " · " + common.Itoa(p.fresh) + " new (" + components.ChangeMark + ")"
	}
	if q := p.Query(); q != "" {
		st += " · " + q
	}
	if len(p.rows) != len(p.all) {
		st += " · " + common.Itoa(len(p.rows)) + " shown"
	}
	if p.c.Env != "" {
		st += " · env " + string(p.c.Env)
	}
	return st + " · from " + common.Stamp(p.loadedAt, p.c.Loc)
}

func (p *Audit) ShortHelp() []key.Binding {
	k := p.c.Keys
	if p.entry != nil {
		return []key.Binding{k.Up, k.Down, k.Back, k.Verify, k.Screens, k.Help, k.Quit}
	}
	return []key.Binding{k.Open, k.Reverse, k.Filter, k.Verify, k.Env, k.Screens, k.Help, k.Quit}
}

func (p *Audit) FullHelp() [][]key.Binding {
	k := p.c.Keys
	if p.entry != nil {
		return [][]key.Binding{k.Nav(), {k.Back, k.Verify}, k.Global()}
	}
	return [][]key.Binding{k.Nav(), {k.Open, k.Reverse, k.Verify, k.Back}, k.Global()}
}

// entryView is one operation in full, its details pretty-printed.
type entryView struct {
	c     *common.Common
	op    model.Operation
	lines []string
	sc    components.Scroller
	w     int
}

func newEntryView(c *common.Common, op model.Operation) *entryView {
	return &entryView{c: c, op: op}
}

func (e *entryView) setSize(w, h int) {
	if w != e.w {
		e.w = w
		e.build()
	}
	e.sc.Height = h
	e.sc.Clamp()
}

func (e *entryView) view() string {
	start, end := e.sc.Visible()
	if start >= end {
		return ""
	}
	return strings.Join(e.lines[start:end], "\n")
}

func (e *entryView) build() {
	s := e.c.Styles
	o := e.op
	w := e.w
	var out []string
	add := func(line string) { out = append(out, common.Truncate(line, w)) }
	field := func(name, value string) {
		if value == "" {
			value = s.R(s.Muted, "—")
		}
		add("  " + s.R(s.Label, common.Fit(name, 14, false)) + value)
	}
	add(s.R(s.Title, "Operation #"+common.Itoa64(o.Seq)) + " · " + common.Inert(o.Type))
	field("time", common.DateTime(o.Time, e.c.Loc))
	wallet := ""
	if o.Wallet != nil {
		wallet = model.VersionName(*o.Wallet)
	}
	field("wallet", wallet)
	field("status", common.Inert(o.Status))
	field("login", common.Inert(o.Actor()))
	field("note", common.Inert(o.Note()))
	field("approval", common.Inert(o.ApprovalID))
	field("previous hash", hex.EncodeToString(o.PrevHash))
	field("row hash", hex.EncodeToString(o.RowHash))
	out = append(out, "")
	add(s.R(s.Section, "Details"))
	for _, l := range prettyJSON(o.Details) {
		for _, wl := range common.Wrap("  "+l, w) {
			add(wl)
		}
	}
	e.lines = out
	e.sc.N = len(out)
	e.sc.Clamp()
}

// prettyJSON indents the details for reading, each line inert. Text that is
// not valid JSON is shown as it is (inert), with a note.
func prettyJSON(raw []byte) []string {
	if len(bytes.TrimSpace(raw)) == 0 {
		return []string{"(none)"}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		out := []string{"(not valid JSON: " + common.Inert(err.Error()) + ")"}
		for _, l := range strings.Split(string(raw), "\n") {
			out = append(out, common.Inert(l))
		}
		return out
	}
	ls := strings.Split(buf.String(), "\n")
	for i, l := range ls {
		ls[i] = common.Inert(l)
	}
	return ls
}
