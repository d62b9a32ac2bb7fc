package ui

import (
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/ui/internal/uitest"
)

// testApp is an App on fake sources with a fixed clock, no timers and no
// terminal styles; clock advances it.
type testApp struct {
	*App
	src  *uitest.Source
	migs *uitest.Migrations
	now  time.Time
}

func newTestApp(tb testing.TB, src *uitest.Source, hsm HSMStatus, mutate ...func(*Options)) *testApp {
	tb.Helper()
	ta := &testApp{src: src, migs: uitest.NewMigrations(src), now: uitest.T0}
	if src.Migs != nil {
		ta.migs.List = src.Migs
	}
	o := Options{
		Source:     src,
		Migrations: ta.migs,
		Refresh:    -1,
		Profile:    colorprofile.NoTTY,
		Now:        func() time.Time { return ta.now },
		Location:   time.UTC,
	}
	if hsm != nil {
		o.HSM = hsm
	}
	for _, m := range mutate {
		m(&o)
	}
	ta.App = NewApp(o)
	ta.after = func(time.Duration, tea.Msg) tea.Cmd { return nil }
	return ta
}

// start sizes the app and runs Init's loads to the end.
func (ta *testApp) start(tb testing.TB, w, h int) *testApp {
	tb.Helper()
	ta.size(w, h)
	ta.run(tb, ta.Init())
	return ta
}

func (ta *testApp) size(w, h int) {
	ta.Update(tea.WindowSizeMsg{Width: w, Height: h})
}

// run executes commands synchronously and feeds their messages back until
// none is left. Timers are off (after returns nil), so nothing sleeps.
func (ta *testApp) run(tb testing.TB, cmd tea.Cmd) {
	tb.Helper()
	queue := []tea.Cmd{cmd}
	for n := 0; len(queue) > 0; n++ {
		if n > 100_000 {
			tb.Fatal("commands do not settle")
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		switch m := c().(type) {
		case nil, tea.QuitMsg:
		case tea.BatchMsg:
			queue = append(queue, m...)
		default:
			_, next := ta.Update(m)
			queue = append(queue, next)
		}
	}
}

// keyMsg makes the key press that msg.String() reports as k.
func keyMsg(k string) tea.KeyPressMsg { return uitest.KeyMsg(k) }

// press sends keys ("enter", "q", …) and runs what they start.
func (ta *testApp) press(tb testing.TB, keys ...string) {
	tb.Helper()
	for _, k := range keys {
		_, cmd := ta.Update(keyMsg(k))
		ta.run(tb, cmd)
	}
}

// typeText types every rune of s.
func (ta *testApp) typeText(tb testing.TB, s string) {
	tb.Helper()
	for _, r := range s {
		_, cmd := ta.Update(tea.KeyPressMsg{Code: r, Text: string(r)})
		ta.run(tb, cmd)
	}
}

// refresh is the r key: every load again.
func (ta *testApp) refresh(tb testing.TB) { ta.press(tb, "r") }

func (ta *testApp) screen() string { return ta.View().Content }

// switchName makes the named screen active (tests go straight there).
func (a *App) switchName(name string) tea.Cmd { return a.switchTo(a.index(name)) }

// screenNames are the tabbed screens' names, in tab order.
func (a *App) screenNames() []string {
	names := make([]string, len(a.pages))
	for i, p := range a.pages {
		names[i] = p.Name()
	}
	return names
}
