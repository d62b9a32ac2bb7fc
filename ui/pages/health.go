package pages

import (
	"cmp"
	"slices"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
)

// Health wallet table columns.
const (
	hcName = iota
	hcStatus
	hcEnv
	hcOverall
	hcChecks // the six checks, in model.AllChecks order
	hcChange = hcChecks + ckCount
	hcCount  = hcChange + 1
)

func healthColumns() []components.Column {
	c := make([]components.Column, hcCount)
	c[hcName] = components.Column{Title: "WALLET", Max: 16}
	c[hcStatus] = components.Column{Title: "STATUS", Width: 11, Prio: 3}
	c[hcEnv] = components.Column{Title: "ENV", Width: 11, Prio: 4}
	c[hcOverall] = components.Column{Title: "OVERALL", Width: 9}
	for i, t := range checkShort {
		c[hcChecks+i] = components.Column{Title: t, Width: max(len(t), 4)} // "FAIL"
	}
	c[hcChange] = components.Column{Title: "CHANGED", Max: 60, Min: 10, Flex: true, Prio: 2}
	return c
}

// Check table columns (the selected wallet's six checks).
const (
	ccName = iota
	ccState
	ccValue
	ccLimit
	ccSource
	ccTrend
	ccCount
)

func checkColumns() []components.Column {
	c := make([]components.Column, ccCount)
	c[ccName] = components.Column{Title: "CHECK", Width: 22}
	c[ccState] = components.Column{Title: "STATE", Width: 7}
	c[ccValue] = components.Column{Title: "VALUE", Max: 14}
	c[ccLimit] = components.Column{Title: "LIMIT", Max: 13}
	c[ccSource] = components.Column{Title: "SOURCE", Max: 13, Prio: 2}
	c[ccTrend] = components.Column{Title: "TREND", Width: common.HistoryPoints, Min: 12, Flex: true, Prio: 1}
	return c
}

// Health is the six checks of DESIGN.md for every wallet that is not
// retired, worst first: a table with each check's state per wallet, and
// below it the wallet under the cursor in full — every check's value against
// its limit, a trend line from the stored history, and where the value comes
// from. The database response, the HSM round trip and the signature timing
// are measured live; allocation time and error rate come from the daily
// metrics, alerts from the open security alerts. What changed since the last
// refresh carries a "*" and the Changed style.
type Health struct {
	Base
	noHSM bool
	db    liveCheck
	hsm   liveCheck
	sig   liveCheck

	inputs []walletInputs
	hist   map[int]*[ckCount][]common.HealthPoint // wallet → check → stored runs, oldest first
	all    []walletView
	rows   []*walletView
	tbl    *components.Table
	checks *components.Table
	nav    components.ListNav
	best   bool // S: best first instead of worst first
}

func NewHealth(c *common.Common, noHSM bool) *Health {
	p := &Health{
		Base:   newBase(c, "health", "Health"),
		noHSM:  noHSM,
		checks: components.NewMarkedTable(checkColumns()...),
	}
	p.newTable()
	return p
}

// newTable makes the wallet table; the overall state's heading carries the
// arrow of the order (▼ worst first, ▲ best first).
func (p *Health) newTable() {
	p.tbl = components.NewMarkedTable(sortedColumns(healthColumns(), hcOverall, sortArrow(p.c.Styles, !p.best), false)...)
}

// below is the number of lines under the wallet rows: a blank line, the
// selected wallet's title, the check titles and the six checks; then come
// the notes (why a check is not healthy, what it was), for which up to
// healthNotes lines are kept free.
const (
	healthBelow = 3 + ckCount
	healthNotes = 3
)

// top is the number of lines above the wallet rows.
func (p *Health) top() int {
	n := 2 // live line, column titles
	if p.err != "" {
		n++
	}
	return n
}

func (p *Health) SetSize(w, h int) {
	p.Base.SetSize(w, h)
	p.tbl.Layout(w)
	p.checks.Layout(w)
	p.resize()
}

// resize gives the wallet rows what they need of what the checks below
// leave, keeping room for a few notes. On a short terminal the wallets come
// first: they get all but the four lines that start the checks below (a
// blank, the wallet's title, the check titles and one check), and at least
// one line.
func (p *Health) resize() {
	avail := p.h - p.top()
	room := max(avail-healthBelow-healthNotes, avail-4, 1)
	p.nav.SetHeight(min(len(p.rows), room))
}

func (p *Health) Filterable() bool { return true }
func (p *Health) SetFilter(f string) {
	p.filter = f
	p.rebuild()
}

// Refresh loads the stored inputs and history and times the HSM's signing;
// the App pings the database and the HSM on every refresh anyway.
func (p *Health) Refresh() tea.Cmd {
	return tea.Batch(p.c.Load.Health(), p.c.Load.SignTiming())
}

func (p *Health) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case common.DBPingMsg:
		p.db.set(model.Measurement{Took: msg.Latency, Err: msg.Err}, p.c.Clock())
		p.build()
	case common.HSMPingMsg:
		p.hsm.set(model.Measurement{Took: msg.Latency, Err: msg.Err}, p.c.Clock())
		p.build()
	case common.SignMsg:
		p.sig.set(model.Measurement{Took: msg.Avg, Err: msg.Err}, p.c.Clock())
		p.build()
	case common.HealthMsg:
		now := p.c.Clock()
		if p.failed(msg.Err, now) {
			p.resize()
			return nil
		}
		p.setInputs(msg.Inputs)
		p.setHistory(msg.History)
		p.markLoaded(now)
		p.resize()
		p.build()
	case common.EnvChangedMsg:
		p.rebuild()
	case common.RestyleMsg:
		p.newTable()
		p.build()
	case tea.KeyPressMsg:
		k := p.c.Keys
		if p.nav.Key(k, msg) {
			return nil
		}
		switch {
		case key.Matches(msg, k.Open) && p.nav.Cursor < len(p.rows):
			v := p.rows[p.nav.Cursor].in.Version
			return func() tea.Msg { return common.OpenWalletMsg{Version: v} }
		case key.Matches(msg, k.Reverse):
			p.best = !p.best
			p.newTable()
			p.build()
		}
	}
	return nil
}

func (p *Health) setHistory(pts []common.HealthPoint) {
	p.hist = make(map[int]*[ckCount][]common.HealthPoint)
	for _, pt := range pts {
		i := slices.Index(model.AllChecks, pt.Check)
		if i < 0 {
			continue
		}
		h := p.hist[pt.Wallet]
		if h == nil {
			h = new([ckCount][]common.HealthPoint)
			p.hist[pt.Wallet] = h
		}
		h[i] = append(h[i], pt)
	}
}

// build evaluates every wallet's checks and formats the wallet table.
func (p *Health) build() {
	p.evaluate()
	cells := make([][]string, 0, len(p.all)+1)
	var checkCells [][]string
	for i := range p.all {
		v := &p.all[i]
		v.cells = make([]string, hcCount)
		v.cells[hcName] = walletName(model.WalletSummary{Version: v.in.Version, Name: v.in.Name})
		v.cells[hcStatus] = string(v.in.Status)
		v.cells[hcEnv] = string(v.in.Environment)
		v.cells[hcOverall] = healthText(v.overall)
		for c := range ckCount {
			v.cells[hcChecks+c] = shortState(v.checks[c].res.State)
		}
		v.cells[hcChange] = v.note
		v.search = strings.ToLower(v.cells[hcName] + "\x00" + v.cells[hcStatus] + "\x00" + v.cells[hcEnv] + "\x00" + v.cells[hcOverall])
		cells = append(cells, v.cells)
		for c := range ckCount {
			checkCells = append(checkCells, p.checkCells(v, c))
		}
	}
	p.tbl.Measure(cells)
	p.tbl.Layout(p.w)
	p.checks.Measure(checkCells)
	p.checks.Layout(p.w)
	p.rebuild()
}

// checkCells are the cells of check c of wallet v, without the trend (drawn
// at the column's width when shown).
func (p *Health) checkCells(v *walletView, c int) []string {
	cv := v.checks[c]
	src := "—"
	switch {
	case cv.res.State == model.HealthUnknown:
	case cv.live:
		src = "live"
	case c == ckAlerts:
		src = "open alerts"
	case v.in.MetricDate != nil:
		src = "metrics " + v.in.MetricDate.UTC().Format("01-02")
	}
	return []string{string(cv.res.Name), string(cv.res.State), cv.res.Value, limitText(p.c.Thresholds, cv.res), src, ""}
}

// note is why check c of wallet v is not healthy, and what it was before
// it changed; "" when there is nothing to say.
func (v *walletView) noteOf(c int) string {
	cv := v.checks[c]
	var n string
	if cv.res.State == model.HealthWarning || cv.res.State == model.HealthFailed {
		n = cv.res.Message
	}
	if cv.changed {
		was := "was " + string(cv.prev.State)
		if cv.prev.State == cv.res.State {
			was = "was " + cv.prev.Value
		}
		if n == "" {
			n = cv.res.Message
		}
		n += " (" + was + ")"
	}
	return n
}

// rebuild filters and orders the wallets: worst overall first (best first
// after S), then by version either way; the cursor stays on the same wallet.
func (p *Health) rebuild() {
	keep := -1
	if p.nav.Cursor < len(p.rows) {
		keep = p.rows[p.nav.Cursor].in.Version
	}
	p.rows = common.VisibleWallets(p.rows[:0], p.all, p.c.Env, p.filter, func(r *walletView) (model.Environment, string) { return r.in.Environment, r.search })
	best := p.best
	slices.SortStableFunc(p.rows, func(a, b *walletView) int {
		c := cmp.Compare(healthRank(b.overall), healthRank(a.overall))
		if best {
			c = -c
		}
		if c != 0 {
			return c
		}
		return cmp.Compare(a.in.Version, b.in.Version)
	})
	p.nav.SetLen(len(p.rows))
	p.resize()
	for i, r := range p.rows {
		if r.in.Version == keep {
			p.nav.Cursor = i
			p.nav.Clamp()
			break
		}
	}
}

func (p *Health) selected() *walletView {
	if p.nav.Cursor < 0 || p.nav.Cursor >= len(p.rows) {
		return nil
	}
	return p.rows[p.nav.Cursor]
}

func (p *Health) Status() string {
	if !p.loaded {
		return "health"
	}
	bad, changed := 0, 0
	for _, r := range p.all {
		if r.overall == model.HealthUnhealthy || r.overall == model.HealthWarning {
			bad++
		}
		if r.changed {
			changed++
		}
	}
	st := common.Itoa(len(p.all)) + " wallets · " + common.Itoa(bad) + " warning or unhealthy"
	if changed > 0 {
		st += " · " + common.Itoa(changed) + " changed"
	}
	if len(p.rows) != len(p.all) {
		st += " · " + common.Itoa(len(p.rows)) + " shown"
	}
	return st + " · from " + common.Stamp(p.loadedAt, p.c.Loc) + " · refreshes on its own"
}

func (p *Health) ShortHelp() []key.Binding {
	k := p.c.Keys
	return []key.Binding{k.Open, k.Reverse, k.Filter, k.Env, k.Refresh, k.Screens, k.Help, k.Quit}
}

func (p *Health) FullHelp() [][]key.Binding {
	k := p.c.Keys
	return [][]key.Binding{k.Nav(), {k.Open, k.Reverse, k.Back}, k.Global()}
}
