package flow

import (
	"context"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/jobs"
)

// drive delivers msg to r the way the App does (Load.Done, Jobs.Update).
func drive(c *common.Common, r *Runner, msg tea.Msg) tea.Cmd {
	if lr, ok := msg.(common.LoadResult); ok {
		c.Load.Done(lr.LoadKey())
	}
	var cmds []tea.Cmd
	switch msg.(type) {
	case jobs.ProgressMsg, jobs.DoneMsg:
		cmds = append(cmds, c.Jobs.Update(msg))
	}
	cmds = append(cmds, r.Update(msg))
	return tea.Batch(cmds...)
}

func press(c *common.Common, r *Runner, s string) tea.Cmd {
	if s == "esc" && !r.Capturing() { // the Flows page's esc
		r.Back()
		return nil
	}
	return drive(c, r, key(s))
}

// runAll runs cmd and feeds every message back until quiet.
func runAll(c *common.Common, r *Runner, cmd tea.Cmd) {
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		cmd, queue = queue[0], queue[1:]
		if cmd == nil {
			continue
		}
		msg := cmd()
		if b, ok := msg.(tea.BatchMsg); ok {
			queue = append(queue, b...)
			continue
		}
		if msg == nil {
			continue
		}
		queue = append(queue, drive(c, r, msg))
	}
}

// The plan shown (and confirmed) is for v3; the run gets v4.
func TestStalePlanIsNotConfirmed(t *testing.T) {
	c := testCommon()
	var ranWith string
	spec := Spec{Name: "x", Title: "X",
		Fields: []Field{{Key: "wallet", Label: "wallet", Default: "v3", Required: true}},
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "Allocate in " + in["wallet"]}, []model.Check{{Name: "ok", State: model.CheckPass}}, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			ranWith = in["wallet"]
			return model.Outcome{Summary: "done"}, nil
		},
	}
	r, _ := New(c, spec, nil)
	slow := press(c, r, "ctrl+s") // plan for v3, the database is slow: not run yet
	press(c, r, "esc")            // back to the form while it is checking
	press(c, r, "backspace")
	press(c, r, "4")
	second := press(c, r, "ctrl+s") // plan for v4
	if second == nil {
		t.Fatal("a second plan was dropped while the first was in flight")
	}
	runAll(c, r, slow) // the v3 plan answers late: it must not be shown
	if r.Stage() != StagePlanning {
		t.Fatalf("the late answer for v3 was taken (stage %v, plan %q)", r.Stage(), r.plan.Title)
	}
	runAll(c, r, second)
	press(c, r, "enter")
	runAll(c, r, press(c, r, "y"))
	// The late v3 answer is not shown: the v4 attempt is what counts, and
	// the run gets exactly what the confirmed plan was made from.
	if r.plan.Title != "Allocate in v4" || ranWith != "v4" {
		t.Errorf("confirmed %q, the run got wallet=%s", r.plan.Title, ranWith)
	}
}

// A read-only runner: r re-plans, which clears the refusal, and y runs.
func TestReadOnlyRefusalHolds(t *testing.T) {
	c := testCommon()
	c.ReadOnly = true
	ran := false
	spec := Spec{Name: "x", Title: "X",
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "do it"}, nil, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			ran = true
			return model.Outcome{Summary: "done"}, nil
		},
	}
	r, _ := New(c, spec, nil)
	if r.planErr == "" {
		t.Fatal("expected the read-only refusal")
	}
	runAll(c, r, press(c, r, "r"))
	press(c, r, "enter")
	runAll(c, r, press(c, r, "y"))
	if ran {
		t.Errorf("a read-only runner ran after r, enter, y (stage %v)", r.Stage())
	}
}

// A destructive plan with no Target confirms on a bare enter.
func TestDestructiveNeedsATarget(t *testing.T) {
	c := testCommon()
	ran := false
	spec := Spec{Name: "x", Title: "X",
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "destroy", Destructive: true}, nil, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			ran = true
			return model.Outcome{}, nil
		},
	}
	r, cmd := New(c, spec, nil)
	runAll(c, r, cmd)
	press(c, r, "enter")
	runAll(c, r, press(c, r, "enter"))
	if ran {
		t.Errorf("a destructive run with no target was confirmed by enter alone")
	}
}

// A summary of two lines shows as two lines, not with a literal \x0a.
func TestSummaryLinesStayLines(t *testing.T) {
	c := testCommon()
	spec := Spec{Name: "x", Title: "X",
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "p"}, nil, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			return model.Outcome{Summary: "wrote r.json: request WCR-1\ncarry it to the ceremony machine"}, nil
		},
	}
	r, cmd := New(c, spec, nil)
	runAll(c, r, cmd)
	press(c, r, "enter")
	runAll(c, r, press(c, r, "y"))
	v := r.View(80, 24)
	if strings.Contains(v, `\x0a`) || !strings.Contains(v, "carry it to the ceremony machine") {
		t.Errorf("the two-line summary:\n%s", v)
	}
}

// A check whose state is neither pass nor warn blocks, and shows as FAIL.
func TestUnknownCheckStateBlocks(t *testing.T) {
	c := testCommon()
	ran := false
	spec := Spec{Name: "x", Title: "X",
		Plan: func(ctx context.Context, in Values) (model.Plan, []model.Check, error) {
			return model.Plan{Title: "p"}, []model.Check{{Name: "forgot its state"}}, nil
		},
		Run: func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error) {
			ran = true
			return model.Outcome{}, nil
		},
	}
	r, cmd := New(c, spec, nil)
	runAll(c, r, cmd)
	if v := r.View(80, 24); !strings.Contains(v, "FAIL forgot its state") || !strings.Contains(v, "blocked") {
		t.Fatalf("a check without a state:\n%s", v)
	}
	press(c, r, "enter")
	runAll(c, r, press(c, r, "y"))
	if ran {
		t.Fatal("a check without a state let the change run")
	}
}

// Moving between fields is not typing: esc on an untouched form does not ask.
func TestMovingIsNotTyping(t *testing.T) {
	c := testCommon()
	f := &testFlow{release: make(chan struct{})}
	r, _ := New(c, f.spec(), nil)
	for _, k := range []string{"tab", "shift+tab", "down"} {
		press(c, r, k)
	}
	if r.Dirty() {
		t.Fatal("moving between fields marked the form as typed in")
	}
	press(c, r, "x")
	if !r.Dirty() {
		t.Fatal("typing did not mark the form")
	}
}
