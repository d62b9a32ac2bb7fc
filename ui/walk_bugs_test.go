package ui

import (
	"strings"
	"testing"

	"github.com/plings/walletconsole/ui/internal/uitest"
)

// Bugs a newcomer found walking the console in tmux; each test failed
// before its fix.

// At a flow's checks, e is "edit" and r "check again", not the shell's
// environment filter and refresh.
func TestFlowKeysBeforeShellKeys(t *testing.T) {
	alloc := &slowAllocator{release: make(chan struct{})}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Allocator = alloc }).start(t, 100, 30)
	ta.press(t, ":")
	ta.typeText(t, "allocate v2")
	ta.press(t, "enter", "tab")
	ta.typeText(t, "2.99")
	ta.press(t, "ctrl+s")
	mustShow(t, ta, "[checks]")
	ta.press(t, "e")
	if ta.c.Env != "" {
		t.Fatalf("e at the checks changed the environment filter to %q", ta.c.Env)
	}
	mustShow(t, ta, "[input]")
	ta.press(t, "ctrl+s", "r")
	mustShow(t, ta, "[checks]")
}

// A flow opened from the inventory returns there when it closes.
func TestClosingAFlowReturns(t *testing.T) {
	alloc := &slowAllocator{release: make(chan struct{})}
	close(alloc.release)
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Allocator = alloc }).start(t, 100, 30)
	ta.press(t, "a")
	if ta.Screen() != "flows" {
		t.Fatalf("a on the inventory went to %s", ta.Screen())
	}
	ta.press(t, "esc") // an untouched form closes
	if ta.Screen() != "inventory" {
		t.Fatalf("esc on the untouched form left the console on %s", ta.Screen())
	}
	ta.press(t, "a", "tab")
	ta.typeText(t, "2.98")
	ta.press(t, "ctrl+s", "enter", "y")
	mustShow(t, ta, "[result]")
	ta.press(t, "enter")
	if ta.Screen() != "inventory" {
		t.Fatalf("enter on the result left the console on %s", ta.Screen())
	}
}

// In read-only mode, :allocate says why where the operator is, even with
// the request list open on the Flows screen.
func TestReadOnlyJumpSaysWhy(t *testing.T) {
	req := uitest.NewRequests("viewer")
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), withFlows(req, nil), func(o *Options) {
		o.ReadOnly, o.Allocator = true, &slowAllocator{}
	}).start(t, 100, 30)
	ta.press(t, "5", "enter", "1", ":")
	ta.typeText(t, "allocate v1")
	ta.press(t, "enter")
	if ta.Screen() != "inventory" || !strings.Contains(ta.screen(), "read-only console: this flow changes state") {
		t.Fatalf(":allocate in read-only mode: screen %s\n%s", ta.Screen(), ta.screen())
	}
}

// Tab on ":" shows what it offers, and a whole name that takes arguments
// leaves a space for them.
func TestCompletionShowsAndSpaces(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 80, 24)
	ta.press(t, ":", "tab")
	if out := ta.screen(); !strings.Contains(out, "one of: inventory") {
		t.Fatalf(": tab shows no candidates:\n%s", out)
	}
	ta.press(t, "esc")
	if strings.Contains(ta.screen(), "one of:") {
		t.Fatal("the candidates outlived the line")
	}
	ta.press(t, ":")
	ta.typeText(t, "wa")
	ta.press(t, "tab")
	if got := ta.line.String(); got != "wallet " {
		t.Fatalf(":wa tab gave %q, want \"wallet \"", got)
	}
	ta.typeText(t, "v2")
	ta.press(t, "enter")
	if !ta.inv.IsOpen() {
		t.Fatal(":wallet v2 after completion did not open v2")
	}
}

// Esc closes the full help.
func TestEscClosesHelp(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "?")
	mustShow(t, ta, "go to: :inventory")
	ta.press(t, "esc")
	if ta.help.ShowAll {
		t.Fatal("esc did not close the help")
	}
}

// Esc on a narrowed audit screen shows the whole log again before it goes
// back anywhere.
func TestEscClearsAuditNarrowing(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "3", ":")
	ta.typeText(t, "audit --wallet v1")
	ta.press(t, "enter")
	if ta.audit.Query() == "" {
		t.Fatal(":audit --wallet v1 did not narrow")
	}
	ta.press(t, "esc")
	if ta.audit.Query() != "" || ta.Screen() != "audit" {
		t.Fatalf("esc: query %q, screen %s", ta.audit.Query(), ta.Screen())
	}
}

// Tab completes a wallet argument from the inventory.
func TestCompletionOfWallets(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, ":")
	ta.typeText(t, "wallet ")
	ta.press(t, "tab")
	if out := ta.screen(); !strings.Contains(out, "one of: v1, v2, v3, v4, v5") {
		t.Fatalf(":wallet tab does not offer the wallets:\n%s", out)
	}
	if got := ta.line.String(); got != "wallet v" {
		t.Fatalf(":wallet tab made the line %q, want the common prefix \"wallet v\"", got)
	}
	ta.typeText(t, "5")
	ta.press(t, "tab")
	if got := ta.line.String(); got != "wallet v5" {
		t.Fatalf(":wallet v5 tab made the line %q", got)
	}
	ta.press(t, "enter")
	if !ta.inv.IsOpen() {
		t.Fatal(":wallet v5 did not open v5")
	}
	ta.press(t, "esc", ":")
	ta.typeText(t, "audit --wallet v")
	ta.press(t, "tab")
	if out := ta.screen(); !strings.Contains(out, "one of: v1") {
		t.Fatalf(":audit --wallet v tab does not offer the wallets:\n%s", out)
	}
}

// Esc returns through details too: v1's detail, :v2, :audit, esc, esc
// shows v1's detail again, and one more esc the inventory.
func TestEscReturnsThroughDetails(t *testing.T) {
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 100, 30)
	ta.press(t, "enter") // v1
	if ta.inv.OpenVersion() != 1 {
		t.Fatalf("enter opened v%d", ta.inv.OpenVersion())
	}
	ta.press(t, ":")
	ta.typeText(t, "v2")
	ta.press(t, "enter", ":")
	ta.typeText(t, "audit")
	ta.press(t, "enter")
	if ta.Screen() != "audit" {
		t.Fatalf("on %s", ta.Screen())
	}
	ta.press(t, "esc")
	if ta.Screen() != "inventory" || ta.inv.OpenVersion() != 2 {
		t.Fatalf("first esc: %s, detail v%d (want v2)", ta.Screen(), ta.inv.OpenVersion())
	}
	ta.press(t, "esc")
	if ta.inv.OpenVersion() != 1 {
		t.Fatalf("second esc: detail v%d (want v1)", ta.inv.OpenVersion())
	}
	ta.press(t, "esc")
	if ta.inv.IsOpen() || ta.Screen() != "inventory" {
		t.Fatalf("third esc: %s, detail open %v", ta.Screen(), ta.inv.IsOpen())
	}
}
