package components

import (
	"math"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// Sparkline glyphs, lowest to highest. Terminals without colour (the ASCII
// profile) and without a terminal at all (NoTTY: TERM=dumb, NO_COLOR, a
// pipe) get a plain ASCII ramp, since a dumb terminal may lack the block
// elements.
var (
	sparkBlocks = []rune("▁▂▃▄▅▆▇█")
	sparkASCII  = []rune("_.:-=+*#")
)

// sparkLevel maps v in [0, hi] to a glyph index; above hi is the top, NaN
// (no value) is -1.
func sparkLevel(v, hi float64, levels int) int {
	switch {
	case math.IsNaN(v):
		return -1
	case hi <= 0 || v <= 0:
		return 0
	case v >= hi:
		return levels - 1
	}
	return min(int(v/hi*float64(levels-1)+0.5), levels-1)
}

// Sparkline draws the last width values on one line, oldest left and newest
// right, right-aligned (padded with spaces on the left when there are fewer
// values); zero is the lowest glyph and hi (or more) the highest. A NaN is a
// run without a value: a space.
func Sparkline(values []float64, hi float64, width int, ascii bool) string {
	if width <= 0 {
		return ""
	}
	glyphs := sparkBlocks
	if ascii {
		glyphs = sparkASCII
	}
	if len(values) > width {
		values = values[len(values)-width:]
	}
	var b strings.Builder
	b.Grow(width * 3)
	b.WriteString(strings.Repeat(" ", width-len(values)))
	for _, v := range values {
		if l := sparkLevel(v, hi, len(glyphs)); l >= 0 {
			b.WriteRune(glyphs[l])
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// TrendLine is a check's stored history as a sparkline of width cells, scaled
// so that the full height is the check's limit (or the largest value when
// that is higher); runs that were not healthy carry their state's style, so
// that with colours a warning spike shows yellow and a failure red.
func TrendLine(s *common.Styles, pts []common.HealthPoint, hi float64, width int) string {
	if len(pts) > width {
		pts = pts[len(pts)-width:]
	}
	vals := make([]float64, len(pts))
	for i, p := range pts {
		vals[i] = math.NaN()
		if p.Value != nil {
			vals[i] = *p.Value
			hi = max(hi, *p.Value)
		}
	}
	line := Sparkline(vals, hi, width, s.ASCIIGlyphs())
	if s.Plain() || len(pts) == 0 {
		return line
	}
	// Style runs of equal state; healthy runs stay plain.
	runes := []rune(line)
	pad := width - len(pts)
	var b strings.Builder
	b.WriteString(string(runes[:pad]))
	for i := 0; i < len(pts); {
		j := i
		for j < len(pts) && pts[j].State == pts[i].State {
			j++
		}
		seg := string(runes[pad+i : pad+j])
		if st := pts[i].State; st == model.HealthWarning || st == model.HealthFailed {
			seg = s.R(s.Health(st), seg)
		}
		b.WriteString(seg)
		i = j
	}
	return b.String()
}

// TrendScale is the value drawn at full height for a check: its limit, in
// the unit wallet_health_checks stores (ms, percent, open alerts).
func TrendScale(th model.Thresholds, c model.CheckName) float64 {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	switch c {
	case model.CheckHSMConnectivity:
		return ms(th.HSMResponse)
	case model.CheckSignaturePerformance:
		return ms(th.Signature)
	case model.CheckPathAllocationRate:
		return ms(th.PathAllocation)
	case model.CheckDatabaseResponse:
		return ms(th.DatabaseQuery)
	case model.CheckErrorRate:
		return th.ErrorRateWarning
	default: // security_alerts: one open alert is already too many
		return 1
	}
}
