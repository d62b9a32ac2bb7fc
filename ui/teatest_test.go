package ui

import (
	"bytes"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// These tests run the console as a real Bubble Tea program (timers,
// commands on their own goroutines, the renderer) and drive it with keys.

func programApp(src *uitest.Source, h HSMStatus, refresh time.Duration) *App {
	o := Options{Source: src, Profile: colorprofile.NoTTY, Refresh: refresh, Location: time.UTC}
	if h != nil {
		o.HSM = h
	}
	return NewApp(o)
}

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
}

func TestProgramKeys(t *testing.T) {
	tm := teatest.NewTestModel(t, programApp(uitest.SampleSource(), uitest.SampleHSM(), time.Second), teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "compromised")

	tm.Send(keyMsg("2"))
	waitFor(t, tm, "signing healthy")

	tm.Send(keyMsg(":"))
	tm.Type("au")
	tm.Send(keyMsg("tab"))
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "chain OK (6 rows)")

	tm.Send(keyMsg("/"))
	tm.Type("quit") // types, does not quit
	waitFor(t, tm, "no operation matches")
	tm.Send(keyMsg("esc"))

	tm.Send(keyMsg(":"))
	tm.Type("nope")
	tm.Send(keyMsg("enter"))
	waitFor(t, tm, "unknown screen")

	tm.Send(tea.WindowSizeMsg{Width: 50, Height: 14})
	waitFor(t, tm, "enlarge the window")
	tm.Send(tea.WindowSizeMsg{Width: 100, Height: 30})
	waitFor(t, tm, "SEQ")

	tm.Send(keyMsg("q"))
	fm, ok := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*App)
	if !ok {
		t.Fatal("final model is not the App")
	}
	if fm.Screen() != "audit" {
		t.Errorf("final screen %s, want audit", fm.Screen())
	}
	if fm.c.Width != 100 || fm.c.Height != 30 {
		t.Errorf("final size %dx%d", fm.c.Width, fm.c.Height)
	}
}

// TestProgramOutage: with the refresh timer running, the database fails,
// the header shows it, and the console recovers on its own when it is back.
func TestProgramOutage(t *testing.T) {
	src := uitest.SampleSource()
	tm := teatest.NewTestModel(t, programApp(src, nil, 20*time.Millisecond), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "compromised")

	src.Fail.Store(true)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("unreachable since")) && bytes.Contains(b, []byte("refresh failed"))
	}, teatest.WithDuration(5*time.Second), teatest.WithCheckInterval(10*time.Millisecond))

	src.Fail.Store(false)
	start := src.OKs.Load()
	deadline := time.Now().Add(5 * time.Second)
	for src.OKs.Load() < start+20 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if err := tm.Quit(); err != nil {
		t.Fatal(err)
	}
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(*App)
	out := fm.View().Content
	if strings.Contains(out, "unreachable") || strings.Contains(out, "refresh failed") || !strings.Contains(out, "DB ok") {
		t.Errorf("did not recover:\n%s", out)
	}
	if !strings.Contains(out, "v4") {
		t.Errorf("inventory lost:\n%s", out)
	}
}
