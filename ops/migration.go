package ops

// This file: moving a manufacturer from one wallet to another (issue 12):
// the plan (`console migration plan`) and the start (`console migration
// start`). The engine that moves the queued paths comes later; the start
// leaves it the queue, the migration's row and the lineage to work from.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// DefaultMigrationBatch is the paths per batch when the operator gives none
// (the issue's --batch 5000).
const DefaultMigrationBatch = 5000

// MigrationPhase is one phase of a manufacturer's migration: the queue's
// paths of one priority, moved before the next phase's.
type MigrationPhase struct {
	Number   int
	Priority string
	Paths    int64
	What     string
}

// ManufacturerMigration is the plan for one manufacturer: what the database
// says of it, why it cannot start (nothing: it can), its phases and what the
// start will do.
type ManufacturerMigration struct {
	store.MigrationAssessment
	Refusals []store.MigrationRefusal
	Phases   []MigrationPhase
	Steps    []string
}

// CanStart says whether nothing refuses the start.
func (m ManufacturerMigration) CanStart() bool { return len(m.Refusals) == 0 }

// MigrationPlan is the seed's create_migration_plan for wallet From to To:
// the manufacturers in the seed's order, business priority first (high
// before low), the more complex first within one priority.
type MigrationPlan struct {
	From, To      int
	Batch         int
	Manufacturers []ManufacturerMigration
}

var priorityRank = map[string]int{"high": 0, "medium": 1, "low": 2}

// PlanMigration says, for each manufacturer of wallet from (only names, when
// given), what moving it to wallet to involves and whether it can start;
// it writes nothing.
func (s *Service) PlanMigration(ctx context.Context, from, to int, names []string, batch int) (MigrationPlan, error) {
	plan := MigrationPlan{From: from, To: to, Batch: batch}
	if batch < 1 || batch > 100000 {
		return plan, fmt.Errorf("--batch %d: give between 1 and 100000 paths per batch", batch)
	}
	all, err := s.DB.MigrationAssessments(ctx, from)
	if err != nil {
		return plan, err
	}
	if len(all) == 0 && len(names) == 0 {
		// No manufacturers: say why in the refusals' words (no such
		// wallet, …) or that there is nothing to move.
		refusals, err := s.DB.MigrationRefusals(ctx, from, to, "")
		if err != nil {
			return plan, err
		}
		if len(refusals) > 0 && !strings.Contains(refusals[len(refusals)-1].Reason, "is not registered in") {
			return plan, fmt.Errorf("migration plan %s → %s: %s", model.VersionName(from), model.VersionName(to), refusals[0].Reason)
		}
		return plan, fmt.Errorf("%s has no manufacturers: nothing to migrate", model.VersionName(from))
	}
	var picked []store.MigrationAssessment
	if len(names) == 0 {
		picked = all
	}
	for _, n := range names {
		i := slices.IndexFunc(all, func(a store.MigrationAssessment) bool { return a.Name == n })
		if i < 0 {
			// Planned all the same: its refusal says it is not registered there.
			picked = append(picked, store.MigrationAssessment{Name: n})
			continue
		}
		picked = append(picked, all[i])
	}
	for _, a := range picked {
		refusals, err := s.DB.MigrationRefusals(ctx, from, to, a.Name)
		if err != nil {
			return plan, err
		}
		if s.DB.ReadOnly() {
			refusals = append(refusals, store.MigrationRefusal{Reason: store.ErrReadOnly.Error(),
				Fix: "start the console without --read-only to start a migration"})
		}
		m := ManufacturerMigration{MigrationAssessment: a, Refusals: refusals}
		m.Phases, m.Steps = migrationSteps(a, from, to, batch)
		plan.Manufacturers = append(plan.Manufacturers, m)
	}
	slices.SortStableFunc(plan.Manufacturers, func(a, b ManufacturerMigration) int {
		return cmp.Or(cmp.Compare(priorityRank[a.BusinessPriority], priorityRank[b.BusinessPriority]),
			cmp.Compare(b.ComplexityScore, a.ComplexityScore), cmp.Compare(a.Index, b.Index))
	})
	return plan, nil
}

// migrationSteps is what the start does for a, and the phases the engine
// will move its paths in (the queue's priorities by age, as the start
// queues them).
func migrationSteps(a store.MigrationAssessment, from, to, batch int) ([]MigrationPhase, []string) {
	fv, tv := model.VersionName(from), model.VersionName(to)
	phases := []MigrationPhase{
		{1, "high", a.QueueHigh, "paths allocated in the last 30 days (the ones in use now) first"},
		{2, "medium", a.QueueMedium, "then paths allocated 30 to 90 days ago"},
		{3, "low", a.QueueLow, "then the older paths"},
	}
	if a.Index == 0 {
		return phases, nil
	}
	steps := []string{
		fmt.Sprintf("register %s in %s as migrating, with its index %d, migrated from %s", a.Name, tv, a.Index, fv),
		fmt.Sprintf("mark %s migrating in %s (it keeps allocating there until its paths move)", a.Name, fv),
		fmt.Sprintf("%s's lineage: now %s (index %d), before it %s; in progress, 0 %%", a.Name, tv, a.Index, fv),
		fmt.Sprintf("queue its %d active paths: %d high, %d medium, %d low, to move in batches of %d",
			a.ActivePaths, a.QueueHigh, a.QueueMedium,
			a.QueueLow, batch),
		fmt.Sprintf("record the migration (business priority %s, complexity %s, 3 phases) and the manufacturer_migration_started audit row",
			a.BusinessPriority, a.Complexity),
		"all in one transaction: a refusal or a failure changes nothing",
	}
	return phases, steps
}

// MigrationRefused is returned by StartMigration when the plan refuses:
// nothing changed.
type MigrationRefused struct {
	Name     string
	From, To int
	Refusals []store.MigrationRefusal
}

func (e *MigrationRefused) Error() string {
	parts := make([]string, 0, len(e.Refusals))
	for _, r := range e.Refusals {
		parts = append(parts, r.Reason+" ("+r.Fix+")")
	}
	return fmt.Sprintf("migration of %s from %s to %s: REFUSED: %s; nothing changed", e.Name,
		model.VersionName(e.From), model.VersionName(e.To), strings.Join(parts, "; "))
}

// StartMigration plans name's migration and, when nothing refuses, starts
// it: the database checks the same refusals again under its locks.
func (s *Service) StartMigration(ctx context.Context, from, to int, name, reason string, batch int, lim store.MigrationLimits) (model.Outcome, error) {
	plan, err := s.PlanMigration(ctx, from, to, []string{name}, batch)
	if err != nil {
		return model.Outcome{}, err
	}
	m := plan.Manufacturers[0]
	if !m.CanStart() {
		return model.Outcome{}, &MigrationRefused{Name: name, From: from, To: to, Refusals: m.Refusals}
	}
	started, err := s.DB.StartMigration(ctx, from, to, name, reason, batch, s.Actor, lim)
	if err != nil {
		return model.Outcome{}, err
	}
	fv, tv := model.VersionName(from), model.VersionName(to)
	o := model.Outcome{
		Summary: fmt.Sprintf("migration #%d of %s from %s to %s started: %d paths queued", started.ID, name, fv, tv,
			started.Queued),
		Changes: []string{
			fmt.Sprintf("%s is registered in %s as migrating (index %d, from %s)", name, tv, m.Index, fv),
			fmt.Sprintf("%s is migrating in %s", name, fv),
			fmt.Sprintf("%s's lineage: %s, in progress, 0 %%", name, tv),
			fmt.Sprintf("%d paths queued (batches of %d)", started.Queued, batch),
		},
		AuditSeqs: []int64{started.Seq},
	}
	if lim.Set() {
		o.Changes = append(o.Changes, "its workers throttle at "+LoadLimits(lim.MaxWaiting, lim.MaxActive)+" unless given --max-load")
		if started.LimitsSeq != 0 {
			o.AuditSeqs = append(o.AuditSeqs, started.LimitsSeq)
		}
	}
	return o, nil
}

// LoadLimits says a migration's load limits as --max-load takes them
// ("waiting=8, active off"); a limit not set is the worker's default.
func LoadLimits(waiting, active *int) string {
	say := func(name string, n *int) string {
		switch {
		case n == nil:
			return name + " as the worker's"
		case *n == 0:
			return name + " off"
		}
		return fmt.Sprintf("%s=%d", name, *n)
	}
	return say("waiting", waiting) + ", " + say("active", active)
}
