package flows

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// The migration flow (DESIGN.md flow 7): which wallets and how, then every
// manufacturer of the source in the plan's order with what refuses it, then
// the chosen one's start on the runner (plan → checks → confirm → run →
// result), and from its result the worker as a background job or the
// Migrations screen.

type mwStage int

const (
	mwInput   mwStage = iota // from, to, batch, reason
	mwLoading                // the plan of every manufacturer is being made
	mwPick                   // choose the manufacturer
)

type candidatesMsg struct {
	common.Result
	wizard  *migrationWizard
	attempt int
	cands   []common.MigrationCandidate
	err     error
}

// migrationWizard walks a migration's start.
type migrationWizard struct {
	c     *common.Common
	src   common.Migrator
	stage mwStage
	form  components.Form
	dirty bool

	from, to, batch int
	reason          string
	cands           []common.MigrationCandidate
	err             string
	attempt         int
	nav             components.ListNav

	run     *flow.Runner
	worker  bool          // run is the worker's (after the start)
	started *atomic.Int64 // the migration the start made, once it has
	name    string        // the manufacturer being started
	closed  bool
}

// NewMigration opens the migration flow; wallets preset from and to
// (":migration v2 v1").
func NewMigration(c *common.Common, src common.Migrator, wallets ...string) (Wizard, tea.Cmd) {
	w := &migrationWizard{c: c, src: src, started: &atomic.Int64{}}
	from, to := "", ""
	if len(wallets) > 0 {
		from = wallets[0]
	}
	if len(wallets) > 1 {
		to = wallets[1]
	}
	w.form = components.Form{Fields: []*components.Field{
		components.TextField("from", from, "the wallet the manufacturer leaves, e.g. v2", true),
		components.TextField("to", to, "the wallet it moves to, e.g. v1 (active)", true),
		components.TextField("batch", strconv.Itoa(defaultMigrationBatch), "paths per batch (1 to 100,000); the worker sizes its batches to about 0.5 s", true),
		components.TextField("reason", "wallet_deprecation", "why it moves, for the lineage and the audit log (at most 50 characters)", true),
	}}
	if from != "" && to != "" {
		return w, w.submit()
	}
	if from != "" {
		w.form.Focus = 1
	}
	return w, nil
}

// defaultMigrationBatch is ops.DefaultMigrationBatch (the CLI's --batch).
const defaultMigrationBatch = 5000

// submit reads the fields and plans every manufacturer of the source.
func (w *migrationWizard) submit() tea.Cmd {
	vals := make([]string, len(w.form.Fields))
	for i, f := range w.form.Fields {
		vals[i] = f.Value()
	}
	from, err := model.ParseVersion(vals[0])
	if err != nil {
		w.form.Focus, w.form.Err = 0, "from: "+err.Error()
		return nil
	}
	to, err := model.ParseVersion(vals[1])
	if err != nil {
		w.form.Focus, w.form.Err = 1, "to: "+err.Error()
		return nil
	}
	if from == to {
		w.form.Focus, w.form.Err = 1, "to: a manufacturer moves to another wallet than "+model.VersionName(from)
		return nil
	}
	batch, err := strconv.Atoi(strings.ReplaceAll(vals[2], ",", ""))
	if err != nil || batch < 1 || batch > 100000 {
		w.form.Focus, w.form.Err = 2, "batch: give between 1 and 100000 paths per batch"
		return nil
	}
	if len([]rune(vals[3])) > 50 {
		w.form.Focus, w.form.Err = 3, "reason: at most 50 characters"
		return nil
	}
	w.form.Err = ""
	w.from, w.to, w.batch, w.reason = from, to, batch, vals[3]
	return w.plan()
}

func (w *migrationWizard) plan() tea.Cmd {
	w.attempt++
	w.stage, w.err = mwLoading, ""
	src, from, to, batch, n := w.src, w.from, w.to, w.batch, w.attempt
	k := "flow/migration/" + strconv.Itoa(n)
	return w.c.Load.Run(k, func(ctx context.Context) tea.Msg {
		cs, err := src.Candidates(ctx, from, to, batch)
		return candidatesMsg{common.Result{Key: k}, w, n, cs, err}
	})
}

// startSpec is the start of name's migration on the runner: its plan and
// refusals from ops, the start in one transaction.
func (w *migrationWizard) startSpec(name string) flow.Spec {
	src, from, to, batch, reason, started := w.src, w.from, w.to, w.batch, w.reason, w.started
	return flow.Spec{
		Name: "migration", Title: "Start migrating " + common.Inert(name) + " from " + model.VersionName(from) + " to " + model.VersionName(to),
		OneTransaction: true,
		Plan: func(ctx context.Context, _ flow.Values) (model.Plan, []model.Check, error) {
			return src.PlanStart(ctx, from, to, name, batch)
		},
		Run: func(ctx context.Context, _ flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			report(jobs.Progress{Note: "registering, queueing and recording in one transaction"})
			id, o, err := src.Start(ctx, from, to, name, reason, batch)
			if err == nil {
				started.Store(id)
			}
			return o, err
		},
	}
}

func (w *migrationWizard) Refresh() tea.Cmd { return nil }

func (w *migrationWizard) Capturing() bool {
	if w.run != nil {
		return w.run.Capturing()
	}
	return w.stage == mwInput
}

// Dirty reports whether leaving would lose typing or a running job's screen.
func (w *migrationWizard) Dirty() bool {
	if w.run != nil {
		return w.run.Dirty()
	}
	return w.stage == mwInput && w.dirty
}

// Closed reports that the flow is done.
func (w *migrationWizard) Closed() bool { return w.closed }

func (w *migrationWizard) Shutdown() string { return "" }

// offering says whether the start's result is on screen with its offers
// (the worker, the Migrations screen).
func (w *migrationWizard) offering() bool {
	return w.run != nil && !w.worker && w.run.Stage() == flow.StageResult && w.started.Load() > 0
}

// Claims: the runner's keys, and in the list the flow's own (r plans
// again, e edits, enter starts) before the shell's.
func (w *migrationWizard) Claims(k tea.KeyPressMsg) bool {
	if w.run != nil {
		return w.run.Claims(k) || (w.offering() && (k.String() == "w" || k.String() == "m"))
	}
	if w.stage == mwInput {
		return true
	}
	switch k.String() {
	case "r", "e", "enter", "up", "down", "k", "j", "pgup", "pgdown", "home", "end":
		return true
	}
	return false
}

func (w *migrationWizard) Back() bool {
	if w.run != nil {
		if !w.run.Back() {
			return w.dropRun()
		}
		return true
	}
	switch w.stage {
	case mwInput:
		w.closed = true
		return false
	default:
		w.stage = mwInput
		return true
	}
}

// dropRun forgets a closed run: a start that ran (or the worker after it)
// ends the flow; one left before it ran returns to the list. It reports
// whether the flow stays open.
func (w *migrationWizard) dropRun() bool {
	ran := w.worker || w.started.Load() > 0
	w.run, w.worker = nil, false
	if ran {
		w.closed = true
		return false
	}
	return true
}

func (w *migrationWizard) Update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(candidatesMsg); ok {
		if m.wizard != w || m.attempt != w.attempt || w.stage != mwLoading {
			return nil
		}
		w.stage = mwPick
		if m.err != nil {
			w.err, w.cands = common.ErrText(m.err), nil
		} else {
			w.cands = m.cands
		}
		w.nav.SetLen(len(w.cands))
		return nil
	}
	if w.run != nil {
		if k, ok := msg.(tea.KeyPressMsg); ok && w.offering() {
			switch k.String() {
			case "w":
				return w.startWorker()
			case "m":
				id := w.started.Load()
				w.closed = true
				return func() tea.Msg {
					return common.GotoMsg{Screen: "migrations", Note: "migration #" + strconv.FormatInt(id, 10) + " started: select it and press w to move its paths"}
				}
			}
		}
		cmd := w.run.Update(msg)
		if w.run.Closed() {
			w.dropRun()
		}
		return cmd
	}
	switch msg := msg.(type) {
	case tea.PasteMsg:
		if w.stage == mwInput {
			w.form.Update(msg)
			w.dirty = true
		}
	case tea.KeyPressMsg:
		return w.key(msg)
	}
	return nil
}

// startWorker offers the new migration's worker on the runner (it asks).
func (w *migrationWizard) startWorker() tea.Cmd {
	id := w.started.Load()
	label := "#" + strconv.FormatInt(id, 10) + " " + common.Inert(w.name) + " " + model.VersionName(w.from) + " → " + model.VersionName(w.to)
	busy := 0
	if j := w.c.Jobs.Tagged(WorkerTag(id)); j != nil {
		busy = j.ID
	}
	run, cmd := flow.New(w.c, MigrationControlSpec(w.src, VerbRun, id, label, w.c.Now, busy), nil)
	w.run, w.worker = run, true
	return cmd
}

func (w *migrationWizard) key(k tea.KeyPressMsg) tea.Cmd {
	switch w.stage {
	case mwInput:
		before := w.snapshot()
		switch w.form.Update(k) {
		case components.FormCancel:
			w.closed = true
		case components.FormSubmit:
			return w.submit()
		default:
			w.dirty = w.dirty || w.snapshot() != before
		}
	case mwLoading:
		if k.String() == "esc" {
			w.stage = mwInput
		}
	case mwPick:
		switch {
		case w.nav.Key(w.c.Keys, k):
		case k.String() == "r":
			return w.plan()
		case k.String() == "e":
			w.stage = mwInput
		case k.String() == "enter" && w.nav.Cursor < len(w.cands):
			w.name = w.cands[w.nav.Cursor].Name
			run, cmd := flow.New(w.c, w.startSpec(w.name), nil)
			w.run = run
			return cmd
		}
	}
	return nil
}

func (w *migrationWizard) snapshot() string {
	var b strings.Builder
	for _, f := range w.form.Fields {
		b.WriteString(f.Value())
		b.WriteByte(0)
	}
	return b.String()
}

func (w *migrationWizard) View(width, h int) string {
	s := w.c.Styles
	if w.run != nil {
		if !w.offering() {
			return w.run.View(width, h)
		}
		// The offers go above the runner's own key line.
		ls := strings.Split(w.run.View(width, max(h-2, 1)), "\n")
		hint := ls[len(ls)-1]
		ls = append(ls[:len(ls)-1],
			s.R(s.Prompt, common.Truncate("w: run its worker now, a background job of this console (it asks first)", width)),
			s.R(s.Prompt, common.Truncate("m: the Migrations screen", width)),
			hint)
		return strings.Join(ls, "\n")
	}
	out := []string{
		s.R(s.Section, common.Truncate("Manufacturer migration", width)),
		common.Truncate(strings.Join([]string{w.stageName(mwInput, "wallets"), w.stageName(mwPick, "manufacturer"),
			s.R(s.Muted, "checks › confirm › run › result")}, " › "), width),
		"",
	}
	var hint string
	switch w.stage {
	case mwInput:
		out = append(out, w.form.View(s, width)...)
		hint = "enter: next · ctrl+s: plan · esc: close"
	case mwLoading:
		out = append(out, s.R(s.Muted, "planning every manufacturer of "+model.VersionName(w.from)+"…"))
		hint = "esc: back"
	case mwPick:
		out = append(out, w.pickLines(width, h-len(out)-1)...)
		hint = "↑↓: choose · enter: its plan and checks · r: plan again · e: edit · esc: back"
	}
	room := max(h-1, 1)
	if len(out) > room {
		out = out[:room]
	}
	for len(out) < room {
		out = append(out, "")
	}
	out = append(out, s.R(s.Muted, common.Truncate(hint, width)))
	return strings.Join(out, "\n")
}

func (w *migrationWizard) stageName(st mwStage, name string) string {
	s := w.c.Styles
	if w.stage == st || (st == mwPick && w.stage == mwLoading) {
		return s.R(s.Title, "["+name+"]")
	}
	return s.R(s.Muted, name)
}

// pickLines is the plan of every manufacturer: who can start, and each
// refusal of the others with what to do.
func (w *migrationWizard) pickLines(width, h int) []string {
	s := w.c.Styles
	fv, tv := model.VersionName(w.from), model.VersionName(w.to)
	if w.err != "" {
		var out []string
		for _, l := range common.Wrap("could not plan "+fv+" → "+tv+": "+w.err, max(width, 10)) {
			out = append(out, s.R(s.Error, l))
		}
		return append(out, common.Truncate("nothing was changed; r plans again, e edits the wallets", width))
	}
	if len(w.cands) == 0 {
		return []string{common.Truncate(fv+" has no manufacturers to move", width)}
	}
	out := []string{common.Truncate("Manufacturers of "+fv+" to move to "+tv+", in the plan's order (batches of "+model.Group(int64(w.batch))+"):", width)}
	// Each candidate takes its line and its refusals; the list scrolls with
	// the cursor on the selected one.
	var lines []string
	first := make([]int, len(w.cands))
	for i, c := range w.cands {
		first[i] = len(lines)
		mark := "  "
		if i == w.nav.Cursor {
			mark = "> "
		}
		verdict, vst := "can start", s.OK
		if len(c.Refusals) > 0 {
			verdict, vst = "refused", s.Bad
		}
		// The verdict first, so that a narrow window keeps it.
		about := " · " + common.Inert(c.Name) + " (index " + common.Itoa(c.Index) + ") · " + model.Group(c.LivePaths) + " live paths · " +
			model.Group(c.Identifiers) + " identifiers · priority " + common.Inert(c.BusinessPriority) + " · complexity " + common.Inert(c.Complexity)
		about = common.Truncate(about, max(width-common.Width(mark+verdict), 1))
		line := mark + s.R(vst, verdict) + about
		if i == w.nav.Cursor {
			line = s.R(s.Selected, common.Fit(mark+verdict+about, width, false))
		}
		lines = append(lines, line)
		for _, r := range c.Refusals {
			for j, l := range common.Wrap(common.Inert(r), max(width-6, 10)) {
				lead := "    ✗ "
				if j > 0 {
					lead = "      "
				}
				lines = append(lines, s.R(s.Muted, lead+strings.TrimRight(l, " ")))
			}
		}
	}
	room := max(h-1, 1)
	start := 0
	if sel := w.nav.Cursor; sel < len(first) {
		end := len(lines)
		if sel+1 < len(first) {
			end = first[sel+1]
		}
		if end > room {
			start = min(first[sel], end-room)
		}
	}
	end := min(start+room, len(lines))
	return append(out, lines[start:end]...)
}

func (w *migrationWizard) Status() string {
	if w.run != nil {
		return w.run.Status()
	}
	return "Manufacturer migration · " + map[mwStage]string{mwInput: "wallets", mwLoading: "planning", mwPick: "manufacturer"}[w.stage]
}

func (w *migrationWizard) ShortHelp() []key.Binding {
	if w.run != nil {
		return w.run.ShortHelp()
	}
	k := w.c.Keys
	if w.stage == mwInput {
		return []key.Binding{k.NextField, k.Submit, k.Cancel}
	}
	return []key.Binding{k.Up, k.Down, k.Back, k.Help, k.Quit}
}

func (w *migrationWizard) FullHelp() [][]key.Binding {
	k := w.c.Keys
	if w.Capturing() {
		return [][]key.Binding{{k.NextField, k.PrevField, k.Submit, k.Back}, k.Global()}
	}
	return [][]key.Binding{{k.Up, k.Down, k.Back}, k.Global()}
}
