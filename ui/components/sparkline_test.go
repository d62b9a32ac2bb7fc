package components

import (
	"math"
	"strings"
	"testing"

	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

func TestSparkline(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		vals  []float64
		hi    float64
		width int
		ascii bool
		want  string
	}{
		{[]float64{0, 5, 10}, 10, 5, false, "  ▁▅█"},     // right-aligned, zero lowest, hi highest
		{[]float64{0, 5, 10}, 10, 5, true, "  _=#"},      // the ASCII ramp
		{[]float64{1, 2, 3, 4, 20}, 10, 3, false, "▃▄█"}, // the newest that fit; above hi is the top
		{[]float64{3, nan, 7}, 7, 3, false, "▄ █"},       // a run without a value is a gap
		{[]float64{4, 4}, 0, 2, false, "▁▁"},             // no scale: flat
		{[]float64{-1, 0.2}, 7, 2, false, "▁▁"},          // negatives clamp
		{nil, 10, 4, false, "    "},
		{[]float64{1}, 10, 0, false, ""},
	}
	for _, c := range cases {
		if got := Sparkline(c.vals, c.hi, c.width, c.ascii); got != c.want {
			t.Errorf("Sparkline(%v, %v, %d, %v) = %q, want %q", c.vals, c.hi, c.width, c.ascii, got, c.want)
		}
	}
	// Every level appears, in order, on a ramp 0 … 7.
	if got := Sparkline([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 7, 8, false); got != "▁▂▃▄▅▆▇█" {
		t.Errorf("ramp: %q", got)
	}
	if got := Sparkline([]float64{0, 1, 2, 3, 4, 5, 6, 7}, 7, 8, true); got != string(sparkASCII) {
		t.Errorf("ASCII ramp: %q", got)
	}
}

// TestTrendLine: the stored runs scaled to the limit, a warning run styled
// when there are colours, always exactly the width asked for.
func TestTrendLine(t *testing.T) {
	v := func(x float64) *float64 { return &x }
	pts := []common.HealthPoint{
		{State: model.HealthHealthy, Value: v(20)},
		{State: model.HealthHealthy, Value: v(50)},
		{State: model.HealthWarning, Value: v(150)}, // above the limit: the scale grows to it
		{State: model.HealthHealthy, Value: nil},
		{State: model.HealthFailed, Value: v(0)},
	}
	plain := common.NewStyles(colorprofile.NoTTY)
	if got := TrendLine(plain, pts, 100, 8); got != "   .:# _" {
		t.Errorf("NoTTY trend %q", got)
	}
	col := common.NewStyles(colorprofile.ANSI)
	got := TrendLine(col, pts, 100, 8)
	if ansi.Strip(got) != "   ▂▃█ ▁" {
		t.Errorf("ANSI trend %q", ansi.Strip(got))
	}
	if !strings.Contains(got, "\x1b[") || ansi.StringWidth(got) != 8 {
		t.Errorf("ANSI trend not styled or not 8 wide: %q", got)
	}
	asc := common.NewStyles(colorprofile.ASCII)
	if got := ansi.Strip(TrendLine(asc, pts, 100, 8)); got != "   .:# _" {
		t.Errorf("ASCII-profile trend %q", got)
	}
	// Fewer cells than runs: the newest.
	if got := TrendLine(plain, pts, 100, 2); got != " _" {
		t.Errorf("narrow trend %q", got)
	}
	th := model.DefaultThresholds()
	for c, want := range map[model.CheckName]float64{model.CheckHSMConnectivity: 100, model.CheckSignaturePerformance: 10,
		model.CheckPathAllocationRate: 500, model.CheckDatabaseResponse: 50, model.CheckErrorRate: 0.1, model.CheckSecurityAlerts: 1} {
		if got := TrendScale(th, c); got != want {
			t.Errorf("scale of %s: %v, want %v", c, got, want)
		}
	}
}
