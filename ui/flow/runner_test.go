package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/jobs"
)

// host is the smallest App: it owns the jobs, routes their messages, and
// shows one runner full screen.
type host struct {
	c *common.Common
	r *Runner
}

func (h *host) Init() tea.Cmd { return nil }

func (h *host) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch m := msg.(type) {
	case tea.WindowSizeMsg:
		h.c.Width, h.c.Height = m.Width, m.Height
		return h, nil
	case common.LoadResult:
		h.c.Load.Done(m.LoadKey())
	case jobs.ProgressMsg, jobs.DoneMsg:
		cmds = append(cmds, h.c.Jobs.Update(msg))
	case tea.KeyPressMsg:
		if m.String() == "esc" && !h.r.Capturing() {
			h.r.Back()
			return h, nil
		}
	}
	cmds = append(cmds, h.r.Update(msg))
	return h, tea.Batch(cmds...)
}

func (h *host) View() tea.View { return tea.NewView(h.r.View(h.c.Width, h.c.Height)) }

func testCommon() *common.Common {
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 12, 2, 3, 4, 5, 0, time.UTC) }
	return &common.Common{
		Styles: common.NewStyles(colorprofile.NoTTY), Keys: common.DefaultKeyMap(),
		Now: now, Loc: time.UTC,
		Load: common.NewLoader(ctx, nil, nil, 5*time.Second, 0, 0),
		Jobs: jobs.NewManager(ctx, now),
	}
}

// testFlow retires a wallet in the test's imagination: one field, a plan
// with a check that fails while block is set, a destructive confirmation
// (type the wallet), a run that reports progress and waits for release.
type testFlow struct {
	block   bool
	release chan struct{}
	ran     int
}

func (f *testFlow) spec() Spec {
	return Spec{
		Name: "test-retire", Title: "Retire a wallet (test flow)", OneTransaction: true,
		Fields: []Field{{Key: "wallet", Label: "wallet", Default: "v3", Required: true, Hint: "the version to retire"}},
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			p := model.Plan{Title: "Retire " + in["wallet"], Target: in["wallet"], Destructive: true,
				Steps: []string{"archive the operational data", "destroy the key plings_master_key_" + in["wallet"]}}
			cs := []model.Check{{Name: "no manufacturer left", State: model.CheckPass, Evidence: "0 active paths"}}
			if f.block {
				cs = append(cs, model.Check{Name: "no open incident", State: model.CheckFail,
					Evidence: "incident INC-7 is open", Fix: "close INC-7 first"})
			} else {
				cs = append(cs, model.Check{Name: "no open incident", State: model.CheckPass, Evidence: "none open"})
			}
			return p, cs, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			f.ran++
			report(jobs.Progress{Done: 40, Total: 100, Note: "archiving"})
			select {
			case <-f.release:
			case <-ctx.Done():
				return model.Outcome{}, ctx.Err()
			}
			return model.Outcome{Summary: "retired " + in["wallet"], Changes: []string{"status: deprecated → retired"},
				AuditSeqs: []int64{41, 42}}, nil
		},
	}
}

func key(s string) tea.KeyPressMsg {
	switch s {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "ctrl+s":
		return tea.KeyPressMsg{Code: 's', Mod: tea.ModCtrl}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	r := []rune(s)[0]
	return tea.KeyPressMsg{Code: r, Text: s}
}

func wait(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

// TestRunnerStates drives the test flow to each of the runner's states in a
// real Bubble Tea program and keeps the screen of each as a golden, at 80x24
// and at 60x16.
func TestRunnerStates(t *testing.T) {
	type step struct {
		name  string
		block bool
		drive func(t *testing.T, tm *teatest.TestModel, f *testFlow)
		want  Stage
	}
	steps := []step{
		{"input", false, func(t *testing.T, tm *teatest.TestModel, f *testFlow) { wait(t, tm, "the version to retire") }, StageInput},
		{"plan", false, func(t *testing.T, tm *teatest.TestModel, f *testFlow) {
			tm.Send(key("enter"))
			wait(t, tm, "enter: continue")
		}, StagePlan},
		{"blocked", true, func(t *testing.T, tm *teatest.TestModel, f *testFlow) {
			tm.Send(key("enter"))
			wait(t, tm, "blocked: 1 check failed")
			tm.Send(key("enter")) // refused: stays on the plan
		}, StagePlan},
		{"confirm-refused", false, func(t *testing.T, tm *teatest.TestModel, f *testFlow) {
			tm.Send(key("enter"))
			wait(t, tm, "enter: continue")
			tm.Send(key("enter"))
			wait(t, tm, "type v3 to confirm")
			tm.Type("v2")
			tm.Send(key("enter"))
			wait(t, tm, "you typed")
		}, StageConfirm},
		{"running", false, func(t *testing.T, tm *teatest.TestModel, f *testFlow) { toRunning(t, tm) }, StageRunning},
		{"result", false, func(t *testing.T, tm *teatest.TestModel, f *testFlow) {
			toRunning(t, tm)
			close(f.release)
			wait(t, tm, "audit rows")
		}, StageResult},
	}
	for _, size := range [][2]int{{80, 24}, {60, 16}} {
		for _, st := range steps {
			t.Run(fmt.Sprintf("%s/%dx%d", st.name, size[0], size[1]), func(t *testing.T) {
				f := &testFlow{block: st.block, release: make(chan struct{})}
				c := testCommon()
				r, cmd := New(c, f.spec(), nil)
				if cmd != nil {
					t.Fatal("a flow with fields must start at its fields")
				}
				tm := teatest.NewTestModel(t, &host{c: c, r: r}, teatest.WithInitialTermSize(size[0], size[1]))
				st.drive(t, tm, f)
				if err := tm.Quit(); err != nil {
					t.Fatal(err)
				}
				h := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*host)
				if h.r.Stage() != st.want {
					t.Fatalf("stage %d, want %d", h.r.Stage(), st.want)
				}
				view := h.r.View(size[0], size[1])
				checkFits(t, view, size[0], size[1])
				golden.RequireEqual(t, []byte(view))
				if st.name == "blocked" || st.name == "confirm-refused" {
					if f.ran != 0 {
						t.Fatalf("the run started %d times past a refusal", f.ran)
					}
				}
			})
		}
	}
}

// toRunning takes the test flow from its fields to its run, confirming by
// typing the target.
func toRunning(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	tm.Send(key("enter"))
	wait(t, tm, "enter: continue")
	tm.Send(key("enter"))
	wait(t, tm, "type v3")
	tm.Type("v3")
	tm.Send(key("enter"))
	wait(t, tm, "40%")
}

func checkFits(t *testing.T, view string, w, h int) {
	t.Helper()
	ls := strings.Split(view, "\n")
	if len(ls) > h {
		t.Errorf("%d lines in a %d-line window", len(ls), h)
	}
	for i, l := range ls {
		if ansi.StringWidth(l) > w {
			t.Errorf("line %d is %d cells wide in %d: %q", i, ansi.StringWidth(l), w, l)
		}
	}
}

// step feeds one message through the host synchronously, running the
// commands it returns (and theirs) until none is left or a job is waiting.
func step(h *host, msg tea.Msg) {
	queue := []tea.Msg{msg}
	for len(queue) > 0 {
		m := queue[0]
		queue = queue[1:]
		_, cmd := h.Update(m)
		queue = append(queue, run(cmd)...)
	}
}

func run(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(c)...)
		}
		return out
	}
	if msg == nil {
		return nil
	}
	return []tea.Msg{msg}
}

func TestEscOnATypedFormAsks(t *testing.T) {
	f := &testFlow{release: make(chan struct{})}
	c := testCommon()
	r, _ := New(c, f.spec(), nil)
	h := &host{c: c, r: r}
	step(h, key("backspace"))
	step(h, key("esc"))
	if r.Closed() || !strings.Contains(r.View(80, 24), "discard what you typed? y/N") {
		t.Fatalf("esc on an edited form closed it without asking:\n%s", r.View(80, 24))
	}
	step(h, key("n"))
	if r.Closed() || r.Stage() != StageInput {
		t.Fatal("n must keep the form")
	}
	step(h, key("esc"))
	step(h, key("y"))
	if !r.Closed() {
		t.Fatal("y must discard the form")
	}
	// An untouched form closes on esc without a question.
	r2, _ := New(c, f.spec(), nil)
	h2 := &host{c: c, r: r2}
	step(h2, key("esc"))
	if !r2.Closed() {
		t.Fatal("esc on an untouched form must close it")
	}
}

func TestPlainConfirmIsNo(t *testing.T) {
	ran := 0
	spec := Spec{Name: "t", Title: "Approve",
		Plan: func(context.Context, Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "approve WCR-1", Target: "WCR-1"}, nil, nil
		},
		Run: func(context.Context, Values, func(jobs.Progress)) (model.Outcome, error) {
			ran++
			return model.Outcome{Summary: "approved"}, nil
		}}
	c := testCommon()
	r, cmd := New(c, spec, nil)
	h := &host{c: c, r: r}
	for _, m := range run(cmd) {
		step(h, m)
	}
	if r.Stage() != StagePlan {
		t.Fatalf("a flow without fields starts at its plan, stage %d", r.Stage())
	}
	step(h, key("enter")) // to confirm
	step(h, key("enter")) // enter is the default: no
	if ran != 0 || r.Stage() != StagePlan {
		t.Fatalf("enter at y/N ran the change (ran %d, stage %d)", ran, r.Stage())
	}
	step(h, key("enter"))
	step(h, key("y"))
	if ran != 1 || r.Stage() != StageResult {
		t.Fatalf("y did not run it: ran %d, stage %d", ran, r.Stage())
	}
}

func TestPlanErrorAndRunErrorAreShownAndRetried(t *testing.T) {
	fail := true
	spec := Spec{Name: "t", Title: "Flaky", OneTransaction: true,
		Plan: func(context.Context, Values) (model.Plan, []model.Check, error) {
			if fail {
				return model.Plan{}, nil, errors.New("the database does not answer")
			}
			return model.Plan{Title: "flaky"}, nil, nil
		},
		Run: func(context.Context, Values, func(jobs.Progress)) (model.Outcome, error) {
			return model.Outcome{}, errors.New("lock held too long")
		}}
	c := testCommon()
	r, cmd := New(c, spec, nil)
	h := &host{c: c, r: r}
	for _, m := range run(cmd) {
		step(h, m)
	}
	v := r.View(80, 24)
	if !strings.Contains(v, "could not check: the database does not answer") {
		t.Fatalf("plan error not shown:\n%s", v)
	}
	step(h, key("enter"))
	if r.Stage() != StagePlan {
		t.Fatal("enter went past a plan that could not be made")
	}
	fail = false
	step(h, key("r"))
	step(h, key("enter"))
	step(h, key("y"))
	if r.Stage() != StageFailed || !strings.Contains(r.View(80, 24), "nothing was changed") {
		t.Fatalf("run failure: stage %d\n%s", r.Stage(), r.View(80, 24))
	}
}

// TestSmallWindowShowsWhatBlocks: with more checks than a 60x16 window
// holds, the failing one (given last) is drawn first, the body scrolls with
// the arrows, and r and e belong to the runner at its checks.
func TestSmallWindowShowsWhatBlocks(t *testing.T) {
	plans := 0
	spec := Spec{Name: "t", Title: "Many checks",
		Fields: []Field{{Key: "x", Label: "x", Default: "1"}},
		Plan: func(context.Context, Values) (model.Plan, []model.Check, error) {
			plans++
			var cs []model.Check
			for i := range 12 {
				cs = append(cs, model.Check{Name: fmt.Sprintf("check %d", i), State: model.CheckPass, Evidence: "fine"})
			}
			cs = append(cs, model.Check{Name: "the last check", State: model.CheckFail, Evidence: "broken", Fix: "mend it"})
			return model.Plan{Title: "many", Steps: []string{"a step whose text is long enough to wrap onto a second line in a narrow window"}}, cs, nil
		},
		Run: func(context.Context, Values, func(jobs.Progress)) (model.Outcome, error) { return model.Outcome{}, nil }}
	c := testCommon()
	r, _ := New(c, spec, nil)
	h := &host{c: c, r: r}
	step(h, key("ctrl+s"))
	v := r.View(60, 16)
	checkFits(t, v, 60, 16)
	if !strings.Contains(v, "FAIL the last check") || !strings.Contains(v, "blocked: 1 check failed") {
		t.Fatalf("the failing check is not on a 60x16 screen:\n%s", v)
	}
	if strings.Count(v, "•") != 1 {
		t.Errorf("a wrapped step has more than one bullet:\n%s", v)
	}
	if !strings.Contains(v, "more below") {
		t.Fatalf("no scroll note:\n%s", v)
	}
	for range 30 {
		step(h, key("j"))
	}
	if v2 := r.View(60, 16); !strings.Contains(v2, "check 11") || !strings.Contains(v2, "above") {
		t.Fatalf("scrolling down does not reach the last check:\n%s", v2)
	}
	for _, k := range []string{"r", "e", "j", "enter"} {
		if !r.Claims(key(k)) && !(k == "e" && r.Stage() == StageInput) {
			t.Errorf("the runner does not claim %q at its checks", k)
		}
	}
	step(h, key("r"))
	if plans != 2 {
		t.Fatalf("r did not check again (%d plans)", plans)
	}
	step(h, key("e"))
	if r.Stage() != StageInput {
		t.Fatalf("e did not go back to the fields (stage %d)", r.Stage())
	}
}
