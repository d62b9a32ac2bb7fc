package pages

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/flows"
	"github.com/plings/walletconsole/ui/jobs"
)

// Migrations table columns.
const (
	mcID = iota
	mcMfr
	mcMove
	mcPhase
	mcDone
	mcPct
	mcRate
	mcETA
	mcState
	mcCount
)

func migrationColumns() []components.Column {
	c := make([]components.Column, mcCount)
	c[mcID] = components.Column{Title: "#", Max: 7, Right: true}
	c[mcMfr] = components.Column{Title: "MANUFACTURER", Max: 20, Min: 10, Flex: true}
	c[mcMove] = components.Column{Title: "MOVE", Max: 11}
	c[mcPhase] = components.Column{Title: "PHASE", Width: 5, Prio: 3}
	c[mcDone] = components.Column{Title: "DONE", Max: 21, Right: true}
	c[mcPct] = components.Column{Title: "%", Width: 6, Right: true}
	c[mcRate] = components.Column{Title: "RATE", Max: 10, Right: true, Prio: 2}
	c[mcETA] = components.Column{Title: "ETA", Max: 8, Right: true, Prio: 1}
	c[mcState] = components.Column{Title: "STATE", Max: 80, Min: 12, Flex: true}
	return c
}

type (
	migrationsMsg struct {
		common.Result
		list []common.Migration
		err  error
	}
	// migrationsTick is the fast refresh while a migration moves.
	migrationsTick struct{}
)

// Migrations is every manufacturer migration (issue 12): a table with
// exact progress, rate, ETA and the state with the reason for any throttle
// or pause, the selected one in detail below, and its actions — pause,
// resume, throttle and its lift, rollback, verify, the worker as a
// background job — each on the flow runner, asking before it changes
// anything. It reads again every second while a migration moves and the
// screen is on view.
type Migrations struct {
	Base
	src   common.Migrator
	all   []common.Migration
	rows  []*common.Migration
	tbl   *components.Table
	cells [][]string
	nav   components.ListNav

	shown   bool // on screen: only then the fast refresh runs
	ticking bool // a fast refresh is pending

	run  *flow.Runner // the action under way, on the runner
	note string       // the last action's outcome
}

// NewMigrations is the Migrations screen over src (nil: no database).
func NewMigrations(c *common.Common, src common.Migrator) *Migrations {
	return &Migrations{Base: newBase(c, "migrations", "Migrations"), src: src, tbl: components.NewTable(migrationColumns()...)}
}

// SetShown says whether the screen is on view.
func (p *Migrations) SetShown(on bool) { p.shown = on }

func (p *Migrations) Refresh() tea.Cmd {
	if p.src == nil {
		return nil
	}
	src := p.src
	return p.c.Load.Run("migrations", func(ctx context.Context) tea.Msg {
		list, err := src.Migrations(ctx)
		return migrationsMsg{common.Result{Key: "migrations"}, list, err}
	})
}

// moving says whether anything on the screen moves (a migration running or
// rolling back, or a worker job of this console).
func (p *Migrations) moving() bool {
	for i := range p.all {
		if p.all[i].Moving() {
			return true
		}
	}
	return false
}

// tick arms the fast refresh when it is due.
func (p *Migrations) tick() tea.Cmd {
	if !p.shown || p.ticking || !p.c.AutoRefresh || p.c.After == nil || !p.moving() {
		return nil
	}
	p.ticking = true
	return p.c.After(time.Second, migrationsTick{})
}

func (p *Migrations) Filterable() bool { return true }
func (p *Migrations) SetFilter(f string) {
	p.filter = f
	p.rebuild()
}

func (p *Migrations) SetSize(w, h int) {
	p.Base.SetSize(w, h)
	p.layout()
}

// detailLines is how many lines the selected migration's detail keeps.
const detailLines = 10

func (p *Migrations) layout() {
	p.tbl.Measure(p.cells)
	p.tbl.Layout(p.w)
	top := 2 // title, column titles
	if p.err != "" {
		top++
	}
	avail := p.h - top
	// The detail below takes what it needs; the table keeps at least 3 rows.
	p.nav.SetHeight(max(min(len(p.rows), avail-detailLines-1), min(len(p.rows), 3), 1))
}

// rebuild applies the "/" filter and formats the cells.
func (p *Migrations) rebuild() {
	var sel int64
	if p.nav.Cursor < len(p.rows) {
		sel = p.rows[p.nav.Cursor].ID
	}
	f := strings.ToLower(p.filter)
	p.rows = p.rows[:0]
	p.cells = p.cells[:0]
	for i := range p.all {
		m := &p.all[i]
		if f != "" && !strings.Contains(strings.ToLower(p.search(m)), f) {
			continue
		}
		p.rows = append(p.rows, m)
		p.cells = append(p.cells, p.rowCells(m))
	}
	p.nav.SetLen(len(p.rows))
	for i, m := range p.rows {
		if m.ID == sel {
			p.nav.Cursor = i
		}
	}
	p.nav.Clamp()
	p.layout()
}

func (p *Migrations) search(m *common.Migration) string {
	return "#" + strconv.FormatInt(m.ID, 10) + " " + m.Manufacturer + " " + move(m.MigrationFigures) + " " + m.Shown()
}

func move(f model.MigrationFigures) string {
	return model.VersionName(f.Source) + " → " + model.VersionName(f.Target)
}

// percent is Done of Of rounded down to a tenth: 99.99 % shows as 99.9 %,
// never as a 100 % that is not there yet.
func percent(f model.MigrationFigures) string {
	return strconv.FormatFloat(math.Floor(f.Percent()*10)/10, 'f', 1, 64) + "%"
}

func rate(f model.MigrationFigures) string {
	r := f.Rate()
	if r <= 0 {
		return "—"
	}
	return model.Group(int64(r+0.5)) + "/s"
}

func eta(f model.MigrationFigures) string {
	d, ok := f.ETA()
	if !ok {
		return "—"
	}
	return model.ElapsedShort(d)
}

func orNone(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return s
}

// worker is this console's job running m's worker, nil for none.
func (p *Migrations) worker(id int64) *jobs.Job {
	return p.c.Jobs.Tagged(flows.WorkerTag(id))
}

// state is the state as the table shows it: the database's words with
// their reasons, and this console's worker.
func (p *Migrations) state(m *common.Migration) string {
	st := common.Inert(m.Shown())
	if j := p.worker(m.ID); j != nil {
		st += " · worker job " + common.Itoa(j.ID)
	}
	return st
}

func (p *Migrations) rowCells(m *common.Migration) []string {
	f := m.MigrationFigures
	return []string{
		"#" + strconv.FormatInt(f.ID, 10), common.Inert(f.Manufacturer), move(f),
		common.Itoa(f.Phase) + "/" + common.Itoa(f.Phases),
		model.Group(f.Done()) + "/" + model.Group(f.Of()), percent(f), rate(f), eta(f), p.state(m),
	}
}

// stateStyle colours a state: moving is fine, held back is a warning, a
// failure is bad, finished is muted.
func (p *Migrations) stateStyle(m *common.Migration) *lipgloss.Style {
	s := p.c.Styles
	switch {
	case m.State == "failed":
		return &s.Bad
	case m.State == "paused" || m.ThrottleReason != "" || m.State == "moved":
		return &s.Warn
	case m.Moving():
		return &s.OK
	case m.State == "completed" || m.State == "rolled_back":
		return &s.Muted
	}
	return nil
}

func (p *Migrations) selected() *common.Migration {
	if p.nav.Cursor < len(p.rows) {
		return p.rows[p.nav.Cursor]
	}
	return nil
}

// Capturing: an action's field or typed confirmation has the keys.
func (p *Migrations) Capturing() bool { return p.run != nil && p.run.Capturing() }

// Claims: the open action's keys come before the shell's (esc steps back
// in it, here, so that closing it reads the migrations again).
func (p *Migrations) Claims(k tea.KeyPressMsg) bool {
	return p.run != nil && (p.run.Claims(k) || key.Matches(k, p.c.Keys.Back))
}

// Busy reports whether leaving would lose typing in an open action.
func (p *Migrations) Busy() bool {
	return p.run != nil && p.run.Dirty() && p.run.Stage() != flow.StageRunning
}

// StateKeys are the keys that change state (read-only mode refuses them
// in one place, saying why).
func (p *Migrations) StateKeys() []*key.Binding {
	if p.run != nil {
		return nil
	}
	k := p.c.Keys
	return []*key.Binding{&k.Pause, &k.Resume, &k.Throttle, &k.Unthrottle, &k.Rollback, &k.VerifyMig, &k.Worker, &k.NewMig}
}

// Back closes the open action (a step at a time, as the runner does).
func (p *Migrations) Back() bool {
	if p.run == nil {
		return false
	}
	if !p.run.Back() {
		p.closeRun()
	}
	return true
}

// closeRun drops a closed action, keeping its outcome as the note, and
// reads the migrations again.
func (p *Migrations) closeRun() tea.Cmd {
	if p.run == nil || !p.run.Closed() {
		return nil
	}
	if o, ok := p.run.Outcome(); ok {
		p.note = common.OneLine(o.Summary)
	}
	p.run = nil
	return p.Refresh()
}

// act opens verb on the selected migration.
func (p *Migrations) act(verb string) tea.Cmd {
	m := p.selected()
	if m == nil {
		p.note = "no migration selected"
		return nil
	}
	label := "#" + strconv.FormatInt(m.ID, 10) + " " + common.Inert(m.Manufacturer) + " " + move(m.MigrationFigures)
	busy := 0
	if j := p.worker(m.ID); j != nil {
		busy = j.ID
	}
	run, cmd := flow.New(p.c, flows.MigrationControlSpec(p.src, verb, m.ID, label, p.c.Now, busy), nil)
	p.run, p.note = run, ""
	return cmd
}

func (p *Migrations) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case migrationsMsg:
		now := p.c.Clock()
		if !p.failed(msg.err, now) {
			p.all = msg.list
			p.markLoaded(now)
		}
		p.rebuild()
		return p.tick()
	case migrationsTick:
		p.ticking = false
		if !p.shown || !p.moving() || !p.c.AutoRefresh {
			return nil
		}
		return p.Refresh()
	case jobs.ProgressMsg, jobs.DoneMsg:
		// A worker's news shows in its row and detail at once.
		p.rebuild()
	case common.RestyleMsg:
		p.layout()
	}
	if p.run != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && key.Matches(k, p.c.Keys.Back) && !p.run.Capturing() {
			if !p.run.Back() {
				return p.closeRun()
			}
			return nil
		}
		cmd := p.run.Update(msg)
		return tea.Batch(cmd, p.closeRun())
	}
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return nil
	}
	if p.src == nil {
		return nil
	}
	keys := p.c.Keys
	if p.nav.Key(keys, k) {
		return nil
	}
	switch {
	case key.Matches(k, keys.Pause):
		return p.act(flows.VerbPause)
	case key.Matches(k, keys.Resume):
		return p.act(flows.VerbResume)
	case key.Matches(k, keys.Throttle):
		return p.act(flows.VerbThrottle)
	case key.Matches(k, keys.Unthrottle):
		return p.act(flows.VerbUnthrottle)
	case key.Matches(k, keys.Rollback):
		return p.act(flows.VerbRollback)
	case key.Matches(k, keys.VerifyMig):
		return p.act(flows.VerbVerify)
	case key.Matches(k, keys.Worker):
		return p.act(flows.VerbRun)
	case key.Matches(k, keys.NewMig):
		return func() tea.Msg { return common.OpenFlowMsg{Name: "migration"} }
	}
	return nil
}

func (p *Migrations) View() string {
	if p.run != nil {
		return p.run.View(p.w, p.h)
	}
	s := p.c.Styles
	title := "Manufacturer migrations"
	if n := len(p.all); n > 0 {
		title += " (" + common.Itoa(n) + ", " + common.Itoa(p.movingCount()) + " moving)"
	}
	out := []string{s.R(s.Section, common.Truncate(title+p.filterScope(), p.w))}
	out = append(out, p.staleLines()...)
	switch {
	case p.src == nil:
		out = append(out, s.R(s.Muted, common.Truncate("  no database connection for migrations", p.w)))
		return p.clip(out)
	case !p.loaded:
		out = append(out, p.notLoaded("migrations"))
		return p.clip(out)
	case len(p.all) == 0:
		out = append(out, "", "  no manufacturer migrations yet.")
		for _, l := range common.Wrap("Start one with n (the migration flow, :migration): it plans each manufacturer of a wallet, shows what refuses it, and queues its paths.", max(p.w-4, 10)) {
			out = append(out, "  "+l)
		}
		return p.clip(out)
	case len(p.rows) == 0:
		out = append(out, s.R(s.Muted, common.Truncate("  no migration matches"+p.filterScope()+" (esc clears the filter)", p.w)))
		return p.clip(out)
	}
	out = append(out, p.tbl.Header(s, nil))
	start, end := p.nav.Visible()
	for i := start; i < end; i++ {
		m := p.rows[i]
		st := p.stateStyle(m)
		out = append(out, p.tbl.Row(s, p.cells[i], i == p.nav.Cursor, func(col int) *lipgloss.Style {
			if col == mcState {
				return st
			}
			return nil
		}))
	}
	out = append(out, "")
	out = append(out, p.detail(p.selected())...)
	if p.note != "" {
		out = append(out, s.R(s.Info, common.Truncate(p.note, p.w)))
	}
	return p.clip(out)
}

// filterScope is the "/" filter in force (a migration belongs to two
// wallets, so the environment filter does not narrow this screen).
func (p *Migrations) filterScope() string {
	if p.filter == "" {
		return ""
	}
	return " " + common.Quote(p.filter)
}

func (p *Migrations) movingCount() int {
	n := 0
	for i := range p.all {
		if p.all[i].Moving() {
			n++
		}
	}
	return n
}

// detail is the selected migration in full: its status line in gh-ost's
// manner, then what the table has no room for.
func (p *Migrations) detail(m *common.Migration) []string {
	if m == nil {
		return nil
	}
	s := p.c.Styles
	f := m.MigrationFigures
	now, loc := p.c.Clock(), p.c.Loc
	var out []string
	for _, l := range common.Wrap(common.Inert(f.StatusLine(now)), max(p.w, 10)) {
		out = append(out, s.R(s.Title, strings.TrimRight(l, " ")))
	}
	const lw = 9
	field := func(label, value string, st *lipgloss.Style) {
		ls := common.Wrap(value, max(p.w-lw-2, 10))
		for i, l := range ls {
			l = strings.TrimRight(l, " ")
			if st != nil {
				l = s.R(*st, l)
			}
			if i == 0 {
				out = append(out, s.R(s.Label, common.Fit(label, lw, false))+"  "+l)
			} else {
				out = append(out, strings.Repeat(" ", lw+2)+l)
			}
		}
	}
	at := func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return common.DateTime(*t, loc) + " (" + common.Ago(now, *t) + ")"
	}
	// Why it is held, and what lifts it.
	switch {
	case f.State == "paused":
		field("why", "paused: "+common.Inert(orNone(f.PauseReason))+" (c resumes)", &s.Warn)
	case f.Moving() && f.ThrottleReason != "":
		why := "throttled by the " + common.Inert(orNone(f.ThrottledBy)) + ": " + common.Inert(f.ThrottleReason)
		if m.ThrottledUntil != nil {
			why += " · until " + common.DateTime(*m.ThrottledUntil, loc)
		}
		if f.ThrottledBy == "operator" {
			why += " (T lifts it)"
		} else {
			why += " (the worker lifts it when the cause ends)"
		}
		field("why", why, &s.Warn)
	case f.State == "moved":
		field("next", "every path has moved: verify (v) compares both wallets and completes it", &s.Warn)
	}
	dir := "forward " + move(f)
	if f.Direction == "rollback" {
		dir = "rollback " + model.VersionName(f.Target) + " → " + model.VersionName(f.Source)
	}
	about := []string{dir}
	for _, x := range []struct{ label, v string }{{"", m.Reason}, {"priority ", m.Priority}, {"complexity ", m.Complexity}} {
		if x.v != "" {
			about = append(about, x.label+common.Inert(x.v))
		}
	}
	if f.StartedAt != nil {
		about = append(about, "since "+common.DateTime(*f.StartedAt, loc))
	}
	field("direction", strings.Join(about, " · "), nil)
	batches := common.Itoa(f.Batches)
	if m.BatchSize > 0 {
		batches += ", up to " + model.Group(int64(m.BatchSize)) + " paths each"
	}
	batches += " · last " + at(f.LastBatchAt)
	if f.Skipped > 0 {
		batches += " · " + model.Group(f.Skipped) + " skipped (no longer live when their batch ran)"
	}
	if f.Direction == "rollback" {
		batches += " · " + model.Group(f.Returned) + " of " + model.Group(f.Moved) + " moved paths returned"
	}
	field("batches", batches, nil)
	if m.LoadLimits != "" {
		field("limits", "load "+common.Inert(m.LoadLimits)+" (its own: a worker's --max-load comes first)", nil)
	}
	verified := "never (v verifies: every path, in both wallets)"
	var vst *lipgloss.Style
	if m.VerifiedAt != nil {
		verified = at(m.VerifiedAt)
		switch {
		case m.VerifyFindings == nil || *m.VerifyFindings == 0:
			verified += ": clean, 0 findings"
		default:
			verified += ": " + common.Itoa(*m.VerifyFindings) + " finding(s); v verifies again and lists their keys"
			vst = &s.Bad
		}
	}
	if m.CompletedAt != nil {
		verified += " · completed"
	}
	field("verified", verified, vst)
	worker := "none in this console (w runs one here; `console migration run " + strconv.FormatInt(f.ID, 10) + "` elsewhere)"
	var wst *lipgloss.Style
	if j := p.worker(f.ID); j != nil {
		worker = "job " + common.Itoa(j.ID) + " in this console"
		if j.Progress.Total > 0 {
			worker += ": " + model.Group(j.Progress.Done) + "/" + model.Group(j.Progress.Total)
		}
		if j.Progress.Note != "" {
			worker += " · " + common.Inert(j.Progress.Note)
		}
		wst = &s.OK
	} else if !f.Moving() && f.State != "paused" {
		worker = "nothing left to move"
	}
	field("worker", worker, wst)
	return out
}

func (p *Migrations) Status() string {
	if p.run != nil {
		return p.run.Status()
	}
	if p.src == nil || !p.loaded {
		return "migrations"
	}
	st := "migrations: " + common.Itoa(len(p.rows))
	if len(p.rows) != len(p.all) {
		st += " of " + common.Itoa(len(p.all))
	}
	if m := p.selected(); m != nil {
		st += " · #" + strconv.FormatInt(m.ID, 10) + " selected"
	}
	return st
}

func (p *Migrations) ShortHelp() []key.Binding {
	if p.run != nil {
		return p.run.ShortHelp()
	}
	k := p.c.Keys
	// In the order they drop when the line is too narrow (the details
	// below say what v, T and n do where they apply).
	return []key.Binding{k.Pause, k.Resume, k.Throttle, k.Rollback, k.Worker, k.VerifyMig, k.Unthrottle, k.NewMig, k.Help, k.Quit}
}

func (p *Migrations) FullHelp() [][]key.Binding {
	k := p.c.Keys
	if p.run != nil {
		if p.run.Capturing() {
			return [][]key.Binding{{k.NextField, k.PrevField, k.Choose, k.Submit, k.Back}, k.Global()}
		}
		return [][]key.Binding{{k.Up, k.Down, k.Back}, k.Global()}
	}
	return [][]key.Binding{
		{k.Up, k.Down, k.Top, k.Bottom},
		{k.Pause, k.Resume, k.Throttle, k.Unthrottle},
		{k.Rollback, k.VerifyMig, k.Worker, k.NewMig},
		k.Global(),
	}
}
