package model

// This file: how a manufacturer migration's progress is told (issue 12):
// exact counts, a rate from the last minute of batches, an ETA only once
// 1 % is done (gh-ost: before that the rate says nothing), and the state
// with the reason for any throttle or pause. The CLI's status line and the
// Migrations screen both read these.

import (
	"fmt"
	"strconv"
	"time"
)

// MigrationFigures are one migration's facts as the database keeps them.
type MigrationFigures struct {
	ID             int64
	Manufacturer   string
	Source, Target int
	Direction      string // forward, rollback
	State          string // running, paused, moved, completed, rolling_back, rolled_back, failed
	Phase, Phases  int
	Total          int64 // paths queued at the start
	Moved          int64
	Skipped        int64 // queued but no longer live when their batch ran
	Returned       int64 // moved back after a rollback
	Batches        int
	PauseReason    string
	ThrottleReason string
	ThrottledBy    string // operator, worker
	StartedAt      *time.Time
	LastBatchAt    *time.Time
	// RecentPaths over RecentSeconds: the batches of the last minute.
	RecentPaths   int64
	RecentSeconds float64
}

// Done and Of are the progress of the current direction: forward, the
// paths moved (and skipped) of those queued; after a rollback, the paths
// returned of those moved.
func (m MigrationFigures) Done() int64 {
	if m.Direction == "rollback" {
		return m.Returned
	}
	return m.Moved + m.Skipped
}

// Of is the total of the current direction (see Done).
func (m MigrationFigures) Of() int64 {
	if m.Direction == "rollback" {
		return m.Moved
	}
	return m.Total
}

// Percent is Done of Of, 100 when there is nothing to do.
func (m MigrationFigures) Percent() float64 {
	if m.Of() == 0 {
		return 100
	}
	return 100 * float64(m.Done()) / float64(m.Of())
}

// Rate is paths per second over the last minute of batches; 0 when none
// ran in it.
func (m MigrationFigures) Rate() float64 {
	if m.RecentSeconds <= 0 || m.RecentPaths <= 0 {
		return 0
	}
	return float64(m.RecentPaths) / m.RecentSeconds
}

// ETA is the time left at the current rate; false before 1 % is done, with
// no rate, or when the migration is not moving.
func (m MigrationFigures) ETA() (time.Duration, bool) {
	if m.Percent() < 1 || m.Rate() == 0 || !m.Moving() {
		return 0, false
	}
	left := float64(m.Of() - m.Done())
	return time.Duration(left / m.Rate() * float64(time.Second)).Round(time.Second), true
}

// Moving says whether batches are meant to run now.
func (m MigrationFigures) Moving() bool {
	return m.State == "running" || m.State == "rolling_back"
}

// Shown is the state as an operator reads it: a throttle and a pause
// carry their reasons.
func (m MigrationFigures) Shown() string {
	switch {
	case m.State == "paused":
		return "paused: " + orNone(m.PauseReason)
	case m.Moving() && m.ThrottleReason != "":
		return "throttled by the " + orNone(m.ThrottledBy) + ": " + m.ThrottleReason
	case m.State == "moved":
		return "moved: verify to complete"
	case m.State == "rolling_back":
		return "rolling back"
	case m.State == "rolled_back":
		return "rolled back"
	}
	return m.State
}

func orNone(s string) string {
	if s == "" {
		return "no reason recorded"
	}
	return s
}

// StatusLine is the migration in one line, in gh-ost's manner:
//
//	#3 Volvo v2 → v1: Moved: 12,000/200,000 6.0%; Phase: 1/3; Batches: 24; Rate: 4,800/s; Time: 2m30s; State: running; ETA: 39s
func (m MigrationFigures) StatusLine(now time.Time) string {
	verb := "Moved"
	if m.Direction == "rollback" {
		verb = "Returned"
	}
	elapsed := "-"
	if m.StartedAt != nil {
		elapsed = ElapsedShort(now.Sub(*m.StartedAt))
	}
	eta := "N/A"
	if d, ok := m.ETA(); ok {
		eta = ElapsedShort(d)
	} else if m.Done() >= m.Of() {
		eta = "due"
	}
	return fmt.Sprintf("#%d %s %s → %s: %s: %s/%s %.1f%%; Phase: %d/%d; Batches: %d; Rate: %s/s; Time: %s; State: %s; ETA: %s",
		m.ID, m.Manufacturer, VersionName(m.Source), VersionName(m.Target), verb, Group(m.Done()), Group(m.Of()),
		m.Percent(), m.Phase, m.Phases, m.Batches, Group(int64(m.Rate()+0.5)), elapsed, m.Shown(), eta)
}

// Group formats n with thousands separators: 1,234,567.
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	sign := ""
	if s[0] == '-' {
		sign, s = "-", s[1:]
	}
	b := make([]byte, 0, len(s)+len(s)/3)
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, ',')
		}
		b = append(b, s[i])
	}
	return sign + string(b)
}

// ElapsedShort is d to the second under an hour (2m30s), to the minute
// under a day (5h20m), in days and hours beyond (42d3h).
func ElapsedShort(d time.Duration) string {
	switch {
	case d < time.Hour:
		return d.Round(time.Second).String()
	case d < 24*time.Hour:
		d = d.Round(time.Minute)
		return fmt.Sprintf("%dh%dm", int(d.Hours()), int(d.Minutes())%60)
	}
	d = d.Round(time.Hour)
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}
