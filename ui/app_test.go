package ui

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// screens are the states worth a golden file and a size sweep: how to reach
// each from a started app.
var screens = []struct {
	name string
	keys []string
}{
	{"inventory", nil},
	{"inventory_sorted", []string{"s", "s", "s", "S"}},
	{"inventory_filtered", []string{"/", "p", "r", "o", "enter"}},
	{"detail", []string{"down", "enter"}},
	{"detail_scrolled", []string{"down", "enter", "pgdown"}},
	{"health", []string{"2"}},
	{"health_trend", []string{"2", "down"}}, // v1: 48 stored runs per check
	{"audit", []string{"3"}},
	{"audit_entry", []string{"3", "enter"}},
	{"migrations_running", []string{"4"}},
	{"migrations_throttled", []string{"4", "down"}},
	{"migrations_paused", []string{"4", "down", "down"}},
	{"migrations_verified", []string{"4", "down", "down", "down"}},
	{"flows", []string{"5"}},
	{"help", []string{"?"}},
	{"command", []string{":", "a", "u"}},
	{"unknown_screen", []string{":", "n", "o", "p", "e", "enter"}},
}

func TestGolden(t *testing.T) {
	for _, size := range [][2]int{{80, 24}, {120, 40}} {
		for _, sc := range screens {
			t.Run(fmt.Sprintf("%s_%dx%d", sc.name, size[0], size[1]), func(t *testing.T) {
				ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, size[0], size[1])
				ta.press(t, sc.keys...)
				golden.RequireEqual(t, []byte(ta.screen()))
			})
		}
	}
	t.Run("read_only_no_hsm_80x24", func(t *testing.T) {
		ta := newTestApp(t, uitest.SampleSource(), nil, func(o *Options) { o.ReadOnly = true }).start(t, 80, 24)
		golden.RequireEqual(t, []byte(ta.screen()))
	})
	t.Run("too_small_79x24", func(t *testing.T) {
		ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 79, 24)
		golden.RequireEqual(t, []byte(ta.screen()))
	})
	t.Run("outage_80x24", func(t *testing.T) {
		ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 80, 24)
		ta.src.Fail.Store(true)
		ta.now = uitest.T0.Add(5 * time.Second)
		ta.refresh(t)
		golden.RequireEqual(t, []byte(ta.screen()))
	})
}

// TestSizeSweep draws every screen at every size from 20x5 to 200x60 and
// checks that nothing leaves the terminal: no line wider than it, no more
// lines than its height. It checks the composed screen before View's last
// clamp, so that each part is held to the size on its own.
func TestSizeSweep(t *testing.T) {
	heights := []int{5, 9, 16, 23, 24, 25, 31, 40, 47, 60}
	for _, sc := range screens {
		for _, full := range []bool{false, true} {
			ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM()).start(t, 120, 40)
			ta.press(t, sc.keys...)
			if full && ta.input == inputNone {
				ta.press(t, "?")
			}
			for w := 20; w <= 200; w += 7 {
				for _, h := range heights {
					ta.size(w, h)
					raw, _ := ta.render()
					checkFits(t, fmt.Sprintf("%s full=%v %dx%d (composed)", sc.name, full, w, h), raw, w, h)
					checkFits(t, fmt.Sprintf("%s full=%v %dx%d", sc.name, full, w, h), ta.screen(), w, h)
				}
			}
		}
	}
}

func checkFits(t *testing.T, what, out string, w, h int) {
	t.Helper()
	ls := strings.Split(out, "\n")
	if len(ls) > h {
		t.Errorf("%s: %d lines, more than the height %d", what, len(ls), h)
	}
	for i, l := range ls {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("%s: line %d is %d wide, more than %d: %q", what, i, lw, w, l)
		}
	}
}

// hostile is text a database or HSM could hold that would talk to the
// terminal if printed raw: OSC 52 (write the clipboard), clear screen, a
// C1 CSI, a bidi override.
const (
	osc52 = "\x1b]52;c;aGk=\x07"
	clear = "\x1b[2J"
)

func hostileSource() *uitest.Source {
	src := uitest.SampleSource()
	w := &src.Wallets[1]
	w.Name = osc52
	w.Description = clear + "x\u009b31m" + "\u202eevil"
	w.MasterKeyID = clear
	w.Status = model.Status(clear)
	w.Environment = model.Environment(osc52)
	d := src.Details[2]
	d.Wallet = *w
	d.Manufacturers[0].Name = osc52
	d.Manufacturers[1].Organization = clear
	d.Manufacturers[2].Status = osc52
	d.Lineage[0].CanonicalName = osc52
	d.Lineage[0].Reason = clear
	d.Allocations[0].Type = osc52
	d.Recent[0].Type = osc52
	src.Details[2] = d
	src.Ops[0].Type = osc52
	src.Ops[0].InitiatedBy = clear
	src.Ops[0].Details = []byte(`{"note":"` + "\\u001b]52;c;aGk=\\u0007" + `","raw":"` + clear + `"}`)
	src.Ops[1].Details = []byte(`{"ok":"\u001b[2J"}`)
	src.Audit = AuditStatus{OK: false, Rows: 6, BrokenAt: 4, Problem: "row 4 " + osc52 + " was altered"}
	src.WhereText = "db" + osc52
	h := &src.Health[1]
	h.Name, h.Status, h.Environment = osc52, model.Status(clear), model.Environment(osc52)
	src.Migs = uitest.SampleMigrations()
	for i := range src.Migs {
		m := &src.Migs[i]
		m.Manufacturer, m.Reason, m.Priority = osc52+"Evil", clear, "\u009b31m"
		m.PauseReason, m.ThrottleReason, m.ThrottledBy = clear+"\u202ebackup", osc52, clear
	}
	return src
}

type hostileHSM struct{ uitest.HSM }

func newHostileHSM() *hostileHSM {
	h := &hostileHSM{*uitest.SampleHSM()}
	h.SignErr = errors.New("sign: " + osc52 + clear)
	return h
}

func (h *hostileHSM) Describe() (string, string, bool) { return clear, osc52, true }

// sgr matches the SGR sequences that styles produce.
var sgr = regexp.MustCompile(`\x1b\[[0-9;:]*m`)

// TestInert renders every screen with hostile text from the database and
// the HSM and checks that none of its escape sequences reaches the terminal:
// with no styles there is no ESC at all; with ASCII styles only SGR.
func TestScreensInert(t *testing.T) {
	for _, prof := range []colorprofile.Profile{colorprofile.NoTTY, colorprofile.ASCII, colorprofile.TrueColor} {
		for _, sc := range append(screens, struct {
			name string
			keys []string
		}{"audit_entry_2", []string{"3", "down", "enter"}}) {
			src := hostileSource()
			src.Fail.Store(false)
			ta := newTestApp(t, src, newHostileHSM(), func(o *Options) { o.Profile = prof })
			ta.start(t, 160, 50)
			if sc.name == "detail" || sc.name == "detail_scrolled" {
				// The hostile wallet is v2, second by name.
				ta.press(t, "down", "enter")
			} else {
				ta.press(t, sc.keys...)
			}
			out := ta.screen()
			rest := sgr.ReplaceAllString(out, "")
			if prof == colorprofile.NoTTY && rest != out {
				t.Errorf("%s: no-terminal profile produced styles", sc.name)
			}
			if i := strings.IndexAny(rest, "\x1b\x07\u009b\u202e"); i >= 0 {
				t.Errorf("%s (%v): a control character reached the screen at %d: %q", sc.name, prof, i, rest[max(i-20, 0):min(i+20, len(rest))])
			}
		}
	}
	// And the data does show, as text.
	ta := newTestApp(t, hostileSource(), newHostileHSM()).start(t, 160, 50)
	if out := ta.screen(); !strings.Contains(out, `\x1b]52`) || !strings.Contains(out, `\x1b[2J`) {
		t.Errorf("hostile text is not shown as text:\n%s", out)
	}
	ta.press(t, "down", "enter")
	if out := ta.screen(); !strings.Contains(out, `\x1b]52;c;aGk=\x07`) {
		t.Errorf("detail does not show the hostile name as text:\n%s", out)
	}
	// Details with a raw ESC are not JSON: shown as they are, inert.
	ta.press(t, "esc", "3", "enter")
	if out := ta.screen(); !strings.Contains(out, `not valid JSON`) || !strings.Contains(out, `\x1b[2J`) ||
		!strings.Contains(out, `\u001b]52`) {
		t.Errorf("entry does not show invalid JSON inert:\n%s", out)
	}
	// JSON escapes stay escapes when pretty-printed.
	ta.press(t, "esc", "down", "enter")
	if out := ta.screen(); !strings.Contains(out, `"ok": "\u001b[2J"`) {
		t.Errorf("entry does not show the escaped JSON as text:\n%s", out)
	}
}
