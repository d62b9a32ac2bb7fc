package ops

// This file: what the console's Migrations screen and its migration flow
// need beyond the CLI's calls, in model's types (the ui knows no store
// type): the plan and checks of each control before it runs, the plan of a
// start for one manufacturer, and a verify told as an outcome. The
// database checks every control again when it runs: a check here explains
// before anything is sent, it does not guard.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// MigrationWorkerVerb is the worker's entry in PlanMigrationControl: run
// the batches of one migration (its direction) until they are done.
const MigrationWorkerVerb = "run"

// migrationCheck is a check that passes when ok, failing with fix.
func migrationCheck(name string, ok bool, evidence, fix string) model.Check {
	c := model.Check{Name: name, State: model.CheckPass, Evidence: evidence}
	if !ok {
		c.State, c.Fix = model.CheckFail, fix
	}
	return c
}

// PlanMigrationControl says what verb (pause, resume, throttle,
// unthrottle, rollback, verify, or run: the worker) would do to migration
// id, and checks it against the migration as the database has it now; it
// writes nothing.
func (s *Service) PlanMigrationControl(ctx context.Context, verb string, id int64) (model.Plan, []model.Check, error) {
	m, err := s.Migration(ctx, id)
	if err != nil {
		return model.Plan{}, nil, err
	}
	f := m.Figures()
	fv, tv := model.VersionName(f.Source), model.VersionName(f.Target)
	what := fmt.Sprintf("migration #%d (%s, %s → %s)", id, f.Manufacturer, fv, tv)
	// Where the paths go in the current direction.
	to, from := tv, fv
	if f.Direction == "rollback" {
		to, from = fv, tv
	}
	progress := fmt.Sprintf("%s of %s done (%s)", model.Group(f.Done()), model.Group(f.Of()), f.Shown())
	state := model.Check{Name: "the migration as it stands", State: model.CheckPass, Evidence: progress}
	plan := model.Plan{Target: fmt.Sprintf("#%d", id)}
	var checks []model.Check
	moving := f.State == "running" || f.State == "rolling_back"
	switch verb {
	case "pause":
		plan.Title = "Pause " + what
		plan.Steps = []string{
			"no new batch starts; the one in flight, if any, commits or rolls back whole (each batch is one transaction)",
			"the reason is recorded and shown with the state: paused: REASON",
			"the manufacturer's lineage shows paused; allocations keep working in both wallets",
			"the audit row manufacturer_migration_paused; resume (c) carries on where it stopped",
		}
		switch {
		case f.State == "paused":
			state = migrationCheck("it is moving", false, "it is already "+f.Shown(), "resume it (c) to carry on")
		default:
			state = migrationCheck("it is moving", moving, progress, "only a running migration or a rollback under way can be paused")
		}
	case "resume":
		plan.Title = "Resume " + what
		plan.Steps = []string{
			fmt.Sprintf("the state goes back to %s: batches move its paths to %s again", map[bool]string{true: "rolling_back", false: "running"}[f.Direction == "rollback"], to),
			"a worker moves them: run one here (w) or `console migration run " + fmt.Sprint(id) + "`",
			"the audit row manufacturer_migration_resumed",
		}
		state = migrationCheck("it is paused", f.State == "paused", progress, "only a paused migration resumes")
	case "throttle":
		plan.Title = "Throttle " + what
		plan.Steps = []string{
			"no new batch starts until the throttle ends or is lifted (T); the one in flight commits or rolls back whole",
			"the reason is recorded and shown with the state: throttled by the operator: REASON",
			"the audit row manufacturer_migration_throttled",
		}
		state = migrationCheck("it has batches to hold", moving || f.State == "paused", progress,
			"a throttle holds a running, rolling back or paused migration only")
		if f.ThrottleReason != "" && f.ThrottledBy == "operator" {
			checks = append(checks, model.Check{Name: "its throttle", State: model.CheckWarn,
				Evidence: "already throttled (" + f.ThrottleReason + "): the new reason replaces it"})
		}
	case "unthrottle":
		plan.Title = "Lift the throttle of " + what
		plan.Steps = []string{
			"the batches carry on at once (a worker moves them)",
			"the audit row manufacturer_migration_unthrottled",
		}
		state = migrationCheck("it is throttled", f.ThrottledBy != "", progress, "there is no throttle to lift")
		if f.ThrottledBy == "worker" {
			checks = append(checks, model.Check{Name: "who throttled it", State: model.CheckWarn,
				Evidence: "the worker (" + f.ThrottleReason + "): it throttles again while the cause lasts"})
		}
	case "rollback":
		plan.Title = "Roll back " + what
		plan.Target = fmt.Sprintf("rollback #%d", id)
		plan.Destructive = true
		plan.Steps = []string{
			fmt.Sprintf("turn it back: batches return its %s moved paths (and those allocated under it in %s since the start) to %s",
				model.Group(f.Moved), tv, fv),
			fmt.Sprintf("new allocations under %s go to %s again; the lineage is in progress again", f.Manufacturer, fv),
			"a worker moves them back: run one here (w) or `console migration run " + fmt.Sprint(id) + "`",
			"the audit row manufacturer_migration_rollback_started; once rolled back it cannot go forward again: start a new migration",
		}
		switch {
		case f.Direction == "rollback":
			state = migrationCheck("it is going forward", false, "it is already "+f.Shown(), "nothing to do: its rollback is under way or done")
		default:
			ok := f.State == "running" || f.State == "paused" || f.State == "moved" || f.State == "completed"
			state = migrationCheck("it can turn back", ok, progress, "only a running, paused, moved or completed migration rolls back")
		}
		if w, err := s.Wallet(ctx, f.Source); err == nil {
			gone := w.Status == model.StatusRetired || w.Status == model.StatusCompromised
			checks = append(checks, migrationCheck("the source takes paths back", !gone,
				fmt.Sprintf("%s is %s", fv, w.Status), fmt.Sprintf("a %s wallet takes no path back: the paths stay in %s", w.Status, tv)))
		}
	case "verify":
		plan.Title = "Verify " + what
		plan.Steps = []string{
			fmt.Sprintf("compare %s's paths in %s and %s as whole sets: every path moved exactly once, none left live in %s, none missing, extra or different in %s",
				f.Manufacturer, fv, tv, fv, tv),
			"check the queue and the counters, and recompute every batch's checksum",
			"it reads every path (on millions it takes a while: it runs as a job); it changes nothing else",
			"the audit row manufacturer_migration_verified (or _completed)",
		}
		if f.State == "moved" {
			plan.Steps = append(plan.Steps, fmt.Sprintf("clean: it completes the migration in the same transaction: %s active in %s, migrated in %s, lineage completed 100 %%",
				f.Manufacturer, tv, fv))
		}
		state = model.Check{Name: "the migration as it stands", State: model.CheckPass, Evidence: progress}
		if f.Moving() || f.State == "paused" {
			checks = append(checks, model.Check{Name: "what verify can say", State: model.CheckWarn,
				Evidence: "it is not moved yet: paths still queued show as findings, and nothing completes"})
		}
	case MigrationWorkerVerb:
		plan.Title = "Run the worker for " + what
		left := f.Of() - f.Done()
		plan.Steps = []string{
			fmt.Sprintf("move its %s remaining paths to %s in batches sized to %s each (one transaction per batch, with its audit row)",
				model.Group(left), to, DefaultChunkTime),
			"as a background job of this console: its progress shows here and in the header while you look elsewhere",
			"it waits while the migration is paused or throttled, and stops when every path has moved (then verify, v)",
			fmt.Sprintf("x or quitting the console stops it: the batch in flight commits or rolls back whole; nothing is left half-moved in %s or %s", from, to),
		}
		switch {
		case moving:
			state = migrationCheck("it has paths to move", true, progress, "")
			if f.ThrottleReason != "" {
				checks = append(checks, model.Check{Name: "its throttle", State: model.CheckWarn,
					Evidence: f.Shown() + ": the worker waits until it ends"})
			}
		case f.State == "paused":
			state = model.Check{Name: "it has paths to move", State: model.CheckWarn,
				Evidence: f.Shown() + ": the worker waits until it is resumed (c)"}
		default:
			state = migrationCheck("it has paths to move", false, progress, "nothing to move: verify it (v), or start a new migration")
		}
	default:
		return model.Plan{}, nil, fmt.Errorf("%q is not a migration control: use one of %s", verb, strings.Join(MigrationVerbs, ", "))
	}
	if s.DB.ReadOnly() {
		checks = append(checks, migrationCheck("a session that may write", false, store.ErrReadOnly.Error(),
			"start the console without --read-only"))
	}
	return plan, append([]model.Check{state}, checks...), nil
}

// PlanMigrationStart is PlanMigration for one manufacturer as a flow's
// plan: what the start does, its phases, and each refusal as a failed
// check with what to do.
func (s *Service) PlanMigrationStart(ctx context.Context, from, to int, name string, batch int) (model.Plan, []model.Check, error) {
	p, err := s.PlanMigration(ctx, from, to, []string{name}, batch)
	if err != nil {
		return model.Plan{}, nil, err
	}
	m := p.Manufacturers[0]
	fv, tv := model.VersionName(from), model.VersionName(to)
	plan := model.Plan{Title: fmt.Sprintf("Migrate %s from %s to %s", name, fv, tv), Target: name}
	var phases []string
	for _, ph := range m.Phases {
		phases = append(phases, fmt.Sprintf("%d: %s %s", ph.Number, model.Group(ph.Paths), ph.Priority))
	}
	plan.Steps = append(plan.Steps, "its active paths in 3 phases by age, newest first (high: the last 30 days, medium: 30 to 90, low: older) — "+
		strings.Join(phases, ", "))
	if len(m.Refusals) > 0 {
		// What the start would do is moot: what refuses it comes first.
		plan.Steps = append(plan.Steps, "refused: nothing starts until what the checks below name is fixed")
	} else {
		plan.Steps = append(plan.Steps, m.Steps...)
		plan.Steps = append(plan.Steps, "the paths stay in "+fv+" until a worker moves them (offered next)")
	}
	var checks []model.Check
	for _, r := range m.Refusals {
		checks = append(checks, model.Check{Name: "refused", State: model.CheckFail, Evidence: r.Reason, Fix: r.Fix})
	}
	if len(checks) == 0 {
		checks = append(checks, model.Check{Name: "nothing refuses the start", State: model.CheckPass,
			Evidence: fmt.Sprintf("%s live paths (%s active), %s identifiers; complexity %s, business priority %s",
				model.Group(m.LivePaths), model.Group(m.ActivePaths), model.Group(m.Identifiers), m.Complexity, m.BusinessPriority)})
	}
	return plan, checks, nil
}

// VerifyMigrationOutcome is VerifyMigration told as what it found and did.
func (s *Service) VerifyMigrationOutcome(ctx context.Context, id int64) (model.Outcome, error) {
	v, err := s.VerifyMigration(ctx, id)
	if err != nil {
		return model.Outcome{}, err
	}
	took := time.Duration(v.DurationMS * float64(time.Millisecond)).Round(time.Millisecond)
	o := model.Outcome{AuditSeqs: []int64{v.Seq}}
	switch {
	case v.FindingCount == 0 && v.Completed:
		o.Summary = fmt.Sprintf("migration #%d verified clean in %s and completed", id, took)
	case v.FindingCount == 0:
		o.Summary = fmt.Sprintf("migration #%d verified clean in %s; it is %s", id, took, v.State)
	default:
		o.Summary = fmt.Sprintf("migration #%d: verify found %d mismatch(es) in %s; nothing completed", id, v.FindingCount, took)
	}
	n := v.Counts
	o.Changes = append(o.Changes, fmt.Sprintf("%s paths queued, %s moved, %s skipped (not live when their batch ran), %s still queued, %s returned; %s batch checksums recomputed",
		model.Group(n["queued_total"]), model.Group(n["moved"]), model.Group(n["skipped"]), model.Group(n["still_queued"]),
		model.Group(n["returned"]), model.Group(n["batches_checked"])))
	if v.FindingCount == 0 {
		o.Changes = append(o.Changes, "every moved path is in its target exactly once and the same, none is left live where it was, the counters agree")
	}
	// Every key the database reported (it lists up to 50 of each kind).
	for _, f := range v.Findings {
		line := fmt.Sprintf("MISMATCH: %s: %d", f.Kind, f.Count)
		if len(f.Keys) > 0 {
			more := ""
			if f.Count > int64(len(f.Keys)) {
				more = ", …"
			}
			line += " (" + strings.Join(f.Keys, ", ") + more + ")"
		}
		o.Changes = append(o.Changes, line)
	}
	switch {
	case v.Completed:
		o.Changes = append(o.Changes, "completed: the manufacturer is active in its new wallet and migrated in the old; lineage completed 100 %")
	case v.State == "moved":
		o.Changes = append(o.Changes, "it stays moved, not completed: fix what is listed (or roll it back), then verify again")
	}
	return o, nil
}
