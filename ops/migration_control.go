package ops

// This file: the migration's controls and its status, as the CLI and the
// Migrations screen use them (issue 12).

import (
	"context"
	"fmt"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// Migration is a manufacturer migration with its figures (model).
type Migration struct {
	store.ManufacturerMigration
}

// Figures are the facts the status line and the screen are made of.
func (m Migration) Figures() model.MigrationFigures {
	s := m.ManufacturerMigration
	return model.MigrationFigures{ID: s.ID, Manufacturer: s.Manufacturer, Source: s.Source, Target: s.Target,
		Direction: s.Direction, State: s.State, Phase: s.Phase, Phases: s.TotalPhases, Total: s.Total, Moved: s.Moved,
		Skipped: s.Skipped, Returned: s.Returned, Batches: s.Batches, PauseReason: s.PauseReason,
		ThrottleReason: s.ThrottleReason, ThrottledBy: s.ThrottledBy, StartedAt: s.StartedAt, LastBatchAt: s.LastBatchAt,
		RecentPaths: s.RecentPaths, RecentSeconds: s.RecentSeconds}
}

// Moving says whether batches are meant to run now.
func (m Migration) Moving() bool { return m.Figures().Moving() }

// Shown is the state in the operator's words, with its reasons.
func (m Migration) Shown() string { return m.Figures().Shown() }

// Migrations lists every manufacturer migration, the ones in flight first.
func (s *Service) Migrations(ctx context.Context) ([]Migration, error) {
	all, err := s.DB.ManufacturerMigrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, len(all))
	for i, m := range all {
		out[i] = Migration{m}
	}
	return out, nil
}

// Migration reads one migration.
func (s *Service) Migration(ctx context.Context, id int64) (Migration, error) {
	m, err := s.DB.MigrationByID(ctx, id)
	return Migration{m}, err
}

// MigrationVerbs are the controls, in the order the screen offers them.
var MigrationVerbs = []string{"pause", "resume", "throttle", "unthrottle", "rollback", "verify"}

// MigrationControl applies one control (pause, resume, throttle,
// unthrottle, rollback) to migration id and says what it did; verify has
// its own call (VerifyMigration). reason is required by pause, throttle
// and rollback; until bounds a throttle (zero: until lifted).
func (s *Service) MigrationControl(ctx context.Context, verb string, id int64, reason string, until time.Time) (string, int64, error) {
	var seq int64
	var err error
	var did string
	switch verb {
	case "pause":
		seq, err = s.DB.PauseMigration(ctx, id, reason, s.Actor)
		did = fmt.Sprintf("migration #%d paused after the batches in flight: %s", id, reason)
	case "resume":
		seq, err = s.DB.ResumeMigration(ctx, id, reason, s.Actor)
		did = fmt.Sprintf("migration #%d resumed; a worker (console migration run %d) carries on", id, id)
	case "throttle":
		var u *time.Time
		if !until.IsZero() {
			u = &until
		}
		if reason == "" {
			return "", 0, fmt.Errorf("throttle migration #%d: give a reason (--reason), or --off to lift it", id)
		}
		seq, err = s.DB.ThrottleMigration(ctx, id, reason, u, s.Actor)
		did = fmt.Sprintf("migration #%d throttled (%s) until lifted", id, reason)
		if u != nil {
			did = fmt.Sprintf("migration #%d throttled (%s) until %s", id, reason, u.UTC().Format(time.RFC3339))
		}
	case "unthrottle":
		seq, err = s.DB.ThrottleMigration(ctx, id, "", nil, s.Actor)
		did = fmt.Sprintf("migration #%d: throttle lifted", id)
	case "rollback":
		seq, err = s.DB.RollbackMigration(ctx, id, reason, s.Actor)
		did = fmt.Sprintf("migration #%d is rolling back: the batches return its paths to the source (console migration run %d)", id, id)
	default:
		return "", 0, fmt.Errorf("%q is not a migration control: use one of pause, resume, throttle, rollback, verify", verb)
	}
	if err != nil {
		return "", 0, err
	}
	return did, seq, nil
}

// VerifyMigration compares both wallets' paths of migration id and
// completes it when it is moved and clean.
func (s *Service) VerifyMigration(ctx context.Context, id int64) (store.VerifyResult, error) {
	return s.DB.VerifyMigration(ctx, id, s.Actor)
}
