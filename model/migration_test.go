package model

import (
	"strings"
	"testing"
	"time"
)

// The ETA waits for 1 % (gh-ost): before, the rate says nothing.
func TestMigrationETAOnlyAfterOnePercent(t *testing.T) {
	start := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	m := MigrationFigures{ID: 3, Manufacturer: "Volvo", Source: 2, Target: 1, Direction: "forward", State: "running",
		Phase: 1, Phases: 3, Total: 1_000_000, Moved: 9_999, Batches: 2, StartedAt: &start, RecentPaths: 9_999, RecentSeconds: 1}
	if _, ok := m.ETA(); ok {
		t.Error("an ETA below 1 %")
	}
	if line := m.StatusLine(start.Add(2 * time.Second)); !strings.Contains(line, "ETA: N/A") {
		t.Errorf("status line below 1 %%: %s", line)
	}
	m.Moved = 10_000
	m.RecentPaths, m.RecentSeconds = 50_000, 2 // 25,000/s
	eta, ok := m.ETA()
	if !ok || eta != 40*time.Second {
		t.Errorf("ETA at 1 %% and 25,000/s: %v %v, want 40s (990,000 paths left)", eta, ok)
	}
	want := "#3 Volvo v2 → v1: Moved: 10,000/1,000,000 1.0%; Phase: 1/3; Batches: 2; Rate: 25,000/s; Time: 1m0s; State: running; ETA: 40s"
	if got := m.StatusLine(start.Add(time.Minute)); got != want {
		t.Errorf("status line:\n got %s\nwant %s", got, want)
	}
	// Throttled or paused: the reason, and no ETA while paused.
	m.ThrottleReason, m.ThrottledBy = "database load: 9 sessions wait for a lock (limit 8)", "worker"
	if s := m.Shown(); s != "throttled by the worker: database load: 9 sessions wait for a lock (limit 8)" {
		t.Errorf("throttled: %s", s)
	}
	m.State, m.PauseReason = "paused", "quarter-end freeze"
	if _, ok := m.ETA(); ok || m.Shown() != "paused: quarter-end freeze" {
		t.Errorf("paused: %s", m.Shown())
	}
	// After a rollback the progress is the paths returned of those moved.
	m = MigrationFigures{Direction: "rollback", State: "rolling_back", Total: 100, Moved: 40, Returned: 10}
	if m.Done() != 10 || m.Of() != 40 || m.Percent() != 25 {
		t.Errorf("rollback progress %d/%d %.0f%%", m.Done(), m.Of(), m.Percent())
	}
}

func TestElapsedShort(t *testing.T) {
	for d, want := range map[time.Duration]string{90 * time.Second: "1m30s", 5*time.Hour + 20*time.Minute: "5h20m",
		42*24*time.Hour + 3*time.Hour: "42d3h"} {
		if got := ElapsedShort(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
