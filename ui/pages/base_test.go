package pages

import (
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// TestBaseLoadState: the loading line before the first load, the stale
// line while loads fail (with the time of the data shown once there is
// some), and nothing once a load succeeds again.
func TestBaseLoadState(t *testing.T) {
	c := &common.Common{Styles: common.NewStyles(colorprofile.NoTTY), Loc: time.UTC, Now: func() time.Time { return uitest.T0 }}
	b := newBase(c, "inventory", "Inventory")
	b.SetSize(200, 10)
	if got := b.notLoaded("wallets"); got != "  loading wallets…" {
		t.Errorf("before the first load: %q", got)
	}
	if !b.failed(uitest.ErrGone, uitest.T0) {
		t.Fatal("an error is not a failure")
	}
	if got := b.notLoaded("wallets"); got != "  no data yet" {
		t.Errorf("after a failed first load: %q", got)
	}
	if ls := b.staleLines(); len(ls) != 1 || !strings.HasPrefix(ls[0], "! refresh failed at 09:30:00: dial unix") {
		t.Errorf("stale line before any data: %q", ls)
	}
	b.failed(nil, uitest.T0)
	b.markLoaded(uitest.T0)
	b.failed(uitest.ErrGone, uitest.T0.Add(5*time.Second))
	if ls := b.staleLines(); len(ls) != 1 || !strings.HasPrefix(ls[0], "! showing data from 09:30:00; refresh failed at 09:30:05") {
		t.Errorf("stale line with data: %q", ls)
	}
	if b.failed(nil, uitest.T0) || b.staleLines() != nil || b.LoadError() != "" {
		t.Error("a good load did not clear the failure")
	}
	if ok, at := b.Loaded(); !ok || !at.Equal(uitest.T0) {
		t.Errorf("loaded %v at %v", ok, at)
	}
}
