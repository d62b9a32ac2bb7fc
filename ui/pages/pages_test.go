package pages

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// testCommon is the shared context of the page tests: no terminal styles
// (or the profile given), the default keys and thresholds, the fixed clock,
// and a loader on src whose commands the tests look at but do not run.
func testCommon(src *uitest.Source, p ...colorprofile.Profile) *common.Common {
	prof := colorprofile.NoTTY
	if len(p) > 0 {
		prof = p[0]
	}
	return &common.Common{
		Styles:     common.NewStyles(prof),
		Keys:       common.DefaultKeyMap(),
		Thresholds: model.DefaultThresholds(),
		Now:        func() time.Time { return uitest.T0 },
		Loc:        time.UTC,
		Load:       common.NewLoader(context.Background(), src, uitest.SampleHSM(), time.Second, 20, 500),
	}
}

// send gives msg to p and every message its commands return back to p, as
// the App does (it hands data messages to every page), until none is left.
func send(t testing.TB, p interface{ Update(tea.Msg) tea.Cmd }, msg tea.Msg) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{p.Update(msg)}
	for n := 0; len(queue) > 0; n++ {
		if n > 1000 {
			t.Fatal("commands do not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch m := c().(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			out = append(out, m)
		}
	}
	return out
}

// press is a key press on p; it returns the messages of the commands it
// starts (run, not fed back).
func press(t testing.TB, p interface{ Update(tea.Msg) tea.Cmd }, keys ...string) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for _, k := range keys {
		out = append(out, send(t, p, uitest.KeyMsg(k))...)
	}
	return out
}

// sampleInventory is the inventory of the sample wallets at w×h.
func sampleInventory(t testing.TB, w, h int, p ...colorprofile.Profile) (*Inventory, *uitest.Source) {
	src := uitest.SampleSource()
	inv := NewInventory(testCommon(src, p...))
	inv.SetSize(w, h)
	send(t, inv, common.InventoryMsg{Wallets: src.Wallets})
	return inv, src
}

// sampleHealth is the health screen of the sample wallets at w×h, with the
// live checks measured.
func sampleHealth(t testing.TB, w, h int) (*Health, []tea.Msg) {
	src := uitest.SampleSource()
	hs := uitest.SampleHSM()
	p := NewHealth(testCommon(src), false)
	p.SetSize(w, h)
	var out []tea.Msg
	out = append(out, send(t, p, common.DBPingMsg{Latency: src.Latency})...)
	out = append(out, send(t, p, common.HSMPingMsg{Latency: hs.Latency, LoggedIn: true})...)
	out = append(out, send(t, p, common.SignMsg{Avg: hs.Sign})...)
	out = append(out, send(t, p, common.HealthMsg{Inputs: src.Health, History: src.History})...)
	return p, out
}

// sampleAudit is the audit screen of the sample log at w×h.
func sampleAudit(t testing.TB, w, h int) *Audit {
	src := uitest.SampleSource()
	p := NewAudit(testCommon(src))
	p.SetSize(w, h)
	send(t, p, common.OpsMsg{Ops: src.Ops})
	send(t, p, common.VerifyMsg{Status: src.Audit})
	return p
}

// sampleDetail is the inventory with v2's detail open at w×h.
func sampleDetail(t testing.TB, w, h int) *Inventory {
	inv, src := sampleInventory(t, w, h)
	inv.Open(2)
	send(t, inv, common.DetailMsg{Version: 2, Detail: src.Details[2]})
	send(t, inv, common.HealthMsg{Inputs: src.Health, History: src.History})
	return inv
}

// names are the wallet names of the inventory's rows, in order.
func (p *Inventory) names() []string {
	var out []string
	for _, r := range p.rows {
		out = append(out, r.cells[icName])
	}
	return out
}

// headerLine is the line of column titles (the first line of a view that
// holds the title).
func headerLine(view, title string) string {
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		if strings.Contains(l, title) {
			return l
		}
	}
	return ""
}
