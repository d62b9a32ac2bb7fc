package ui

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// slowAllocator plans at once and allocates only when released, reporting
// nothing in between: a long job.
type slowAllocator struct{ release chan struct{} }

func (s *slowAllocator) PlanAllocation(ctx context.Context, req model.AllocationRequest) (model.Plan, []model.Check, error) {
	return model.Plan{Title: "Allocate " + req.Path + " in " + model.VersionName(req.Wallet)},
		[]model.Check{{Name: "wallet takes production", State: model.CheckPass, Evidence: "active"}}, nil
}

func (s *slowAllocator) Allocate(ctx context.Context, req model.AllocationRequest) (model.Allocation, model.Outcome, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return model.Allocation{}, model.Outcome{}, ctx.Err()
	}
	return model.Allocation{}, model.Outcome{Summary: "allocated " + req.Path + " in " + model.VersionName(req.Wallet),
		AuditSeqs: []int64{77}}, nil
}

// TestJobOutlivesItsScreen: an allocation started on the Flows screen keeps
// running, and the header keeps showing it, while the operator visits three
// other screens; q during it asks, n keeps the console; the job's end is
// announced wherever the operator is.
func TestJobOutlivesItsScreen(t *testing.T) {
	alloc := &slowAllocator{release: make(chan struct{})}
	app := NewApp(Options{Source: uitest.SampleSource(), Profile: colorprofile.NoTTY, Refresh: time.Hour,
		Location: time.UTC, Allocator: alloc})
	pr := &probe{App: app, views: make(chan string, 1)}
	tm := teatest.NewTestModel(t, pr, teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "compromised")
	tm.Send(keyMsg(":"))
	tm.Type("allocate v2")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "[input]")
	tm.Send(keyMsg("tab"))
	tm.Type("2.9.9.9")
	tm.Send(keyMsg("ctrl+s"))
	waitFor(t, tm, "continue")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "go ahead")
	tm.Send(keyMsg("y"))
	waitFor(t, tm, "as job 1")
	for _, screen := range []string{"1", "2", "3"} {
		tm.Send(keyMsg(screen))
		v := pr.view(t, tm)
		if !strings.Contains(v, "job 1 Allocate 2.9.9.9 in v2") {
			t.Fatalf("screen %s: the header does not show the running job:\n%s", screen, v)
		}
	}
	tm.Send(keyMsg("q"))
	waitFor(t, tm, "quit anyway")
	tm.Send(keyMsg("n"))
	waitFor(t, tm, "not quitting")
	close(alloc.release)
	waitFor(t, tm, "done: allocated")
	tm.Send(keyMsg("q")) // the flow shows its result: nothing is lost, q quits
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*probe).App
	if j := fm.c.Jobs.Get(1); j == nil || j.State.String() != "done" {
		t.Fatalf("job after quit: %+v", j)
	}
}

// TestQuitAsksOverOpenFlow: q with a flow open asks; with nothing open it quits.
func TestQuitAsksOverOpenFlow(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) {
		o.Allocator = &slowAllocator{release: make(chan struct{})}
	}).start(t, 100, 30)
	ta.press(t, "5", "down", "down", "enter", "esc") // the allocation flow, then leave its fields
	ta.press(t, "5")
	ta.press(t, ":")
	ta.typeText(t, "allocate v1")
	ta.press(t, "enter", "tab")
	ta.typeText(t, "2.3")
	ta.press(t, "ctrl+s") // at its checks: keys are the shell's again
	ta.press(t, "q")
	if ta.quitting(t) || !strings.Contains(ta.screen(), "a flow is open") {
		t.Fatalf("q with a flow open did not ask:\n%s", ta.screen())
	}
	ta.press(t, "y")
	if !ta.quitting(t) {
		t.Fatal("y did not quit")
	}
}

// TestColonTargets: every screen and flow of the registry is reachable from
// ":" and listed in the full help; :v2, :wallet v2 and :audit --wallet v1 go
// where they say.
func TestColonTargets(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Migrations = nil }).start(t, 120, 40)
	ta.press(t, "?")
	help := ta.screen()
	for _, k := range []registry.Kind{registry.Screen, registry.Flow} {
		for _, e := range registry.Of(k) {
			if e.Built && !strings.Contains(help, ":"+e.Name) {
				t.Errorf("help does not list :%s", e.Name)
			}
		}
	}
	ta.press(t, "?")

	colon := func(line string) {
		t.Helper()
		ta.press(t, "esc", "esc")
		ta.press(t, ":")
		ta.typeText(t, line)
		ta.press(t, "enter")
	}
	for _, e := range registry.Of(registry.Screen) {
		if e.Key == "" {
			continue
		}
		colon(e.Name)
		if ta.Screen() != e.Name {
			t.Errorf(":%s went to %s", e.Name, ta.Screen())
		}
	}
	// This console has no request, ceremony or allocation side: every flow
	// answers ":" where the operator is, saying why it cannot open.
	for _, e := range registry.Of(registry.Flow) {
		colon("inventory")
		line := e.Name
		if len(e.Args) > 0 {
			line += " v2"
		}
		colon(line)
		out := ta.screen()
		if ta.Screen() != "inventory" || !strings.Contains(out, e.Title+": ") {
			t.Errorf(":%s: screen %s, and no reason:\n%s", e.Name, ta.Screen(), out)
		}
		if !e.Built && !strings.Contains(out, "not built yet") {
			t.Errorf(":%s (not built) does not say so:\n%s", e.Name, out)
		}
	}
	colon("v9")
	if !strings.Contains(ta.screen(), "no wallet v9") || ta.inv.IsOpen() {
		t.Errorf(":v9 opened a detail of a wallet that does not exist:\n%s", ta.screen())
	}
	colon("audit --wallet v99")
	if !strings.Contains(ta.screen(), "no wallet v99") {
		t.Errorf(":audit --wallet v99 accepted:\n%s", ta.screen())
	}
	for _, line := range []string{"v2", "wallet v2", "show v2"} {
		colon(line)
		if ta.Screen() != "inventory" || !ta.inv.IsOpen() || !strings.Contains(ta.screen(), "v2") {
			t.Errorf(":%s did not open v2's detail:\n%s", line, ta.screen())
		}
	}
	colon("audit --wallet v1")
	if ta.Screen() != "audit" {
		t.Fatalf(":audit --wallet v1 went to %s", ta.Screen())
	}
	for _, l := range strings.Split(ta.screen(), "\n") {
		for _, other := range []string{" v2 ", " v3 ", " v4 "} {
			if strings.Contains(l, other) && strings.Contains(l, "20") {
				t.Errorf(":audit --wallet v1 shows a row of another wallet: %q", l)
			}
		}
	}
	colon("requests v2")
	if !strings.Contains(ta.screen(), "is more than it takes") {
		t.Errorf(":requests v2 accepted an argument it does not take:\n%s", ta.screen())
	}
	colon("allocate v99")
	if !strings.Contains(ta.screen(), "no wallet v99") {
		t.Errorf(":allocate v99 accepted:\n%s", ta.screen())
	}
	colon("audit v1")
	if !strings.Contains(ta.screen(), "expected an option") {
		t.Errorf(":audit v1:\n%s", ta.screen())
	}
	colon("audit --wallet")
	if !strings.Contains(ta.screen(), "--wallet needs a value") {
		t.Errorf("no message for a missing value:\n%s", ta.screen())
	}
	colon("wallet v99999999999")
	if !strings.Contains(ta.screen(), "too large") {
		t.Errorf("no message for a huge version:\n%s", ta.screen())
	}
}

// TestEscGoesBack: a detail opened from the Health screen returns there on
// esc (a stack), not to the inventory.
func TestEscGoesBack(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 120, 40)
	ta.press(t, "2", "enter")
	if ta.Screen() != "inventory" || !ta.inv.IsOpen() {
		t.Fatalf("enter on Health did not open the detail (screen %s)", ta.Screen())
	}
	ta.press(t, "esc")
	if ta.Screen() != "health" {
		t.Fatalf("esc from a detail opened on Health went to %s", ta.Screen())
	}
	ta.press(t, "3", ":")
	ta.typeText(t, "v1")
	ta.press(t, "enter", "esc")
	if ta.Screen() != "audit" {
		t.Fatalf("esc after :v1 from Audit went to %s", ta.Screen())
	}
}

// TestLoadingEnds is the bug of `Enter a 2 Enter` on a fresh console: the
// loading indicator stayed on forever and "updated" never came back.
func TestLoadingEnds(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "enter", "a", "2", "enter")
	if ta.c.Load.Busy() {
		t.Fatalf("%d loads still in flight", ta.c.Load.InFlight())
	}
	if out := ta.screen(); strings.Contains(out, "loading") || !strings.Contains(out, "updated") {
		t.Fatalf("the header still says loading:\n%s", out)
	}
}

// TestSlashThenQDoesNotQuit is the bug of "/quick" on a screen with nothing
// to filter: it ended the session.
func TestSlashThenQDoesNotQuit(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "4", "/")
	ta.typeText(t, "quick")
	if ta.quitting(t) {
		t.Fatal("typing /quick quit the console")
	}
	ta.press(t, "esc")
	if ta.quitting(t) {
		t.Fatal("esc quit the console")
	}
}

// TestReadOnlySaysWhy: in read-only mode a state-changing key does nothing
// and says why; the allocation flow refuses to plan.
func TestReadOnlySaysWhy(t *testing.T) {
	alloc := &slowAllocator{release: make(chan struct{})}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) {
		o.ReadOnly, o.Allocator = true, alloc
	}).start(t, 100, 30)
	ta.press(t, "a")
	if out := ta.screen(); !strings.Contains(out, "read-only: a (allocate) changes state; run without --read-only") {
		t.Fatalf("a in read-only mode says nothing:\n%s", out)
	}
	ta.press(t, ":")
	ta.typeText(t, "allocate v2")
	ta.press(t, "enter")
	if out := ta.screen(); !strings.Contains(out, "read-only console") || strings.Contains(out, "[input]") {
		t.Fatalf(":allocate in read-only mode:\n%s", out)
	}
}

// probe runs the App and, on request, hands its current screen to the
// test from inside the program's own loop (no race with the renderer).
type probe struct {
	*App
	views chan string
}

type probeMsg struct{}

func (p *probe) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(probeMsg); ok {
		p.views <- p.App.View().Content
		return p, nil
	}
	_, cmd := p.App.Update(msg)
	return p, cmd
}

func (p *probe) view(t *testing.T, tm *teatest.TestModel) string {
	t.Helper()
	tm.Send(probeMsg{})
	select {
	case v := <-p.views:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("the program did not answer")
		return ""
	}
}
