package ui

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/components"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// lineWith is the first line of out that contains every one of parts.
func lineWith(out string, parts ...string) string {
	for _, l := range strings.Split(out, "\n") {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(l, p)
		}
		if ok {
			return l
		}
	}
	return ""
}

// isMarked says whether a table line carries the change mark.
func isMarked(l string) bool {
	return strings.HasPrefix(l, " "+components.ChangeMark+" ") || strings.HasPrefix(l, ">"+components.ChangeMark+" ")
}

// TestInventoryChanges: a wallet whose values changed on a refresh, and a
// new one, are marked; the marks go on the next refresh without change. The
// "5m ago" of the last allocation moving on its own is no change.
func TestInventoryChanges(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 160, 40)
	ta.now = uitest.T0.Add(10 * time.Minute) // every "ago" moves
	ta.refresh(t)
	if ls := changedLines(ta.screen()); len(ls) > 0 {
		t.Fatalf("marked without a change: %q", ls)
	}
	ta.src.Mu.Lock()
	ta.src.Wallets[1].Paths += 3
	ta.src.Wallets[3].Health = model.HealthWarning
	ta.src.Wallets = append(ta.src.Wallets, model.WalletSummary{Version: 6, Name: "v6", Status: model.StatusCreated,
		Environment: model.EnvironmentTesting, Health: model.HealthUnknown})
	ta.src.Mu.Unlock()
	ta.refresh(t)
	out := ta.screen()
	for _, want := range []string{"1,204,335", "v4", "v6"} {
		if l := lineWith(out, want); !isMarked(l) {
			t.Errorf("row with %s is not marked: %q", want, l)
		}
	}
	for _, same := range []string{"v1", "v3", "v5"} {
		if l := lineWith(out, same+" "); isMarked(l) || l == "" {
			t.Errorf("unchanged %s is marked (or missing): %q", same, l)
		}
	}
	// The cursor row keeps its ">" and shows the mark beside it.
	ta.press(t, "down")
	if l := lineWith(ta.screen(), "1,204,335"); !strings.HasPrefix(l, ">"+components.ChangeMark+" ") {
		t.Errorf("the selected changed row: %q", l)
	}
	if !strings.Contains(out, "6 wallets · 3 changed (*)") {
		t.Errorf("status does not count the changes:\n%s", out)
	}
	ta.refresh(t)
	if ls := changedLines(ta.screen()); len(ls) > 0 {
		t.Errorf("still marked after a refresh without change: %q", ls)
	}
}

// TestDetailChanges: facts, manufacturer rows and new operations that
// changed since the last refresh of an open detail are marked.
func TestDetailChanges(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 160, 60)
	ta.press(t, "down", "enter")
	ta.refresh(t)
	if out := ta.screen(); len(changedLines(out)) > 0 || strings.Contains(out, components.ChangeMark+"paths") {
		t.Fatalf("marked without a change:\n%s", out)
	}
	ta.src.Mu.Lock()
	d := ta.src.Details[2]
	d.Wallet.Paths += 10
	d.Manufacturers = append([]model.Manufacturer(nil), d.Manufacturers...)
	d.Manufacturers[1].Paths += 10
	d.Recent = append([]model.Operation{{Seq: 7, Type: "allocate_path", Wallet: uitest.Ptr(2), Status: "completed",
		InitiatedBy: "ikea-service", Details: json.RawMessage(`{}`), Time: uitest.T0}}, d.Recent...)
	ta.src.Details[2] = d
	ta.src.Mu.Unlock()
	ta.refresh(t)
	out := ta.screen()
	if !strings.Contains(out, components.ChangeMark+"paths 1,204,342") {
		t.Errorf("the changed paths fact is not marked:\n%s", out)
	}
	if l := lineWith(out, "IKEA", "1,200,010"); !isMarked(l) {
		t.Errorf("changed manufacturer not marked: %q", l)
	}
	if l := lineWith(out, "Plings", "4,012"); isMarked(l) {
		t.Errorf("unchanged manufacturer marked: %q", l)
	}
	if l := lineWith(out, "allocate_path", "2026-03-14 09:30:00"); !isMarked(l) {
		t.Errorf("new operation not marked: %q\n%s", l, out)
	}
	if !strings.Contains(out, "Health history") || !strings.Contains(out, "signature_performance") {
		t.Errorf("no health history in the detail:\n%s", out)
	}
	ta.refresh(t)
	if out := ta.screen(); len(changedLines(out)) > 0 || strings.Contains(out, components.ChangeMark+"paths") {
		t.Errorf("still marked after a refresh without change:\n%s", out)
	}
}

// TestAuditNewRows: operations logged since the last refresh are marked.
func TestAuditNewRows(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 120, 40)
	ta.press(t, "3")
	if ls := changedLines(ta.screen()); len(ls) > 0 {
		t.Fatalf("marked on the first load: %q", ls)
	}
	ta.src.Mu.Lock()
	ta.src.Ops = append([]model.Operation{{Seq: 7, Type: "set_default", Wallet: uitest.Ptr(1), Status: "completed",
		InitiatedBy: "dave", Details: json.RawMessage(`{}`), Time: uitest.T0}}, ta.src.Ops...)
	ta.src.Mu.Unlock()
	ta.refresh(t)
	out := ta.screen()
	if ls := changedLines(out); len(ls) != 1 || !strings.Contains(ls[0], "dave") || !strings.Contains(out, "1 new (*)") {
		t.Errorf("the new row is not marked:\n%s", out)
	}
	ta.refresh(t)
	if ls := changedLines(ta.screen()); len(ls) > 0 {
		t.Errorf("still marked after a refresh without change: %q", ls)
	}
}

// TestChangesNoColor: with NO_COLOR the marks are the only sign of a change
// and there is no escape sequence at all; with colours the changed values
// are also styled.
func TestChangesNoColor(t *testing.T) {
	change := func(ta *testApp) {
		ta.src.Mu.Lock()
		ta.src.Wallets[1].Paths += 3
		ta.src.Health[1].OpenWarnings = 1
		ta.src.Mu.Unlock()
	}
	for _, scr := range []string{"1", "2"} {
		ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Profile = DetectProfile(nil, []string{"NO_COLOR=1"}) }).start(t, 120, 40)
		ta.press(t, scr)
		change(ta)
		ta.refresh(t)
		out := ta.screen()
		if strings.ContainsAny(out, "\x1b\x9b") {
			t.Errorf("screen %s: NO_COLOR output holds an escape: %q", scr, out)
		}
		if len(changedLines(out)) == 0 {
			t.Errorf("screen %s: no change mark with NO_COLOR:\n%s", scr, out)
		}

		ta = newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Profile = colorprofile.ANSI }).start(t, 120, 40)
		ta.press(t, scr)
		change(ta)
		ta.refresh(t)
		out = ta.screen()
		st := NewStyles(colorprofile.ANSI)
		if !strings.Contains(out, st.R(st.Changed, components.ChangeMark)) {
			t.Errorf("screen %s: the mark is not styled with colours", scr)
		}
	}
}
