package flow

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/jobs"
)

// Stage is where a run of a flow stands.
type Stage int

const (
	StageInput    Stage = iota // the fields
	StagePlanning              // the plan and checks are being made
	StagePlan                  // the plan and checks are shown
	StageConfirm               // y/N, or the target typed
	StageRunning               // the job runs
	StageResult                // what changed
	StageFailed                // the run failed: nothing or part changed, as it says
)

// stages are the names on the runner's strip, in order.
var stages = []string{"input", "checks", "confirm", "run", "result"}

func (s Stage) strip() int {
	switch s {
	case StageInput:
		return 0
	case StagePlanning, StagePlan:
		return 1
	case StageConfirm:
		return 2
	case StageRunning:
		return 3
	}
	return 4
}

// planMsg carries a plan back to the runner that asked for it.
type planMsg struct {
	common.Result
	runner  int64
	attempt int    // which plan request this answers: only the latest counts
	values  Values // what it was made from: the run gets exactly these
	plan    model.Plan
	checks  []model.Check
	err     error
}

var runnerIDs atomic.Int64

// Runner walks one flow. It is a component: the page that holds it passes
// it every message (keys only while it is on screen) and draws its View.
type Runner struct {
	c    *common.Common
	spec Spec
	id   int64

	stage  Stage
	form   components.Form
	values Values
	dirty  bool   // a field was changed: esc asks before throwing it away
	ask    string // a question waiting for y/N ("discard what you typed?")

	plan    model.Plan
	checks  []model.Check
	planErr string
	attempt int    // the latest plan request
	planned Values // the values the shown plan was made from

	// refused is read-only mode's refusal, fixed at New: nothing re-plans
	// it away and startRun checks it again.
	refused string

	typed   components.LineInput // the typed confirmation
	confErr string

	job     int // the job's id once running
	prog    jobs.Progress
	outcome model.Outcome
	runErr  string

	closed bool
	offset int // the body's scroll position
}

// New starts a run of spec with the fields' values from preset (a wallet
// the operator had selected, a `:activate v3` argument).
func New(c *common.Common, spec Spec, preset Values) (*Runner, tea.Cmd) {
	r := &Runner{c: c, spec: spec, id: runnerIDs.Add(1), values: Values{}}
	fields := make([]*components.Field, 0, len(spec.Fields))
	for _, f := range spec.Fields {
		v := f.Default
		if p, ok := preset[f.Key]; ok {
			v = p
		}
		switch f.Kind {
		case Choice:
			fields = append(fields, components.ChoiceField(f.Label, f.Choices, v, f.Hint))
		case Secret:
			fields = append(fields, components.SecretField(f.Label, f.Hint))
		default:
			fields = append(fields, components.TextField(f.Label, v, f.Hint, f.Required))
		}
	}
	r.form = components.Form{Fields: fields}
	if c.ReadOnly {
		// Read-only mode's refusal for flows, in one place: nothing is
		// planned, nothing can be confirmed.
		r.refused = "read-only console: " + spec.Title + " changes state, so it cannot run here (start the console without --read-only)"
		r.stage, r.planErr = StagePlan, r.refused
		return r, nil
	}
	if len(fields) == 0 {
		return r, r.startPlan()
	}
	return r, nil
}

// Outcome is what the run changed, once it has.
func (r *Runner) Outcome() (model.Outcome, bool) { return r.outcome, r.stage == StageResult }

// Stage is where the run stands.
func (r *Runner) Stage() Stage { return r.stage }

// Title is the flow's title.
func (r *Runner) Title() string { return r.spec.Title }

// Closed reports that the operator is done with the flow (the host drops it).
func (r *Runner) Closed() bool { return r.closed }

// Capturing reports whether typed keys belong to the runner (a field or a
// typed confirmation has focus, or a question waits): the shell then sends
// it every key but ctrl+c.
func (r *Runner) Capturing() bool {
	return r.ask != "" || r.stage == StageInput || r.stage == StageConfirm
}

// Running reports whether the flow's job is under way.
func (r *Runner) Running() bool { return r.stage == StageRunning }

// Dirty reports whether leaving now would lose what was typed (not yet
// run) or drop a running job's screen; a finished run loses nothing.
func (r *Runner) Dirty() bool {
	switch r.stage {
	case StageInput, StagePlanning, StagePlan, StageConfirm:
		return r.dirty
	case StageRunning:
		return true
	}
	return false
}

// snapshot is the fields' values as one string, to tell a change from a
// move between fields.
func (r *Runner) snapshot() string {
	var b strings.Builder
	for _, f := range r.form.Fields {
		b.WriteString(f.Value())
		b.WriteByte(0)
	}
	return b.String()
}

func (r *Runner) collect() {
	for i, f := range r.spec.Fields {
		r.values[f.Key] = r.form.Fields[i].Value()
	}
}

func (r *Runner) startPlan() tea.Cmd {
	if r.refused != "" {
		r.stage, r.planErr = StagePlan, r.refused
		return nil
	}
	r.collect()
	r.attempt++
	r.stage, r.planErr, r.checks, r.planned = StagePlanning, "", nil, nil
	spec, in, id, n := r.spec, copyValues(r.values), r.id, r.attempt
	// Each attempt has its own key, so that a new one is never dropped as a
	// duplicate of one still in flight; the reply says which it answers.
	key := "flow/plan/" + strconv.FormatInt(id, 10) + "/" + strconv.Itoa(n)
	return r.c.Load.Run(key, func(ctx context.Context) tea.Msg {
		p, cs, err := spec.Plan(ctx, in)
		return planMsg{Result: common.Result{Key: key}, runner: id, attempt: n, values: in, plan: p, checks: cs, err: err}
	})
}

func copyValues(v Values) Values {
	out := make(Values, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

func (r *Runner) startRun() tea.Cmd {
	if r.refused != "" || r.planned == nil || r.planErr != "" || model.Blocking(r.checks) {
		return nil // only a plan that was shown, checked and passed runs
	}
	// The run gets the values the confirmed plan was made from, never
	// fields edited since.
	spec, in := r.spec, copyValues(r.planned)
	title := r.plan.Title
	if title == "" {
		title = spec.Title
	}
	j, cmd := r.c.Jobs.Start(title, func(ctx context.Context, report func(jobs.Progress)) (any, error) {
		return spec.Run(ctx, in, report)
	})
	j.Tag = spec.JobTag
	r.job, r.stage, r.prog, r.runErr = j.ID, StageRunning, jobs.Progress{}, ""
	return cmd
}

// Update takes a message.
func (r *Runner) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case planMsg:
		if msg.runner != r.id || msg.attempt != r.attempt || r.stage != StagePlanning {
			return nil // an older attempt, or one the operator left
		}
		if msg.err != nil {
			r.planErr = common.ErrText(msg.err)
		}
		if why := destructiveWithoutTarget(r.spec, msg.plan); why != "" && r.planErr == "" {
			r.planErr = why
		}
		r.plan, r.checks, r.planned, r.stage, r.offset = msg.plan, msg.checks, msg.values, StagePlan, 0
		if r.spec.Destructive {
			r.plan.Destructive = true
		}
		return nil
	case jobs.ProgressMsg:
		if msg.ID == r.job && r.stage == StageRunning {
			r.prog = msg.Progress
		}
		return nil
	case jobs.DoneMsg:
		if msg.ID != r.job || r.stage != StageRunning {
			return nil
		}
		switch {
		case msg.Err != nil:
			r.stage, r.runErr = StageFailed, common.ErrText(msg.Err)
			if msg.State == jobs.Cancelled {
				r.runErr = "cancelled (x)"
			}
		default:
			r.outcome, _ = msg.Result.(model.Outcome)
			r.stage = StageResult
		}
		return nil
	case tea.PasteMsg:
		return r.paste(msg)
	case tea.KeyPressMsg:
		return r.key(msg)
	}
	return nil
}

func (r *Runner) paste(msg tea.PasteMsg) tea.Cmd {
	switch r.stage {
	case StageInput:
		before := r.snapshot()
		r.form.Update(msg)
		r.dirty = r.dirty || r.snapshot() != before
	case StageConfirm:
		r.typed.Update(msg)
	}
	return nil
}

// Back is esc: one step back, asking first where typing would be lost.
// It reports false when the flow is closed by it.
func (r *Runner) Back() bool {
	switch r.stage {
	case StageInput:
		if r.dirty {
			// Only typing on this screen asks; values already checked were
			// seen by the operator and are kept while the flow is open.
			r.ask = "discard what you typed?"
			return true
		}
		r.closed = true
		return false
	case StagePlan, StagePlanning, StageFailed:
		if len(r.spec.Fields) > 0 {
			r.stage = StageInput
			return true
		}
		r.closed = true
		return false
	case StageConfirm:
		r.stage, r.confErr = StagePlan, ""
		return true
	case StageRunning:
		// Leaving does not stop the job: the header keeps its progress.
		r.closed = true
		return false
	default:
		r.closed = true
		return false
	}
}

func (r *Runner) key(k tea.KeyPressMsg) tea.Cmd {
	if r.ask != "" {
		switch strings.ToLower(k.String()) {
		case "y":
			r.ask, r.closed = "", true
		default: // anything else keeps the form: only a deliberate y throws it away
			r.ask = ""
		}
		return nil
	}
	if r.stage != StageInput && r.stage != StageConfirm && r.scroll(k.String()) {
		return nil
	}
	switch r.stage {
	case StageInput:
		before := r.snapshot()
		switch r.form.Update(k) {
		case components.FormCancel:
			r.Back()
		case components.FormSubmit:
			return r.startPlan()
		default:
			r.dirty = r.dirty || r.snapshot() != before
		}
		return nil
	case StagePlan:
		switch {
		case k.String() == "r":
			return r.startPlan()
		case k.String() == "e" && len(r.spec.Fields) > 0:
			r.stage = StageInput
		case k.String() == "enter":
			if r.planErr != "" || model.Blocking(r.checks) {
				return nil // the view says why it cannot go on
			}
			r.stage, r.confErr, r.offset = StageConfirm, "", 0
			r.typed.Reset("", "")
		case k.String() == "esc":
			r.Back()
		}
		return nil
	case StageConfirm:
		return r.confirmKey(k)
	case StageRunning:
		if k.String() == "x" {
			r.c.Jobs.Cancel(r.job)
		}
		if k.String() == "esc" {
			r.Back()
		}
		return nil
	case StageFailed:
		switch k.String() {
		case "r":
			return r.startPlan()
		case "esc", "enter":
			r.Back()
		}
		return nil
	case StageResult:
		if k.String() == "enter" || k.String() == "esc" {
			r.closed = true
		}
		return nil
	}
	return nil
}

// destructiveWithoutTarget refuses a destructive plan that names nothing to
// type: its confirmation would be a bare enter.
func destructiveWithoutTarget(spec Spec, p model.Plan) string {
	if (spec.Destructive || p.Destructive) && strings.TrimSpace(p.Target) == "" {
		return "this change cannot be undone but its plan names no target to type; nothing will run"
	}
	return ""
}

// confirmKey is y/N for a change, the target typed for a destructive one.
func (r *Runner) confirmKey(k tea.KeyPressMsg) tea.Cmd {
	if !r.plan.Destructive {
		switch k.String() {
		case "y", "Y":
			return r.startRun()
		case "n", "N", "esc", "enter":
			// enter takes the default, which is no.
			r.stage = StagePlan
		}
		return nil
	}
	switch k.String() {
	case "esc":
		r.stage, r.confErr = StagePlan, ""
		return nil
	case "enter":
		got := strings.TrimSpace(r.typed.String())
		if got != r.plan.Target {
			r.confErr = "you typed " + common.Quote(got) + ": type " + common.Inert(r.plan.Target) +
				" exactly to go ahead, or esc to go back"
			r.typed.Reset("", "")
			return nil
		}
		return r.startRun()
	}
	r.typed.Update(k)
	r.confErr = ""
	return nil
}

// Claims reports whether the runner takes this key where the shell would
// otherwise (r is "check again" here, not refresh; e is "edit", not the
// environment filter; the arrows scroll the checks).
func (r *Runner) Claims(k tea.KeyPressMsg) bool {
	if r.Capturing() {
		return true
	}
	key := k.String()
	switch key {
	case "up", "down", "k", "j", "pgup", "pgdown", "home", "end":
		return true
	}
	switch r.stage {
	case StagePlan:
		return key == "r" || key == "e" || key == "enter"
	case StageRunning:
		return key == "x"
	case StageFailed:
		return key == "r" || key == "enter"
	case StageResult:
		return key == "enter"
	}
	return false
}

// scroll moves the body by a key; it reports whether the key was a scroll key.
func (r *Runner) scroll(key string) bool {
	switch key {
	case "up", "k":
		r.offset = max(r.offset-1, 0)
	case "down", "j":
		r.offset++
	case "pgup":
		r.offset = max(r.offset-10, 0)
	case "pgdown":
		r.offset += 10
	case "home":
		r.offset = 0
	case "end":
		r.offset = 1 << 20 // View clamps it
	default:
		return false
	}
	return true
}

// Status is the footer line.
func (r *Runner) Status() string {
	return r.spec.Title + " · " + stages[r.stage.strip()]
}
