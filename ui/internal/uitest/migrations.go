package uitest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
)

// SampleMigrations are the Migrations screen's fixed data, one in each
// state the goldens show: running (with a rate and an ETA), throttled by
// the worker with its reason, paused with the operator's reason, and
// completed after a clean verify.
func SampleMigrations() []common.Migration {
	at := func(d time.Duration) *time.Time { t := T0.Add(-d); return &t }
	zero := 0
	return []common.Migration{
		{MigrationFigures: model.MigrationFigures{ID: 4, Manufacturer: "KTH Prototype Lab", Source: 3, Target: 1, Direction: "forward",
			State: "running", Phase: 2, Phases: 3, Total: 2_000_000, Moved: 1_254_300, Batches: 251,
			StartedAt: at(6 * time.Minute), LastBatchAt: at(time.Second), RecentPaths: 240_000, RecentSeconds: 60},
			Reason: "wallet_deprecation", Priority: "high", Complexity: "high", BatchSize: 5000},
		{MigrationFigures: model.MigrationFigures{ID: 3, Manufacturer: "Ericsson", Source: 2, Target: 1, Direction: "forward",
			State: "running", Phase: 3, Phases: 3, Total: 320, Moved: 288, Batches: 58,
			ThrottleReason: "allocation latency: 612 ms in v1 over the last minute (limit 500 ms)", ThrottledBy: "worker",
			StartedAt: at(40 * 24 * time.Hour), LastBatchAt: at(3 * time.Minute)},
			Reason: "wallet_deprecation", Priority: "medium", Complexity: "high", BatchSize: 50},
		{MigrationFigures: model.MigrationFigures{ID: 2, Manufacturer: "Volvo", Source: 2, Target: 1, Direction: "forward",
			State: "paused", Phase: 1, Phases: 3, Total: 320, Moved: 256, Batches: 52, PauseReason: "nightly backup window",
			StartedAt: at(42 * 24 * time.Hour), LastBatchAt: at(2 * time.Hour)},
			Reason: "wallet_deprecation", Priority: "high", Complexity: "medium", BatchSize: 50},
		{MigrationFigures: model.MigrationFigures{ID: 1, Manufacturer: "Spotify", Source: 1, Target: 3, Direction: "forward",
			State: "completed", Phase: 3, Phases: 3, Total: 12_480, Moved: 12_470, Skipped: 10, Batches: 3,
			StartedAt: at(30 * time.Hour), LastBatchAt: at(29 * time.Hour)},
			Reason: "testing_consolidation", Priority: "low", Complexity: "low", BatchSize: 5000,
			VerifiedAt: at(28 * time.Hour), VerifyFindings: &zero, CompletedAt: at(28 * time.Hour)},
	}
}

// Migrations is the fake database side of the Migrations screen and the
// migration flow: it keeps to the database's rules for the controls (a
// pause of a paused migration is refused in its words), so that the screen
// can be tested without PostgreSQL; the real thing is tested in
// cmd/console against it.
type Migrations struct {
	Src      *Source // Fail there fails here too
	List     []common.Migration
	Calls    []string // every change asked for: "pause 3 reason"
	Cands    []common.MigrationCandidate
	NextID   int64
	WorkStep int64 // paths per worker batch (default: the rest at once)
}

// NewMigrations is the sample data on src's failure switch.
func NewMigrations(src *Source) *Migrations {
	return &Migrations{Src: src, List: SampleMigrations(), NextID: 5, Cands: []common.MigrationCandidate{
		{Name: "Anna Lindqvist Keramik", Index: 17, LivePaths: 12, Identifiers: 1_200, Complexity: "low", BusinessPriority: "low"},
		{Name: "Plings", Index: 1, Complexity: "low", BusinessPriority: "low",
			Refusals: []string{"Plings is already registered in v1 (index 1, active) (it allocates in v1 already: nothing to migrate into)"}},
	}}
}

func (f *Migrations) gate() error {
	if f.Src != nil {
		return f.Src.gate()
	}
	return nil
}

func (f *Migrations) find(id int64) (*common.Migration, error) {
	for i := range f.List {
		if f.List[i].ID == id {
			return &f.List[i], nil
		}
	}
	return nil, fmt.Errorf("there is no migration #%d (console migration status lists them)", id)
}

func (f *Migrations) Migrations(ctx context.Context) ([]common.Migration, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	f.Src.Mu.Lock()
	defer f.Src.Mu.Unlock()
	return append([]common.Migration(nil), f.List...), nil
}

func (f *Migrations) PlanControl(ctx context.Context, verb string, id int64) (model.Plan, []model.Check, error) {
	if err := f.gate(); err != nil {
		return model.Plan{}, nil, err
	}
	f.Src.Mu.Lock()
	defer f.Src.Mu.Unlock()
	m, err := f.find(id)
	if err != nil {
		return model.Plan{}, nil, err
	}
	p := model.Plan{Title: fmt.Sprintf("%s migration #%d (%s)", verb, id, m.Manufacturer), Target: fmt.Sprintf("#%d", id),
		Steps: []string{verb + " it"}}
	if verb == "rollback" {
		p.Target, p.Destructive = fmt.Sprintf("rollback #%d", id), true
	}
	return p, []model.Check{{Name: "the migration as it stands", State: model.CheckPass, Evidence: m.Shown()}}, nil
}

func (f *Migrations) Control(ctx context.Context, verb string, id int64, reason string, until time.Time) (model.Outcome, error) {
	if err := f.gate(); err != nil {
		return model.Outcome{}, err
	}
	f.Src.Mu.Lock()
	defer f.Src.Mu.Unlock()
	f.Calls = append(f.Calls, fmt.Sprintf("%s %d %s", verb, id, reason))
	m, err := f.find(id)
	if err != nil {
		return model.Outcome{}, err
	}
	refuse := func(format string, a ...any) (model.Outcome, error) {
		return model.Outcome{}, fmt.Errorf("%s migration #%d: "+format, append([]any{verb, id}, a...)...)
	}
	switch verb {
	case "pause":
		if m.State == "paused" {
			return refuse("migration #%d is already paused (since %s: %s); nothing changed", id, m.LastBatchAt.Format(time.RFC3339), m.PauseReason)
		}
		if !m.Moving() {
			return refuse("migration #%d is %s: there is nothing to pause", id, m.State)
		}
		m.State, m.PauseReason = "paused", reason
	case "resume":
		if m.State != "paused" {
			return refuse("migration #%d is %s, not paused: nothing to resume", id, m.State)
		}
		m.State, m.PauseReason = "running", ""
	case "throttle":
		m.ThrottleReason, m.ThrottledBy = reason, "operator"
		if !until.IsZero() {
			m.ThrottledUntil = &until
		}
	case "unthrottle":
		if m.ThrottledBy == "" {
			return refuse("migration #%d is not throttled; nothing changed", id)
		}
		m.ThrottleReason, m.ThrottledBy, m.ThrottledUntil = "", "", nil
	case "rollback":
		m.Direction, m.State = "rollback", "rolling_back"
	default:
		return model.Outcome{}, errors.New("no such control " + verb)
	}
	return model.Outcome{Summary: fmt.Sprintf("migration #%d: %s done", id, verb), AuditSeqs: []int64{900 + int64(len(f.Calls))}}, nil
}

func (f *Migrations) Verify(ctx context.Context, id int64) (model.Outcome, error) {
	if err := f.gate(); err != nil {
		return model.Outcome{}, err
	}
	f.Src.Mu.Lock()
	defer f.Src.Mu.Unlock()
	f.Calls = append(f.Calls, fmt.Sprintf("verify %d", id))
	m, err := f.find(id)
	if err != nil {
		return model.Outcome{}, err
	}
	t, zero := T0, 0
	m.VerifiedAt, m.VerifyFindings = &t, &zero
	if m.State == "moved" {
		m.State, m.CompletedAt = "completed", &t
		return model.Outcome{Summary: fmt.Sprintf("migration #%d verified clean in 12ms and completed", id)}, nil
	}
	return model.Outcome{Summary: fmt.Sprintf("migration #%d verified clean in 12ms (%s)", id, m.State)}, nil
}

func (f *Migrations) RunWorker(ctx context.Context, id int64, news func(common.WorkerNews)) (model.Outcome, error) {
	for {
		if err := f.gate(); err != nil {
			return model.Outcome{}, err
		}
		f.Src.Mu.Lock()
		m, err := f.find(id)
		if err != nil {
			f.Src.Mu.Unlock()
			return model.Outcome{}, err
		}
		left := m.Of() - m.Done()
		step := f.WorkStep
		if step <= 0 || step > left {
			step = left
		}
		m.Moved += step
		m.Batches++
		done, of, batch := m.Done(), m.Of(), m.Batches
		if m.Done() >= m.Of() {
			m.State = "moved"
		}
		st := m.Shown()
		f.Src.Mu.Unlock()
		news(common.WorkerNews{Done: done, Of: of, Batch: batch, Moved: int(step), Took: 40 * time.Millisecond})
		if done >= of {
			return model.Outcome{Summary: fmt.Sprintf("migration #%d: %s of %s paths moved; %s", id, model.Group(done), model.Group(of), st)}, nil
		}
		if err := ctx.Err(); err != nil {
			return model.Outcome{}, err
		}
	}
}

func (f *Migrations) Candidates(ctx context.Context, from, to, batch int) ([]common.MigrationCandidate, error) {
	if err := f.gate(); err != nil {
		return nil, err
	}
	return append([]common.MigrationCandidate(nil), f.Cands...), nil
}

func (f *Migrations) PlanStart(ctx context.Context, from, to int, name string, batch int) (model.Plan, []model.Check, error) {
	if err := f.gate(); err != nil {
		return model.Plan{}, nil, err
	}
	p := model.Plan{Title: fmt.Sprintf("Migrate %s from %s to %s", name, model.VersionName(from), model.VersionName(to)), Target: name,
		Steps: []string{"register it in the target as migrating", "queue its active paths"}}
	for _, c := range f.Cands {
		if c.Name == name {
			var cs []model.Check
			for _, r := range c.Refusals {
				cs = append(cs, model.Check{Name: "refused", State: model.CheckFail, Evidence: r, Fix: "see the reason"})
			}
			if len(cs) == 0 {
				cs = []model.Check{{Name: "nothing refuses the start", State: model.CheckPass}}
			}
			return p, cs, nil
		}
	}
	return p, nil, fmt.Errorf("%s is not registered in %s", name, model.VersionName(from))
}

func (f *Migrations) Start(ctx context.Context, from, to int, name, reason string, batch int) (int64, model.Outcome, error) {
	if err := f.gate(); err != nil {
		return 0, model.Outcome{}, err
	}
	f.Src.Mu.Lock()
	defer f.Src.Mu.Unlock()
	f.Calls = append(f.Calls, fmt.Sprintf("start %s %d %d %s %d", name, from, to, reason, batch))
	id := f.NextID
	f.NextID++
	started := T0
	f.List = append([]common.Migration{{MigrationFigures: model.MigrationFigures{ID: id, Manufacturer: name, Source: from, Target: to,
		Direction: "forward", State: "running", Phase: 1, Phases: 3, Total: 12, StartedAt: &started}, BatchSize: batch, Reason: reason}}, f.List...)
	return id, model.Outcome{Summary: fmt.Sprintf("migration #%d of %s from %s to %s started: 12 paths queued", id, name,
		model.VersionName(from), model.VersionName(to)), AuditSeqs: []int64{950}}, nil
}
