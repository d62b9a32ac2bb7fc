package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// TestHealthTrendGlyphs: the health screen draws block elements with
// colours, and only ASCII without a terminal (NO_COLOR, TERM=dumb).
func TestHealthTrendGlyphs(t *testing.T) {
	for _, c := range []struct {
		prof       colorprofile.Profile
		has, lacks string
	}{
		{colorprofile.ANSI256, "▁", "____"},
		{colorprofile.NoTTY, "____", "▁"},
	} {
		ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Profile = c.prof }).start(t, 120, 40)
		ta.press(t, "2", "down") // v1, with 48 runs
		out := ta.screen()
		if !strings.Contains(out, c.has) || strings.Contains(out, c.lacks) {
			t.Errorf("%v: want %q and no %q:\n%s", c.prof, c.has, c.lacks, out)
		}
	}
}
