package common

import (
	"context"
	"time"

	"github.com/plings/walletconsole/model"
)

// Migrator is what the Migrations screen and the migration flow need from
// the database (cmd/console adapts *ops.Service to it; tests use a fake).
// Calls run in tea.Cmds or jobs, never in Update or View.
type Migrator interface {
	// Migrations lists every manufacturer migration, those in flight first.
	Migrations(ctx context.Context) ([]Migration, error)
	// PlanControl says what verb (pause, resume, throttle, unthrottle,
	// rollback, verify, or run: the worker) would do to migration id and
	// checks it; it only reads.
	PlanControl(ctx context.Context, verb string, id int64) (model.Plan, []model.Check, error)
	// Control applies pause, resume, throttle, unthrottle or rollback with
	// its reason (a throttle until until; zero: until lifted), one
	// transaction with its audit row; the database refuses it where it
	// means nothing.
	Control(ctx context.Context, verb string, id int64, reason string, until time.Time) (model.Outcome, error)
	// Verify compares the migration's paths in both wallets and completes a
	// moved migration that is clean.
	Verify(ctx context.Context, id int64) (model.Outcome, error)
	// RunWorker moves migration id's paths in batches until they are done
	// (or ctx ends: the batch in flight commits or rolls back whole),
	// telling news of each batch and wait.
	RunWorker(ctx context.Context, id int64, news func(WorkerNews)) (model.Outcome, error)
	// Candidates plans moving each manufacturer of wallet from to wallet
	// to: who can start, and why the others cannot.
	Candidates(ctx context.Context, from, to, batch int) ([]MigrationCandidate, error)
	// PlanStart is one manufacturer's plan and its refusals as checks.
	PlanStart(ctx context.Context, from, to int, name string, batch int) (model.Plan, []model.Check, error)
	// Start starts the migration in one transaction and returns its id.
	Start(ctx context.Context, from, to int, name, reason string, batch int) (int64, model.Outcome, error)
}

// Migration is one manufacturer migration as the screen shows it: the
// figures the status line is made of, and what the detail adds.
type Migration struct {
	model.MigrationFigures
	Reason         string // why it moves (wallet_deprecation, …)
	Priority       string // business priority
	Complexity     string
	BatchSize      int
	ThrottledUntil *time.Time
	CompletedAt    *time.Time
	VerifiedAt     *time.Time
	// VerifyFindings is what the last verify found; nil: never verified.
	VerifyFindings *int
	// LoadLimits are the migration's own (migration start --max-load), as
	// said to the operator; "": its workers' own.
	LoadLimits string
}

// MigrationCandidate is one manufacturer of a migration plan: whether it
// can start, and why not.
type MigrationCandidate struct {
	Name             string
	Index            int
	LivePaths        int64
	Identifiers      int64
	Complexity       string
	BusinessPriority string
	// Refusals say why it cannot start (none: it can), each with what to do.
	Refusals []string
}

// WorkerNews is what the worker did: one batch, a throttle or a wait.
type WorkerNews struct {
	Done, Of int64 // the migration's progress in its direction after it
	Batch    int   // the batch's number, 0 when none ran
	Moved    int   // paths the batch moved (or returned)
	Took     time.Duration
	Throttle string // why the worker held back
	Wait     string // why it waits (paused, the operator's throttle)
	Err      string // a batch failed and will be retried
}
