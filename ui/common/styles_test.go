package common

import (
	"bytes"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
)

func TestDetectProfile(t *testing.T) {
	tty := []string{"TTY_FORCE=1", "TERM=xterm-256color", "COLORTERM=truecolor"}
	cases := []struct {
		env  []string
		want colorprofile.Profile
	}{
		{tty, colorprofile.TrueColor},
		{append(tty, "NO_COLOR=1"), colorprofile.NoTTY},
		// no-color.org: any non-empty value, not only "true" ones.
		{append(tty, "NO_COLOR=yes"), colorprofile.NoTTY},
		{append(tty, "NO_COLOR="), colorprofile.TrueColor},
		{[]string{"TERM=xterm-256color"}, colorprofile.NoTTY}, // not a terminal
	}
	for _, c := range cases {
		if got := DetectProfile(&bytes.Buffer{}, c.env); got != c.want {
			t.Errorf("%v: %v, want %v", c.env, got, c.want)
		}
	}
}

// TestStyleLevels: no terminal means no escapes; ASCII means no colour.
func TestStyleLevels(t *testing.T) {
	text := "unhealthy"
	if got := NewStyles(colorprofile.NoTTY); got.R(got.Health(model.HealthUnhealthy), text) != text {
		t.Error("NoTTY styles emit escapes")
	}
	a := NewStyles(colorprofile.ASCII)
	out := a.R(a.Health(model.HealthUnhealthy), text) + a.R(a.Selected, text) + a.R(a.ReadOnly, text)
	if strings.Contains(out, "[3") || strings.Contains(out, "[4") || strings.Contains(out, "[9") {
		t.Errorf("ASCII styles set a colour: %q", out)
	}
	if !strings.Contains(out, "\x1b[") {
		t.Errorf("ASCII styles lost bold/reverse: %q", out)
	}
	c := NewStyles(colorprofile.ANSI)
	if out := c.R(c.Health(model.HealthUnhealthy), text); !strings.Contains(out, "31") {
		t.Errorf("ANSI unhealthy is not red: %q", out)
	}
}
