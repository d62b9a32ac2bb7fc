package ui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/golden"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

func withFlows(req RequestSource, cer *uitest.Ceremony) func(*Options) {
	return func(o *Options) {
		o.Requests = req
		if cer != nil {
			o.StartCeremony = func(context.Context) (Ceremony, error) { return cer, nil }
		}
	}
}

// arrow presses ← or →.
func arrow(t *testing.T, ta *testApp, dir string) {
	t.Helper()
	k := tea.KeyPressMsg{Code: tea.KeyRight}
	if dir == "left" {
		k.Code = tea.KeyLeft
	}
	_, cmd := ta.Update(k)
	ta.run(t, cmd)
}

func mustShow(t *testing.T, ta *testApp, want ...string) {
	t.Helper()
	out := ta.screen()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Fatalf("screen lacks %q:\n%s", w, out)
		}
	}
}

func mustNotShow(t *testing.T, ta *testApp, bad ...string) {
	t.Helper()
	out := ta.screen()
	for _, b := range bad {
		if strings.Contains(out, b) {
			t.Fatalf("screen shows %q:\n%s", b, out)
		}
	}
}

// TestRequestFlow files a request as alice, is blocked when alice approves
// her own request, and approves it as bob, carol and dave: every change goes
// through the runner (fields → checks → y/N → result), the screen says what
// it still waits for at each step, and export writes it once only.
func TestRequestFlow(t *testing.T) {
	req := uitest.NewRequests("alice")
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil)).start(t, 100, 30)
	ta.press(t, "5", "enter")
	mustShow(t, ta, "Creation requests — you are alice", "no creation requests yet")

	ta.press(t, "n")
	mustShow(t, ta, "File a wallet creation request as alice", "[input]")
	arrow(t, ta, "right") // testing → development
	ta.press(t, "tab")
	ta.typeText(t, "capacity q") // q types inside a field, it does not quit
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "justification is required")
	ta.typeText(t, "v1 is 70% full")
	ta.press(t, "tab")
	arrow(t, ta, "right") // risk medium → high
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "[checks]", "waits for approvals from: security, operations, executive", "PASS")
	ta.press(t, "enter")
	mustShow(t, ta, "go ahead? y/N")
	if len(req.Reqs) != 0 {
		t.Fatal("filed before the confirmation")
	}
	ta.press(t, "y")
	mustShow(t, ta, "filed WCR-2026-03-14-001", "audit rows: #101")
	ta.press(t, "enter")
	mustShow(t, ta, "waiting for", "security, operations, executive", "capacity q")
	if ta.quitting(t) {
		t.Fatal("q in a field quit the console")
	}

	// Her own request: the check blocks before anything is sent.
	ta.press(t, "a", "ctrl+s")
	mustShow(t, ta, "FAIL", "not your own request", "blocked")
	ta.press(t, "enter")
	mustNotShow(t, ta, "go ahead?")
	ta.press(t, "esc", "esc")

	approve := func(login string, keys ...string) {
		t.Helper()
		req.LoginName = login
		ta.press(t, "a")
		ta.press(t, keys...)
		ta.press(t, "ctrl+s", "enter", "y")
	}
	approve("bob")
	mustShow(t, ta, "recorded: approved")
	ta.press(t, "enter")
	mustShow(t, ta, "waiting for", "operations, executive")
	approve("carol", "right") // pick executive
	ta.press(t, "enter")
	req.LoginName = "dave"
	ta.press(t, "a", "tab")
	ta.typeText(t, "ok")
	ta.press(t, "ctrl+s", "enter", "y")
	mustShow(t, ta, "now approved (WAP-20260314093000)")
	ta.press(t, "enter")
	mustShow(t, ta, "valid until")

	ta.press(t, "w")
	mustShow(t, ta, "Export WCR-2026-03-14-001", "WCR-2026-03-14-001.request.json")
	ta.press(t, "ctrl+s", "enter", "y")
	mustShow(t, ta, "wrote WCR-2026-03-14-001.request.json")
	ta.press(t, "enter", "w", "ctrl+s", "enter", "y")
	mustShow(t, ta, "already exists and is never overwritten", "[result]")
	ta.press(t, "esc", "esc", "esc")
	mustShow(t, ta, "WCR-2026-03-14-001", "approved")

	ta.press(t, "enter", "x", "tab")
	ta.typeText(t, "late")
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "request is pending — it is approved", "blocked")
}

// TestRequestFlowRejectNeedsReason: a rejection without a reason is not sent.
func TestRequestFlowRejectNeedsReason(t *testing.T) {
	req := uitest.NewRequests("alice")
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil)).start(t, 100, 30)
	ta.press(t, "5", "enter", "n", "tab")
	ta.typeText(t, "p")
	ta.press(t, "tab", "tab", "tab")
	ta.typeText(t, "r")
	ta.press(t, "ctrl+s", "enter", "y", "enter")
	req.LoginName = "bob"
	ta.press(t, "x", "ctrl+s")
	mustShow(t, ta, "reason is required")
	ta.typeText(t, "no budget")
	ta.press(t, "ctrl+s", "enter", "y")
	mustShow(t, ta, "recorded: rejected", "the request is now rejected")
}

// TestApproveAlwaysAsks is the bug a new user hit: from the inventory, a
// then a again recorded an approval with no confirmation and no reason
// (5 Enter Enter 1 a a Enter Enter). Every state change asks first.
func TestApproveAlwaysAsks(t *testing.T) {
	req := uitest.NewRequests("bob")
	req.Reqs = []model.CreationRequest{{ID: "WCR-2026-03-14-001", Status: "pending", RequestedBy: "alice",
		RequiredApprovals: []string{"security", "operations"}}}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil)).start(t, 100, 30)
	ta.press(t, "5", "enter", "enter", "1", "a", "a", "enter", "enter")
	for _, r := range req.Reqs {
		if len(r.Approvals) != 0 {
			t.Fatalf("an approval was recorded without a confirmation: %+v", r.Approvals)
		}
	}
	ta = newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil)).start(t, 100, 30)
	ta.press(t, "5", "enter", "enter", "a", "ctrl+s", "enter")
	mustShow(t, ta, "go ahead? y/N")
	ta.press(t, "n")
	if len(req.Reqs[0].Approvals) != 0 {
		t.Fatal("n recorded the approval")
	}
}

// TestFlowsReadOnly: a read-only console offers no action that changes
// anything: no new request, approve, reject or export keys, and no ceremony.
func TestFlowsReadOnly(t *testing.T) {
	req := uitest.NewRequests("viewer")
	req.Reqs = []model.CreationRequest{{ID: "WCR-2026-03-14-001", Status: "pending", RequiredApprovals: []string{"security", "operations"}}}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, &uitest.Ceremony{}), func(o *Options) { o.ReadOnly = true }).start(t, 100, 30)
	ta.press(t, "5")
	mustShow(t, ta, "Witnessed key ceremony", "read-only console")
	ta.press(t, "enter")
	mustNotShow(t, ta, "new request")
	ta.press(t, "n")
	mustNotShow(t, ta, "New wallet creation request")
	ta.press(t, "enter")
	mustShow(t, ta, "Request WCR-2026-03-14-001")
	mustNotShow(t, ta, "approve", "reject", "export")
	ta.press(t, "a", "x", "w")
	mustNotShow(t, ta, "Approve WCR", "Reject WCR", "Export WCR")
	ta.press(t, "esc", "esc", "down", "enter")
	mustShow(t, ta, "Witnessed key ceremony: read-only console")
}

// walkCeremony drives the fake ceremony through every step.
func walkCeremony(t *testing.T, ta *testApp, until string) {
	t.Helper()
	steps := []struct {
		name string
		do   func()
	}{
		{"request", func() { ta.typeText(t, "/media/usb/r.json"); ta.press(t, "enter") }},
		{"offline", func() { ta.press(t, "enter") }},
		{"hsm", func() { ta.typeText(t, "87654321"); ta.press(t, "enter") }},
		{"witnesses", func() {
			for _, s := range []string{"/media/usb/w1.sig", "/media/usb/w2.sig", "/media/usb/w3.sig"} {
				ta.typeText(t, s)
				ta.press(t, "enter")
			}
		}},
		{"entropy", func() { ta.typeText(t, "3141592653589793238462"); ta.press(t, "enter") }},
		{"key", func() { ta.press(t, "enter") }},
		{"backup", func() { ta.press(t, "enter", "enter") }},
		{"close", func() {
			for _, s := range []string{"/media/usb/f1.sig", "/media/usb/f2.sig", "/media/usb/f3.sig"} {
				ta.typeText(t, s)
				ta.press(t, "enter")
			}
		}},
	}
	for _, st := range steps {
		if st.name == until {
			return
		}
		st.do()
	}
}

// TestCeremonyFlow walks every step: each is described before it runs, the
// PIN and the entropy never reach the screen, a refused witness does not
// count, and the end says where the transcript is.
func TestCeremonyFlow(t *testing.T) {
	cer := &uitest.Ceremony{}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(nil, cer), func(o *Options) { o.Flow = "ceremony" }).start(t, 80, 24)
	mustShow(t, ta, "WKC-20260314-093000-abc123", "step 1 of 8", "this step does request.")

	ta.typeText(t, "q/media/usb/expired.json") // q types: the ceremony owns the keys
	ta.press(t, "enter")
	mustShow(t, ta, "expired at 2026-03-08", "step 1 of 8")
	if ta.quitting(t) {
		t.Fatal("q quit during the ceremony")
	}
	ta.press(t, "ctrl+u")
	walkCeremony(t, ta, "hsm")
	mustShow(t, ta, "step 3 of 8", "PIN")
	ta.typeText(t, "87654321")
	mustShow(t, ta, "(8 typed)")
	mustNotShow(t, ta, "87654321")
	ta.press(t, "enter")
	mustShow(t, ta, "step 4 of 8", "wallet-ceremony challenge", "/media/usb/challenge.txt")

	ta.typeText(t, "/media/usb/bad.sig")
	ta.press(t, "enter")
	mustShow(t, ta, "not on the roster")
	ta.press(t, "ctrl+u")
	for i, s := range []string{"/media/usb/w1.sig", "/media/usb/w2.sig"} {
		ta.typeText(t, s)
		ta.press(t, "enter")
		mustShow(t, ta, fmt.Sprintf("signatures: %d of 3", i+1))
	}
	ta.typeText(t, "/media/usb/w3.sig")
	ta.press(t, "enter")
	mustShow(t, ta, "step 5 of 8")
	ta.typeText(t, "3141592653589793238462")
	mustNotShow(t, ta, "3141592653589793238462")
	ta.press(t, "enter", "enter")
	mustShow(t, ta, "step 7 of 8", "fingerprint ab12")
	ta.press(t, "enter", "enter")
	mustShow(t, ta, "step 8 of 8", "final: 00ff")
	for _, s := range []string{"/media/usb/f1.sig", "/media/usb/f2.sig", "/media/usb/f3.sig"} {
		ta.typeText(t, s)
		ta.press(t, "enter")
	}
	mustShow(t, ta, "ceremony complete", "transcript written to /media/usb/WKC-20260314-093000-", "abc123.json")
	for _, s := range cer.Secrets {
		if strings.Contains(strings.Join(cer.Calls, "\n"), s) {
			t.Errorf("a secret reached a call log: %q", s)
		}
	}
	if len(cer.Secrets) != 2 || cer.Secrets[0] != "87654321" {
		t.Errorf("secrets passed %q", cer.Secrets)
	}
	ta.press(t, "esc")
	mustShow(t, ta, "Guided flows")
}

// TestCeremonyAbort: ctrl+x asks for a typed confirmation, then aborts at
// the current step; esc at the question goes on with the ceremony.
func TestCeremonyAbort(t *testing.T) {
	cer := &uitest.Ceremony{}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(nil, cer), func(o *Options) { o.Flow = "ceremony" }).start(t, 80, 24)
	walkCeremony(t, ta, "backup")
	ta.press(t, "ctrl+x")
	mustShow(t, ta, "Abort the ceremony at step backup?")
	ta.press(t, "esc")
	mustShow(t, ta, "step 7 of 8")
	ta.press(t, "ctrl+x")
	ta.typeText(t, "abrt")
	ta.press(t, "enter")
	mustShow(t, ta, "type abort to confirm")
	ta.press(t, "ctrl+u")
	ta.typeText(t, "abort")
	ta.press(t, "enter")
	mustShow(t, ta, "ABORTED", "aborted at backup", "destroyed; transcript /media/usb/x.json")
	if cer.Aborted != "backup: cancelled by the operator" {
		t.Errorf("aborted %q", cer.Aborted)
	}
}

// TestCeremonyCtrlC: ctrl+c during the ceremony aborts it before the console
// quits, and the operator is told on the terminal afterwards.
func TestCeremonyCtrlC(t *testing.T) {
	cer := &uitest.Ceremony{}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(nil, cer), func(o *Options) { o.Flow = "ceremony" }).start(t, 80, 24)
	walkCeremony(t, ta, "backup")
	ta.press(t, "ctrl+c")
	if !ta.quitting(t) {
		t.Fatal("ctrl+c did not quit")
	}
	if !strings.HasPrefix(cer.Aborted, "backup: ") || cer.KeyMade {
		t.Errorf("ctrl+c: aborted %q, key still made %v", cer.Aborted, cer.KeyMade)
	}
	if f := ta.Farewell(); !strings.Contains(f, "ABORTED at step backup") || !strings.Contains(f, "destroyed") {
		t.Errorf("farewell %q", f)
	}
}

// flowStates are the flow screens worth a golden file and a size sweep.
var flowStates = []struct {
	name string
	flow string
	keys []string
	text []string
}{
	{"flows_menu", "", []string{"5"}, nil},
	{"requests_new", "requests", []string{"n"}, nil},
	{"ceremony_start", "ceremony", nil, nil},
	{"ceremony_witnesses", "ceremony", nil, []string{"witnesses"}},
	{"ceremony_abort", "ceremony", []string{"ctrl+x"}, nil},
	{"migration_pick", "migration", []string{"v", "3", "enter", "v", "1", "ctrl+s"}, nil},
	{"migration_started", "migration", []string{"v", "3", "enter", "v", "1", "ctrl+s", "enter", "enter", "y"}, nil},
}

func flowApp(t *testing.T, w, h int, st struct {
	name string
	flow string
	keys []string
	text []string
}) *testApp {
	req := uitest.NewRequests("alice")
	cer := &uitest.Ceremony{}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, cer), func(o *Options) { o.Flow = st.flow }).start(t, w, h)
	if len(st.text) > 0 {
		walkCeremony(t, ta, st.text[0])
	}
	ta.press(t, st.keys...)
	return ta
}

func TestFlowGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, st := range flowStates {
			t.Run(fmt.Sprintf("%s_%dx%d", st.name, size[0], size[1]), func(t *testing.T) {
				golden.RequireEqual(t, []byte(flowApp(t, size[0], size[1], st).screen()))
			})
		}
	}
}

func TestFlowSizeSweep(t *testing.T) {
	for _, st := range flowStates {
		ta := flowApp(t, 120, 40, st)
		for w := 20; w <= 200; w += 9 {
			for _, h := range []int{5, 16, 24, 25, 40, 60} {
				ta.size(w, h)
				raw, _ := ta.render()
				checkFits(t, fmt.Sprintf("%s %dx%d (composed)", st.name, w, h), raw, w, h)
				checkFits(t, fmt.Sprintf("%s %dx%d", st.name, w, h), ta.screen(), w, h)
			}
		}
	}
}

// TestCeremonyProgram runs the ceremony flow as a real Bubble Tea program:
// the steps run as commands off the UI goroutine and their results arrive.
func TestCeremonyProgram(t *testing.T) {
	cer := &uitest.Ceremony{}
	o := Options{Source: uitest.SampleSource(), Profile: colorprofile.NoTTY, Refresh: -1, Location: time.UTC, Flow: "ceremony",
		StartCeremony: func(context.Context) (Ceremony, error) { return cer, nil }}
	tm := teatest.NewTestModel(t, NewApp(o), teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "step 1 of 8")
	tm.Type("/media/usb/r.json")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "rehearsal override")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "the token's user PIN")
	tm.Type("87654321")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "wallet-ceremony challenge")
	tm.Send(keyMsg("ctrl+c"))
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*App)
	if !strings.Contains(fm.Farewell(), "ABORTED at step witnesses") {
		t.Errorf("farewell %q", fm.Farewell())
	}
	if cer.Aborted == "" {
		t.Error("ctrl+c did not abort the ceremony")
	}
}

// TestCeremonyRehearsalMarkedEverywhere: a ceremony whose offline check read
// another root (--net-root) is a rehearsal, and every screen after that
// check says so — not a quiet "✓ offline".
func TestCeremonyRehearsalMarkedEverywhere(t *testing.T) {
	cer := &uitest.Ceremony{Rehearse: true}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(nil, cer), func(o *Options) { o.Flow = "ceremony" }).start(t, 80, 24)
	mustNotShow(t, ta, "REHEARSAL")
	for _, until := range []string{"hsm", "witnesses", "entropy", "key", "backup", "close"} {
		walkCeremonyStep(t, ta, until)
		mustShow(t, ta, "*** REHEARSAL ***")
	}
}

// walkCeremonyStep walks a fresh walk up to step until (walkCeremony from
// the start each time would redo the steps already done).
func walkCeremonyStep(t *testing.T, ta *testApp, until string) {
	t.Helper()
	for !strings.Contains(ta.screen(), "▶"+until) {
		before := ta.screen()
		switch {
		case strings.Contains(before, "▶request"):
			ta.typeText(t, "/media/usb/r.json")
			ta.press(t, "enter")
		case strings.Contains(before, "▶offline"), strings.Contains(before, "▶key"):
			ta.press(t, "enter")
		case strings.Contains(before, "▶hsm"):
			ta.typeText(t, "87654321")
			ta.press(t, "enter")
		case strings.Contains(before, "▶witnesses"):
			for _, s := range []string{"/media/usb/w1.sig", "/media/usb/w2.sig", "/media/usb/w3.sig"} {
				ta.typeText(t, s)
				ta.press(t, "enter")
			}
		case strings.Contains(before, "▶entropy"):
			ta.typeText(t, "3141592653589793238462")
			ta.press(t, "enter")
		case strings.Contains(before, "▶backup"):
			ta.press(t, "enter", "enter")
		default:
			t.Fatalf("lost in the ceremony:\n%s", before)
		}
		if ta.screen() == before {
			t.Fatalf("the ceremony did not move on:\n%s", before)
		}
	}
}
