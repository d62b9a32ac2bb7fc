package ui

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/model"
)

// liveCheck is one check the console measures itself.
type liveCheck struct {
	res     *model.CheckResult
	prev    model.HealthState // state before the latest measurement
	changed bool              // the state differs from the previous measurement
	at      time.Time
}

func (l *liveCheck) set(r model.CheckResult, at time.Time) {
	if l.res != nil {
		l.prev = l.res.State
		l.changed = l.prev != r.State
	}
	r.Value, r.Message = inert(r.Value), inert(r.Message)
	l.res, l.at = &r, at
}

// Health wallet columns.
const (
	hcName = iota
	hcStatus
	hcEnv
	hcHealth
	hcLast
	hcChange
	hcCount
)

type healthRow struct {
	w       model.WalletSummary
	cells   []string
	changed bool
	search  string
}

// healthPage puts what is wrong first: the live checks the console measures
// (database response, HSM connectivity) against the thresholds, then every
// wallet's stored overall health, worst first. What changed since the last
// refresh carries a "*" and the Changed style.
type healthPage struct {
	c     *Common
	noHSM bool
	db    liveCheck
	hsm   liveCheck

	prev   map[int]model.WalletSummary // the previous inventory
	all    []healthRow
	rows   []*healthRow
	tbl    *table
	checks *table
	nav    listNav
	filter string
	loaded bool
	err    string
	errAt  time.Time
	loadAt time.Time
	w, h   int
}

func newHealthPage(c *Common, noHSM bool) *healthPage {
	return &healthPage{
		c:     c,
		noHSM: noHSM,
		tbl: newTable(
			column{title: "NAME", max: 16},
			column{title: "STATUS", width: 11},
			column{title: "ENV", width: 11, prio: 1},
			column{title: "HEALTH", width: 9},
			column{title: "LAST ALLOC", width: 10, prio: 2},
			column{title: "CHANGE", max: 40, min: 10, flex: true, prio: 3},
		),
		checks: newTable(
			column{title: "CHECK", width: 22},
			column{title: "STATE", width: 9},
			column{title: "VALUE", max: 12},
			column{title: "LIMIT", max: 12, prio: 1},
			column{title: "DETAIL", max: 80, min: 10, flex: true, prio: 2},
		),
	}
}

func (p *healthPage) Name() string  { return "health" }
func (p *healthPage) Title() string { return "Health" }

// fixed is the number of lines above the wallet rows.
func (p *healthPage) fixed() int {
	n := 1 + 1 + 2 + 1 + 1 + 1 // live title, check titles, 2 checks, summary, wallets title, column titles
	if p.err != "" {
		n++
	}
	return n
}

func (p *healthPage) SetSize(w, h int) {
	p.w, p.h = w, h
	p.tbl.layout(w)
	p.measureChecks()
	p.nav.setHeight(h - p.fixed())
}

func (p *healthPage) Filterable() bool { return true }
func (p *healthPage) Filter() string   { return p.filter }
func (p *healthPage) SetFilter(f string) {
	p.filter = f
	p.rebuild()
}
func (p *healthPage) Back() bool       { return false }
func (p *healthPage) Refresh() tea.Cmd { return nil } // the App pings and loads the inventory

func (p *healthPage) Update(msg tea.Msg) tea.Cmd {
	th := p.c.Thresholds
	switch msg := msg.(type) {
	case dbPingMsg:
		p.db.set(th.DatabaseResponse(msg.latency, msg.err), p.c.clock())
		p.measureChecks()
	case hsmPingMsg:
		p.hsm.set(th.HSMConnectivity(msg.latency, msg.err), p.c.clock())
		p.measureChecks()
	case inventoryMsg:
		now := p.c.clock()
		if msg.err != nil {
			p.err, p.errAt = errText(msg.err), now
			p.nav.setHeight(p.h - p.fixed())
			return nil
		}
		p.err = ""
		p.setWallets(msg.wallets, now)
		p.nav.setHeight(p.h - p.fixed())
	case envChangedMsg:
		p.rebuild()
	case tea.KeyPressMsg:
		k := p.c.Keys
		if p.nav.key(k, msg) {
			return nil
		}
		if key.Matches(msg, k.Open) && p.nav.cursor < len(p.rows) {
			v := p.rows[p.nav.cursor].w.Version
			return func() tea.Msg { return openWalletMsg{v} }
		}
	}
	return nil
}

// setWallets takes a new inventory and marks what changed since the last.
func (p *healthPage) setWallets(ws []model.WalletSummary, now time.Time) {
	first := !p.loaded
	p.loaded, p.loadAt = true, now
	p.all = make([]healthRow, len(ws))
	next := make(map[int]model.WalletSummary, len(ws))
	cells := make([][]string, len(ws))
	for i, w := range ws {
		next[w.Version] = w
		r := healthRow{w: w, cells: make([]string, hcCount)}
		r.cells[hcName] = walletName(w)
		r.cells[hcStatus] = inert(string(w.Status))
		r.cells[hcEnv] = inert(string(w.Environment))
		r.cells[hcHealth] = healthText(w.Health)
		r.cells[hcLast] = ago(now, w.LastAllocation)
		if old, ok := p.prev[w.Version]; ok {
			var ch []string
			if old.Health != w.Health {
				ch = append(ch, "health "+healthText(old.Health)+" → "+healthText(w.Health))
			}
			if old.Status != w.Status {
				ch = append(ch, "status "+inert(string(old.Status))+" → "+inert(string(w.Status)))
			}
			r.changed = len(ch) > 0
			r.cells[hcChange] = strings.Join(ch, "; ")
		} else if !first {
			r.changed = true
			r.cells[hcChange] = "new wallet"
		}
		r.search = strings.ToLower(r.cells[hcName] + "\x00" + r.cells[hcStatus] + "\x00" + r.cells[hcEnv] + "\x00" + r.cells[hcHealth])
		p.all[i] = r
		cells[i] = r.cells
	}
	p.prev = next
	p.tbl.measure(cells)
	p.tbl.layout(p.w)
	p.rebuild()
}

// rebuild filters and orders the wallets: worst health first, then by
// version; the cursor stays on the same wallet.
func (p *healthPage) rebuild() {
	keep := -1
	if p.nav.cursor < len(p.rows) {
		keep = p.rows[p.nav.cursor].w.Version
	}
	p.rows = visibleWallets(p.rows[:0], p.all, p.c.Env, p.filter, func(r *healthRow) (model.Environment, string) { return r.w.Environment, r.search })
	slices.SortStableFunc(p.rows, func(a, b *healthRow) int {
		if c := cmp.Compare(healthRank(b.w.Health), healthRank(a.w.Health)); c != 0 {
			return c
		}
		return cmp.Compare(a.w.Version, b.w.Version)
	})
	p.nav.setLen(len(p.rows))
	for i, r := range p.rows {
		if r.w.Version == keep {
			p.nav.cursor = i
			p.nav.clamp()
			break
		}
	}
}

// checkCells are the live check rows.
func (p *healthPage) checkCells() [][]string {
	row := func(name model.CheckName, l *liveCheck, none string) []string {
		if l.res == nil {
			return []string{string(name), string(model.HealthUnknown), "—", "", none}
		}
		return []string{string(name), string(l.res.State), l.res.Value, l.res.Threshold, l.res.Message}
	}
	hsmNone := "not measured yet"
	if p.noHSM {
		hsmNone = "no HSM configured"
	}
	return [][]string{
		row(model.CheckDatabaseResponse, &p.db, "not measured yet"),
		row(model.CheckHSMConnectivity, &p.hsm, hsmNone),
	}
}

func (p *healthPage) measureChecks() {
	p.checks.measure(p.checkCells())
	p.checks.layout(p.w)
}

func (p *healthPage) View() string {
	s := p.c.Styles
	w := p.w
	out := make([]string, 0, p.h)
	add := func(line string) { out = append(out, truncate(line, w)) }

	at := p.db.at
	if p.hsm.at.After(at) {
		at = p.hsm.at
	}
	title := s.R(s.Section, "Live checks")
	if !at.IsZero() {
		title += s.R(s.Muted, " · measured "+stamp(at, p.c.Loc))
	}
	add(title + s.R(s.Muted, " · * changed since the last refresh"))
	out = append(out, p.checks.header(s, nil))
	var results []model.CheckResult
	for i, cells := range p.checkCells() {
		l := &p.db
		if i == 1 {
			l = &p.hsm
		}
		var state model.HealthState = model.HealthUnknown
		if l.res != nil {
			state = l.res.State
			if !(i == 1 && p.noHSM) {
				results = append(results, *l.res)
			}
		}
		line := p.checks.row(s, cells, false, func(col int) *lipgloss.Style {
			switch {
			case l.changed && (col == 1 || col == 2):
				return &s.Changed
			case col == 1:
				st := s.Health(state)
				return &st
			}
			return nil
		})
		if l.changed {
			line = markChanged(line)
		}
		out = append(out, line)
	}
	overall := model.Overall(results)
	add("  live overall " + s.R(s.Health(overall), string(overall)) +
		s.R(s.Muted, " · not measured here yet: signature_performance, path_allocation_rate, error_rate, security_alerts"))

	add(s.R(s.Section, "Wallets") + s.R(s.Muted, " · stored overall health of the latest recorded checks, worst first"))
	if p.err != "" {
		out = append(out, staleLine(p.c, p.err, p.errAt, p.loadAt, w))
	}
	out = append(out, p.tbl.header(s, nil))
	switch {
	case !p.loaded && p.err == "":
		add(s.R(s.Muted, "  loading wallets…"))
	case !p.loaded:
		add(s.R(s.Muted, "  no data yet"))
	case len(p.all) == 0:
		add(s.R(s.Muted, "  no wallets yet"))
	case len(p.rows) == 0:
		add(s.R(s.Muted, "  no wallet matches"))
	}
	start, end := p.nav.visible()
	for i := start; i < end; i++ {
		r := p.rows[i]
		sel := i == p.nav.cursor
		line := p.tbl.row(s, r.cells, sel, func(col int) *lipgloss.Style {
			switch {
			case r.changed && (col == hcHealth || col == hcStatus || col == hcChange):
				return &s.Changed
			case col == hcHealth:
				st := s.Health(r.w.Health)
				return &st
			case col == hcStatus:
				st := s.Status(r.w.Status)
				return &st
			}
			return nil
		})
		if r.changed && !sel {
			line = markChanged(line)
		}
		out = append(out, line)
	}
	if len(out) > p.h {
		out = out[:max(p.h, 0)]
	}
	return strings.Join(out, "\n")
}

// markChanged puts "*" in the marker cell of a row that is not selected
// (the selected one keeps its ">"; its CHANGE column tells).
func markChanged(line string) string {
	if strings.HasPrefix(line, "  ") {
		return "* " + line[2:]
	}
	return line
}

func (p *healthPage) Status() string {
	if !p.loaded {
		return "health"
	}
	bad := 0
	for _, r := range p.all {
		if r.w.Health == model.HealthUnhealthy || r.w.Health == model.HealthWarning {
			bad++
		}
	}
	st := itoa(len(p.all)) + " wallets · " + itoa(bad) + " warning or unhealthy"
	if len(p.rows) != len(p.all) {
		st += " · " + itoa(len(p.rows)) + " shown"
	}
	return st + " · refreshes on its own"
}

func (p *healthPage) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Open, k.Filter, k.Env, k.Refresh, k.Screens, k.Help, k.Quit}
}

func (p *healthPage) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{k.nav(), {k.Open, k.Back}, k.global()}
}
