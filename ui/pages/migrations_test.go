package pages

import (
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// sampleMigrations is the Migrations screen with the sample migrations
// loaded, w×h.
func sampleMigrations(t *testing.T, w, h int) *Migrations {
	t.Helper()
	src := uitest.SampleSource()
	p := NewMigrations(testCommon(src), uitest.NewMigrations(src))
	p.SetSize(w, h)
	p.Update(migrationsMsg{list: uitest.SampleMigrations()})
	return p
}

// Exact progress: a percent never rounds up to a 100 % that is not there,
// the ETA is shown only once 1 % is done (and the rate is known).
func TestMigrationFigures(t *testing.T) {
	f := model.MigrationFigures{Direction: "forward", State: "running", Total: 10_000_000, Moved: 9_999_999}
	if got := percent(f); got != "99.9%" {
		t.Errorf("9,999,999 of 10,000,000 shows as %s, want 99.9%%", got)
	}
	f.Moved = f.Total
	if got := percent(f); got != "100.0%" {
		t.Errorf("all moved shows as %s", got)
	}
	f = model.MigrationFigures{Direction: "forward", State: "running", Total: 1000, Moved: 9, RecentPaths: 100, RecentSeconds: 10}
	if got := eta(f); got != "—" {
		t.Errorf("ETA before 1 %%: %s", got)
	}
	f.Moved = 10
	if got := eta(f); got != "1m39s" {
		t.Errorf("ETA at 1 %% and 10/s: %s, want 1m39s", got)
	}
	if got := rate(f); got != "10/s" {
		t.Errorf("rate %s", got)
	}
	f.RecentPaths = 0
	if got, e := rate(f), eta(f); got != "—" || e != "—" {
		t.Errorf("no batch in the last minute: rate %s, ETA %s", got, e)
	}
}

// The table shows every migration with its state and reason; the detail
// follows the cursor.
func TestMigrationsTable(t *testing.T) {
	p := sampleMigrations(t, 120, 40)
	v := p.View()
	for _, want := range []string{"#4", "KTH Prototype", "v3 → v1", "1,254,300/2,000,000", "62.7%", "4,000/s", "3m6s",
		"throttled by the worker: allocat", "paused: nightly backup window", "completed",
		"Moved: 1,254,300/2,000,000 62.7%"} {
		if !strings.Contains(v, want) {
			t.Errorf("screen lacks %q:\n%s", want, v)
		}
	}
	p.Update(uitest.KeyMsg("down"))
	if v := p.View(); !strings.Contains(v, "why        throttled by the worker: allocation latency: 612 ms in v1 over the last minute (limit 500 ms)") {
		t.Errorf("the throttled migration's detail lacks its reason:\n%s", v)
	}
	p.Update(uitest.KeyMsg("down"))
	p.Update(uitest.KeyMsg("down"))
	v = p.View()
	if !strings.Contains(v, "clean, 0 findings") || !strings.Contains(v, "#1 Spotify v1 → v3") {
		t.Errorf("the verified migration's detail:\n%s", v)
	}
	if strings.Contains(v, "limits     load") {
		t.Errorf("a migration without limits of its own shows some:\n%s", v)
	}
}

// A migration's own load limits (migration start --max-load) are in its
// detail, inert.
func TestMigrationsDetailLoadLimits(t *testing.T) {
	src := uitest.SampleSource()
	p := NewMigrations(testCommon(src), uitest.NewMigrations(src))
	p.SetSize(120, 40)
	list := uitest.SampleMigrations()
	list[0].LoadLimits = "waiting=3, active off\x1b[2J"
	p.Update(migrationsMsg{list: list})
	v := p.View()
	if !strings.Contains(v, "limits     load waiting=3, active off") || strings.Contains(v, "\x1b[2J") {
		t.Errorf("the detail's load limits:\n%s", v)
	}
}

// "/" narrows the table on the id, the manufacturer, the wallets and the
// state; the environment filter does not apply (a migration is between two
// wallets) and is not claimed in the title.
func TestMigrationsFilter(t *testing.T) {
	p := sampleMigrations(t, 120, 40)
	p.SetFilter("paused")
	v := p.View()
	if !strings.Contains(v, "Volvo") || strings.Contains(v, "Ericsson") || !strings.Contains(v, `"paused"`) {
		t.Errorf("filter paused:\n%s", v)
	}
	p.SetFilter("nothing like it")
	if v := p.View(); !strings.Contains(v, "no migration matches") {
		t.Errorf("no match:\n%s", v)
	}
	p.SetFilter("")
	p.c.Env = "production"
	if v := p.View(); strings.Contains(v, "in production") || !strings.Contains(v, "Spotify") {
		t.Errorf("the environment filter narrowed the migrations:\n%s", v)
	}
}
