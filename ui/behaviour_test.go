package ui

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/internal/uitest"
	"github.com/plings/walletconsole/ui/pages"
)

func TestScreenSwitching(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	steps := []struct {
		keys []string
		want string
	}{
		{[]string{"2"}, "health"},
		{[]string{"5"}, "flows"},
		{[]string{"tab"}, "inventory"},
		{[]string{"shift+tab"}, "flows"},
		{[]string{"shift+tab", "shift+tab"}, "audit"},
		{[]string{":", "m", "i", "enter"}, "migrations"},
		{[]string{":", "h", "tab", "enter"}, "health"},
		{[]string{":", "inventory", "enter"}, "inventory"},
		{[]string{":", "3", "enter"}, "audit"},
		{[]string{"1"}, "inventory"},
	}
	for _, st := range steps {
		for _, k := range st.keys {
			if len(k) > 1 && k != "enter" && k != "tab" && k != "shift+tab" {
				ta.typeText(t, k)
			} else {
				ta.press(t, k)
			}
		}
		if got := ta.Screen(); got != st.want {
			t.Fatalf("after %v the screen is %s, want %s", st.keys, got, st.want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, ":")
	ta.typeText(t, "flo")
	ta.press(t, "tab")
	if got := ta.line.String(); got != "flows" {
		t.Errorf("tab completed to %q, want flows", got)
	}
	ta.press(t, "esc")
	if ta.input != inputNone || ta.Screen() != "inventory" {
		t.Errorf("esc did not cancel the command line")
	}
	ta.press(t, ":")
	ta.typeText(t, "wallets")
	ta.press(t, "enter")
	if out := ta.screen(); !strings.Contains(out, `unknown screen or flow "wallets" — screens: inventory, health, audit, migrations, flows`) {
		t.Errorf("no unknown-screen message:\n%s", out)
	}
	if ta.Screen() != "inventory" {
		t.Errorf("an unknown screen moved the console to %s", ta.Screen())
	}
	ta.press(t, "down") // any key clears the message
	if strings.Contains(ta.screen(), "unknown screen") {
		t.Errorf("the message outlived the next key")
	}
	ta.press(t, ":", "q", "enter")
	if !ta.quitting(t) {
		t.Errorf(":q did not quit")
	}
}

// quitting reports whether the app asked to quit (its context is cancelled).
func (ta *testApp) quitting(t *testing.T) bool {
	select {
	case <-ta.c.Load.Context().Done():
		return true
	default:
		return false
	}
}

func TestFilter(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "/")
	ta.typeText(t, "q") // q types inside the filter, it does not quit
	if ta.quitting(t) {
		t.Fatal("q quit from inside the filter")
	}
	if got := ta.inv.Filter(); got != "q" {
		t.Errorf("filter is %q, want q", got)
	}
	ta.press(t, "backspace")
	ta.typeText(t, "TESTING") // live and case-insensitive: matches "testing"
	if n := len(ta.inv.Shown()); n != 1 || ta.inv.Shown()[0] != 3 {
		t.Errorf("filter TESTING shows %d rows, want v3 only", n)
	}
	ta.press(t, "enter") // keep the filter, close the line
	if ta.input != inputNone || ta.inv.Filter() != "TESTING" {
		t.Errorf("enter did not keep the filter")
	}
	if out := ta.screen(); !strings.Contains(out, "/TESTING (esc clears)") {
		t.Errorf("the kept filter is not shown:\n%s", out)
	}
	ta.press(t, "esc")
	if ta.inv.Filter() != "" || len(ta.inv.Shown()) != 5 {
		t.Errorf("esc did not clear the filter")
	}
	ta.press(t, "/")
	ta.typeText(t, "deprecated")
	ta.press(t, "esc")
	if ta.inv.Filter() != "" || len(ta.inv.Shown()) != 5 {
		t.Errorf("esc in the filter line did not clear it")
	}

	// The audit filter matches operation type, operator and wallet.
	ta.press(t, "3", "/")
	for _, c := range []struct {
		f    string
		want int
	}{{"status_change", 2}, {"alice", 2}, {"v2", 2}, {"console_ceremony", 1}, {"nothing", 0}} {
		ta.press(t, "ctrl+u")
		ta.line.Reset("/", "")
		ta.typeText(t, c.f)
		if n := ta.Common().Load.InFlight() + ta.pages[2].(*pages.Audit).Shown(); n != c.want {
			t.Errorf("audit filter %q shows %d rows, want %d", c.f, n, c.want)
		}
	}
	if out := ta.screen(); !strings.Contains(out, `no operation matches "nothing"`) {
		t.Errorf("no empty-filter note:\n%s", out)
	}
}

func TestSort(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 120, 40)
	order := func() []int {
		return ta.inv.Shown()
	}
	ta.press(t, "s") // status: lifecycle order
	if got := order(); !equal(got, []int{5, 3, 2, 1, 4}) {
		t.Errorf("by status: %v", got)
	}
	ta.press(t, "s", "S") // health, reversed: worst first
	if got := order(); !equal(got, []int{4, 1, 3, 5, 2}) {
		t.Errorf("by health, reversed: %v", got)
	}
	for range 5 {
		ta.press(t, "s") // env, security, mfrs, paths, identifiers
	}
	if got := order(); !equal(got, []int{2, 1, 4, 3, 5}) {
		t.Errorf("by identifiers, reversed: %v", got)
	}
	if out := ta.screen(); !strings.Contains(out, "sort identifiers v") {
		t.Errorf("status line does not name the sort:\n%s", out)
	}
	// The cursor stays on the same wallet across sorts.
	ta.press(t, "home", "down")
	v := ta.inv.Selected()
	ta.press(t, "S")
	if got := ta.inv.Selected(); got != v {
		t.Errorf("cursor moved from v%d to v%d on sort", v, got)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEnvironmentFilter(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 120, 40)
	want := []struct {
		env  string
		rows int
	}{{"production", 3}, {"testing", 1}, {"development", 1}, {"all", 5}}
	for _, w := range want {
		ta.press(t, "e")
		if got := ta.c.EnvName(); got != w.env {
			t.Fatalf("env is %s, want %s", got, w.env)
		}
		if n := len(ta.inv.Shown()); n != w.rows {
			t.Errorf("env %s: %d wallets, want %d", w.env, n, w.rows)
		}
		if out := ta.screen(); !strings.Contains(out, "env: "+w.env) {
			t.Errorf("header does not show env %s", w.env)
		}
	}
	// The audit screen keeps operations of wallets in the environment, and
	// those of no wallet.
	ta.press(t, "e", "e", "3") // testing
	au := ta.pages[2].(*pages.Audit)
	if n := au.Shown(); n != 2 {
		t.Errorf("audit in testing: %d rows, want 2 (v3 and the schema migration)", n)
	}
}

func TestReadOnly(t *testing.T) {
	for _, ro := range []bool{false, true} {
		ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.ReadOnly = ro }).start(t, 120, 40)
		for _, name := range ta.screenNames() {
			ta.press(t, "esc")
			ta.switchName(name)
			for _, full := range []bool{false, true} {
				if full != ta.help.ShowAll {
					ta.press(t, "?")
				}
				help := strings.Join(ta.helpLines(), "\n")
				// Allocation is the inventory's action; no screen offers
				// it in read-only mode.
				want := !ro && name == "inventory"
				// The go-to lines name ":allocate" once.
				keyed := strings.Count(help, "allocate") - strings.Count(help, ":allocate")
				if got := keyed > 0; got != want {
					t.Errorf("read-only=%v, %s, full help=%v: allocate shown=%v\n%s", ro, name, full, got, help)
				}
			}
			ta.press(t, "?")
		}
		// Every action binding is off in read-only mode, verify stays.
		for _, b := range ta.c.Keys.Actions() {
			if b.Enabled() == ro {
				t.Errorf("read-only=%v: action %q enabled=%v", ro, b.Help().Key, b.Enabled())
			}
		}
		if !ta.c.Keys.Verify.Enabled() {
			t.Error("verify is off")
		}
		// The action key does nothing in read-only mode; otherwise it asks
		// the App to open the allocation flow.
		ta.press(t, "1")
		var opened bool
		if cmd := ta.inv.Update(keyMsg("a")); cmd != nil {
			_, opened = cmd().(common.OpenFlowMsg)
		}
		if opened == ro {
			t.Errorf("read-only=%v: a opened the allocation flow: %v", ro, opened)
		}
		if mode := ta.screen(); !strings.Contains(mode, map[bool]string{false: "OPERATOR", true: "READ-ONLY"}[ro]) {
			t.Errorf("read-only=%v: mode not in the header", ro)
		}
	}
	// A disabled binding does not match: key.Matches is what every screen
	// uses.
	k := DefaultKeyMap()
	k.SetReadOnly(true)
	if key.Matches(keyMsg("a"), k.Allocate) {
		t.Error("disabled allocate still matches")
	}
}

// TestOutage: the database goes away, the header says since when, the last
// inventory stays on screen, and everything comes back by itself.
func TestOutage(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "down", "enter") // v2's detail
	ta.src.Fail.Store(true)
	ta.now = uitest.T0.Add(7 * time.Second)
	ta.refresh(t)
	ta.now = uitest.T0.Add(12 * time.Second)
	ta.refresh(t) // still down: the outage started at :07, not :12
	out := ta.screen()
	for _, want := range []string{"DB unreachable since 09:30:07: dial unix", "v2 · active · production",
		"Plings", "! showing data from 09:30:00; refresh failed at 09:30:12"} {
		if !strings.Contains(out, want) {
			t.Errorf("during the outage the screen lacks %q:\n%s", want, out)
		}
	}
	ta.press(t, "esc")
	if out := ta.screen(); !strings.Contains(out, "v4     compromised") || !strings.Contains(out, "refresh failed") {
		t.Errorf("the inventory is not kept during the outage:\n%s", out)
	}
	// Health measures the failure against the thresholds.
	ta.press(t, "2")
	if out := ta.screen(); !strings.Contains(out, "failed") || !strings.Contains(out, "*") {
		t.Errorf("health does not show the failed, changed database check:\n%s", out)
	}
	ta.src.Fail.Store(false)
	ta.now = uitest.T0.Add(17 * time.Second)
	ta.refresh(t)
	out = ta.screen()
	if strings.Contains(out, "unreachable") || strings.Contains(out, "refresh failed") {
		t.Errorf("the console did not recover:\n%s", out)
	}
	if !strings.Contains(out, "DB ok 1.2 ms") || !strings.Contains(out, "updated 09:30:17") {
		t.Errorf("the header does not show the recovery:\n%s", out)
	}
}

func TestHSMStates(t *testing.T) {
	h := uitest.SampleHSM()
	h.LoggedIn = false
	ta := newTestApp(t, uitest.SampleSource(), h).start(t, 120, 40)
	if out := ta.screen(); !strings.Contains(out, "HSM ok 0.300 ms · not logged in · token plings-ceremony") {
		t.Errorf("not-logged-in HSM:\n%s", out)
	}
	h.Err = uitest.ErrGone
	ta.now = uitest.T0.Add(3 * time.Second)
	ta.refresh(t)
	if out := ta.screen(); !strings.Contains(out, "HSM unreachable since 09:30:03") {
		t.Errorf("HSM outage:\n%s", out)
	}
	h.Err, h.Latency = nil, 150*time.Millisecond
	ta.refresh(t)
	ta.press(t, "2")
	out := ta.screen()
	if !strings.Contains(out, "HSM warning 150 ms") || !strings.Contains(out, "5 warning or unhealthy") ||
		!strings.Contains(out, "HSM round trip took 150 ms, above 100 ms") {
		t.Errorf("slow HSM is not a warning:\n%s", out)
	}
	// Signing measured live: when it fails, every wallet is unhealthy.
	h.SignErr = errors.New("sign with key \"console-health\": CKR_DEVICE_ERROR")
	ta.refresh(t)
	out = ta.screen()
	if !strings.Contains(out, "signing failed error") || strings.Contains(out, "overall healthy") || !strings.Contains(out, "CKR_DEVICE_ERROR") {
		t.Errorf("failed signing is not a failure:\n%s", out)
	}

	ta = newTestApp(t, uitest.SampleSource(), nil).start(t, 120, 40)
	ta.press(t, "2")
	if out := ta.screen(); !strings.Contains(out, "HSM none (stored averages used)") || !strings.Contains(out, "HSM none") ||
		!regexp.MustCompile(`hsm_connectivity +healthy +11.9 ms +> 100 ms +metrics 03-13`).MatchString(out) {
		t.Errorf("no HSM:\n%s", out)
	}
}

// changedLines are the rows of a marked table that carry the change mark.
func changedLines(out string) []string {
	var ls []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, " "+components.ChangeMark+" ") || strings.HasPrefix(l, ">"+components.ChangeMark+" ") {
			ls = append(ls, l)
		}
	}
	return ls
}

// TestHealthChanges: a value that changes on a refresh is marked, and the
// mark goes on the next refresh that brings no change.
func TestHealthChanges(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 200, 50)
	ta.press(t, "2")
	if ls := changedLines(ta.screen()); len(ls) > 0 {
		t.Errorf("changes marked before any second refresh: %q", ls)
	}
	// v2 gets an open alert, its error count moves, v6 appears.
	ta.src.Mu.Lock()
	ta.src.Health[1].OpenWarnings = 1
	ta.src.Health[1].Errors = 5
	ta.src.Health = append(ta.src.Health, HealthInput{Version: 6, Name: "v6", Status: model.StatusCreated, Environment: model.EnvironmentTesting})
	ta.src.Mu.Unlock()
	ta.refresh(t)
	out := ta.screen()
	ls := changedLines(out)
	joined := strings.Join(ls, "\n")
	if !strings.Contains(joined, "overall healthy→warning, ERR 0.03 %→0.05 %, ALERT ok→wa") ||
		!strings.Contains(joined, "new wallet") {
		t.Errorf("changes are not marked:\n%s", out)
	}
	// v2's checks below, once the cursor is on it: the two changed checks
	// are marked and say what they were.
	for ta.selectedHealth() != 2 {
		ta.press(t, "down")
	}
	out = ta.screen()
	if ls := changedLines(out); len(ls) != 2+2 || // v2, v6, two checks !strings.Contains(out, "was 0.03 %") || !strings.Contains(out, "was healthy") ||
		!strings.Contains(out, "overall warning * was healthy") {
		t.Errorf("v2's changed checks are not marked (%d lines):\n%s", len(ls), out)
	}

	ta.refresh(t)
	if ls := changedLines(ta.screen()); len(ls) > 0 || strings.Contains(ta.screen(), "→") {
		t.Errorf("a change is still marked after a refresh without change: %q", ls)
	}

	// A live check: the HSM turns slow; its state change is marked on the
	// live line and on every wallet, and unmarked on the next refresh.
	h := uitest.SampleHSM()
	ta = newTestApp(t, uitest.SampleSource(), h).start(t, 120, 40)
	ta.press(t, "2")
	h.Latency = 130 * time.Millisecond
	ta.refresh(t)
	out = ta.screen()
	if !strings.Contains(out, components.ChangeMark+"HSM warning 130 ms") || len(changedLines(out)) < len(ta.src.Health) {
		t.Errorf("the HSM's change is not marked:\n%s", out)
	}
	ta.refresh(t)
	out = ta.screen()
	if strings.Contains(out, components.ChangeMark+"HSM") || len(changedLines(out)) > 0 {
		t.Errorf("the HSM's change is still marked:\n%s", out)
	}

	// Enter on a wallet opens its detail on the inventory screen.
	ta.press(t, "enter")
	if ta.Screen() != "inventory" || !ta.inv.IsOpen() {
		t.Errorf("enter on health did not open the wallet")
	}
}

// selectedHealth is the wallet under the health screen's cursor.
func (ta *testApp) selectedHealth() int {
	for _, p := range ta.pages {
		if hp, ok := p.(*pages.Health); ok {
			return hp.Selected()
		}
	}
	return 0
}

func TestAuditChain(t *testing.T) {
	src := uitest.SampleSource()
	src.Audit = AuditStatus{OK: false, Rows: 6, BrokenAt: 4, Problem: "row 4 (status_change, 2026-03-01T09:30:00Z) was altered"}
	ta := newTestApp(t, src, uitest.SampleHSM()).start(t, 120, 40)
	ta.press(t, "3")
	if out := ta.screen(); !strings.Contains(out, "chain BROKEN at row 4: row 4 (status_change") {
		t.Errorf("broken chain not shown:\n%s", out)
	}
	src.Audit = AuditStatus{OK: true, Rows: 7}
	ta.press(t, "v")
	if out := ta.screen(); !strings.Contains(out, "chain OK (7 rows)") {
		t.Errorf("verify now did not update the badge:\n%s", out)
	}
	src.Fail.Store(true)
	ta.press(t, "v")
	if out := ta.screen(); !strings.Contains(out, "chain check failed: dial unix") {
		t.Errorf("failed check not shown:\n%s", out)
	}
}

func TestScrollLongLists(t *testing.T) {
	src := uitest.SampleSource()
	src.Wallets = manyWallets(1000)
	ta := newTestApp(t, src, nil).start(t, 80, 24)
	ta.press(t, "end")
	if out := ta.screen(); !strings.Contains(out, "> ") || !strings.Contains(out, "v1000") {
		t.Errorf("end does not show the last wallet:\n%s", out)
	}
	ta.press(t, "pgup", "pgup", "home")
	if ta.inv.Nav().Cursor != 0 || ta.inv.Nav().Offset != 0 {
		t.Errorf("home: cursor %d offset %d", ta.inv.Nav().Cursor, ta.inv.Nav().Offset)
	}
	for range 30 {
		ta.press(t, "j")
	}
	if c, o := ta.inv.Nav().Cursor, ta.inv.Nav().Offset; c != 30 || c < o || c >= o+ta.inv.Nav().Height {
		t.Errorf("cursor %d is off screen (offset %d, height %d)", c, o, ta.inv.Nav().Height)
	}
}

func TestResizeTooSmall(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 80, 24)
	ta.size(59, 15)
	if out := ta.screen(); !strings.Contains(out, "enlarge the window to at least 60x16 (now 59x15)") {
		t.Errorf("no size message:\n%s", out)
	}
	// tmux's 80x23 pane (its status bar in an 80x24 window) and the
	// smallest window draw the inventory, with a compact header.
	for _, sz := range [][2]int{{80, 23}, {60, 16}} {
		ta.size(sz[0], sz[1])
		out := ta.screen()
		if strings.Contains(out, "enlarge") || !strings.Contains(out, "v1") || !strings.Contains(out, "[1 Inv") {
			t.Errorf("%dx%d does not draw the inventory:\n%s", sz[0], sz[1], out)
		}
	}
	ta.size(90, 30)
	if out := ta.screen(); !strings.Contains(out, "v4") || strings.Contains(out, "enlarge") {
		t.Errorf("no redraw after growing:\n%s", out)
	}
	ta.press(t, "q")
	if !ta.quitting(t) {
		t.Error("q did not quit")
	}
}

func TestNoSource(t *testing.T) {
	ta := &testApp{App: NewApp(Options{HSM: uitest.SampleHSM(), Profile: 1, Refresh: -1})}
	ta.after = func(time.Duration, tea.Msg) tea.Cmd { return nil }
	ta.start(t, 80, 24)
	for _, k := range []string{"enter", "2", "enter", "3", "enter", "v", "4", "5", "?", "r"} {
		ta.press(t, k)
		_ = ta.screen()
	}
	if out := ta.screen(); !strings.Contains(out, "HSM ok") || !strings.Contains(out, "DB checking") {
		t.Errorf("without a source:\n%s", out)
	}
}

// TestSpinner: a spinner while a load is in flight, never blocking keys;
// gone when the loads are back.
func TestSpinner(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 80, 24)
	_, cmd := ta.Update(keyMsg("r")) // loads started, not yet run
	if out := ta.screen(); !strings.Contains(out, "| loading") {
		t.Errorf("no spinner while loading:\n%s", out)
	}
	ta.press(t, "2") // keys work meanwhile
	if ta.Screen() != "health" {
		t.Error("a key was not handled during a load")
	}
	ta.Update(spinMsg{})
	if out := ta.screen(); !strings.Contains(out, "/ loading") {
		t.Errorf("the spinner did not turn:\n%s", out)
	}
	ta.run(t, cmd)
	if out := ta.screen(); strings.Contains(out, "loading") || !strings.Contains(out, "updated 09:30:00") {
		t.Errorf("spinner still shown after the loads:\n%s", out)
	}
}
