package pages

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// sized is a page as the size sweep sees it.
type sized interface {
	SetSize(w, h int)
	View() string
}

// TestSizeSweep: every page at every width from 60 to 200 and every height
// from 8 to 60 draws no line wider than the width and no more lines than
// the height; at 60 columns the inventory still shows the wallets' names
// and statuses, and the health screen every sample wallet.
func TestSizeSweep(t *testing.T) {
	hp, _ := sampleHealth(t, 120, 40)
	pages := map[string]sized{
		"inventory":   func() sized { p, _ := sampleInventory(t, 120, 40); return p }(),
		"detail":      sampleDetail(t, 120, 40),
		"health":      hp,
		"audit":       sampleAudit(t, 120, 40),
		"migrations":  sampleMigrations(t, 120, 40),
		"migrations0": NewMigrations(testCommon(nil), nil),
	}
	for name, p := range pages {
		for w := 60; w <= 200; w++ {
			for h := 8; h <= 60; h++ {
				p.SetSize(w, h)
				lines := strings.Split(p.View(), "\n")
				if len(lines) > h {
					t.Errorf("%s at %dx%d: %d lines", name, w, h, len(lines))
				}
				for i, l := range lines {
					if lw := ansi.StringWidth(l); lw > w {
						t.Errorf("%s at %dx%d: line %d is %d wide: %q", name, w, h, i, lw, l)
						break
					}
				}
				if t.Failed() {
					return
				}
			}
		}
	}

	inv := pages["inventory"]
	inv.SetSize(60, 12)
	v := inv.View()
	head := headerLine(v, "NAME")
	for _, col := range []string{"NAME", "STATUS", "HEALTH", "PATHS"} {
		if !strings.Contains(head, col) {
			t.Errorf("inventory at 60 wide: no %s in %q", col, head)
		}
	}
	for _, want := range []string{"v1", "deprecated", "v4", "compromised", "1,204,332"} {
		if !strings.Contains(v, want) {
			t.Errorf("inventory at 60x12: no %q in\n%s", want, v)
		}
	}

	hp.SetSize(60, 11)
	v = hp.View()
	for _, want := range []string{"OVERALL", "v1", "v2", "v3", "v4", "v5", "unhealthy"} {
		if !strings.Contains(v, want) {
			t.Errorf("health at 60x11: no %q in\n%s", want, v)
		}
	}

	au := pages["audit"]
	au.SetSize(60, 11)
	v = au.View()
	for _, want := range []string{"SEQ", "TIME", "WALLET", "OPERATION", "status_change"} {
		if !strings.Contains(v, want) {
			t.Errorf("audit at 60x11: no %q in\n%s", want, v)
		}
	}
}
