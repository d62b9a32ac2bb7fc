package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// migrationView gives the Migrations screen and the migration flow the
// migrations, in the ui's types (ui does not know store).
type migrationView struct{ s *ops.Service }

var _ ui.Migrator = migrationView{}

func uiMigration(m ops.Migration) ui.Migration {
	u := ui.Migration{MigrationFigures: m.Figures(), Reason: m.Reason, Priority: m.Priority, Complexity: m.Complexity,
		BatchSize: m.BatchSize, ThrottledUntil: m.ThrottledUntil, CompletedAt: m.CompletedAt, VerifiedAt: m.VerifiedAt,
		VerifyFindings: m.VerifyFindings}
	if m.MaxWaiting != nil || m.MaxActive != nil {
		u.LoadLimits = ops.LoadLimits(m.MaxWaiting, m.MaxActive)
	}
	return u
}

func (v migrationView) Migrations(ctx context.Context) ([]ui.Migration, error) {
	all, err := v.s.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ui.Migration, len(all))
	for i, m := range all {
		out[i] = uiMigration(m)
	}
	return out, nil
}

func (v migrationView) PlanControl(ctx context.Context, verb string, id int64) (model.Plan, []model.Check, error) {
	return v.s.PlanMigrationControl(ctx, verb, id)
}

func (v migrationView) Control(ctx context.Context, verb string, id int64, reason string, until time.Time) (model.Outcome, error) {
	did, seq, err := v.s.MigrationControl(ctx, verb, id, reason, until)
	if err != nil {
		return model.Outcome{}, err
	}
	o := model.Outcome{Summary: did}
	if seq != 0 {
		o.AuditSeqs = []int64{seq}
	}
	return o, nil
}

func (v migrationView) Verify(ctx context.Context, id int64) (model.Outcome, error) {
	return v.s.VerifyMigrationOutcome(ctx, id)
}

// RunWorker runs ops.RunMigrations for one migration as the console's
// background job: each batch's news carries the exact progress.
func (v migrationView) RunWorker(ctx context.Context, id int64, news func(ui.WorkerNews)) (model.Outcome, error) {
	start, err := v.s.Migration(ctx, id)
	if err != nil {
		return model.Outcome{}, err
	}
	f := start.Figures()
	of := f.Of()
	batches, moved := 0, 0
	err = v.s.RunMigrations(ctx, ops.MigrationWorker{ID: id, OnEvent: func(e ops.WorkerEvent) {
		n := ui.WorkerNews{Of: of, Done: -1, Throttle: e.Throttle, Wait: e.Wait, Took: e.Took}
		if e.Err != nil {
			n.Err = e.Err.Error()
		}
		if e.Batch.BatchNo > 0 {
			batches++
			moved += e.Batch.Moved
			n.Batch, n.Moved, n.Done = e.Batch.BatchNo, e.Batch.Moved, of-e.Batch.Remaining
		}
		news(n)
	}})
	if err != nil {
		return model.Outcome{}, err
	}
	if ctx.Err() != nil {
		// Stopped by the operator or by quitting: what moved stays moved.
		return model.Outcome{}, fmt.Errorf("the worker for migration #%d stopped after %d batch(es) (%d paths); the batch in flight committed or rolled back whole: %w",
			id, batches, moved, ctx.Err())
	}
	end, err := v.s.Migration(context.WithoutCancel(ctx), id)
	if err != nil {
		return model.Outcome{}, err
	}
	g := end.Figures()
	verb := "moved"
	if g.Direction == "rollback" {
		verb = "returned"
	}
	o := model.Outcome{
		Summary: fmt.Sprintf("migration #%d: %s of %s paths %s; %s", id, model.Group(g.Done()), model.Group(g.Of()), verb, g.Shown()),
		Changes: []string{fmt.Sprintf("this worker ran %d batch(es) and %s %d paths", batches, verb, moved)},
	}
	if g.State == "moved" {
		o.Changes = append(o.Changes, "verify it (v) to complete it: every path is compared in both wallets")
	}
	return o, nil
}

func (v migrationView) Candidates(ctx context.Context, from, to, batch int) ([]ui.MigrationCandidate, error) {
	p, err := v.s.PlanMigration(ctx, from, to, nil, batch)
	if err != nil {
		return nil, err
	}
	out := make([]ui.MigrationCandidate, 0, len(p.Manufacturers))
	for _, m := range p.Manufacturers {
		c := ui.MigrationCandidate{Name: m.Name, Index: m.Index, LivePaths: m.LivePaths, Identifiers: m.Identifiers,
			Complexity: m.Complexity, BusinessPriority: m.BusinessPriority}
		for _, r := range m.Refusals {
			c.Refusals = append(c.Refusals, strings.TrimSpace(r.Reason+" ("+r.Fix+")"))
		}
		out = append(out, c)
	}
	return out, nil
}

func (v migrationView) PlanStart(ctx context.Context, from, to int, name string, batch int) (model.Plan, []model.Check, error) {
	return v.s.PlanMigrationStart(ctx, from, to, name, batch)
}

func (v migrationView) Start(ctx context.Context, from, to int, name, reason string, batch int) (int64, model.Outcome, error) {
	o, err := v.s.StartMigration(ctx, from, to, name, reason, batch, store.MigrationLimits{})
	if err != nil {
		return 0, o, err
	}
	// The start's own row is the newest migration of this manufacturer.
	all, err := v.s.Migrations(ctx)
	if err != nil {
		return 0, o, nil
	}
	var id int64
	for _, m := range all {
		if m.Manufacturer == name && m.Source == from && m.Target == to && m.ID > id {
			id = m.ID
		}
	}
	return id, o, nil
}
