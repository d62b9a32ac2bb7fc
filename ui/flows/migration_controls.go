package flows

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// The Migrations screen's actions, each a flow.Spec on the one runner:
// pause, resume, throttle and its lift, rollback (typed), verify, and the
// worker as a background job. Their plans and checks come from ops (the
// migration as the database has it when the plan is made); the database
// checks each control again when it runs, and its refusal is shown in
// place.

// Migration controls, as the screen names them (ops.MigrationVerbs and the
// worker's "run").
const (
	VerbPause      = "pause"
	VerbResume     = "resume"
	VerbThrottle   = "throttle"
	VerbUnthrottle = "unthrottle"
	VerbRollback   = "rollback"
	VerbVerify     = "verify"
	VerbRun        = "run"
)

// WorkerTag is the tag of the job that runs migration id's worker.
func WorkerTag(id int64) string { return fmt.Sprintf("migration-worker/%d", id) }

// MigrationControlSpec is verb on migration id (label names it in the
// title: "#3 Volvo v2 → v1", inert). busy is the job of this console that
// already runs the worker for it (0 for none): a second one is refused.
func MigrationControlSpec(src common.Migrator, verb string, id int64, label string, now func() time.Time, busy int) flow.Spec {
	title := map[string]string{
		VerbPause: "Pause", VerbResume: "Resume", VerbThrottle: "Throttle", VerbUnthrottle: "Lift the throttle of",
		VerbRollback: "Roll back", VerbVerify: "Verify", VerbRun: "Run the worker for",
	}[verb] + " migration " + label
	spec := flow.Spec{Name: "migrations", Title: title, OneTransaction: verb != VerbRun}
	switch verb {
	case VerbPause:
		spec.Fields = []flow.Field{{Key: "reason", Label: "reason", Required: true,
			Hint: "why it stops; it shows with the state (e.g. nightly backup window)"}}
	case VerbResume:
		spec.Fields = []flow.Field{{Key: "reason", Label: "reason", Hint: "optional: why it carries on (recorded in the audit row)"}}
	case VerbThrottle:
		spec.Fields = []flow.Field{
			{Key: "reason", Label: "reason", Required: true, Hint: "why it is held; it shows with the state (e.g. allocation latency during the sale)"},
			{Key: "for", Label: "for", Hint: "how long, e.g. 30m or 2h; empty: until lifted (T)"},
		}
	case VerbRollback:
		spec.Fields = []flow.Field{{Key: "reason", Label: "reason", Required: true, Hint: "why its paths go back (recorded in the audit row)"}}
	}
	spec.Plan = func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
		p, cs, err := src.PlanControl(ctx, verb, id)
		if err != nil {
			return p, cs, err
		}
		if verb == VerbThrottle {
			if d, err := throttleFor(in["for"]); err != nil {
				cs = append(cs, check("how long", false, err.Error(), "give a duration such as 30m or 2h, or leave it empty (e for edit)"))
			} else if d > 0 {
				p.Steps = append(p.Steps, "it ends by itself "+d.String()+" after it is set")
			}
		}
		if r := in["reason"]; r != "" {
			p.Steps = append(p.Steps, "reason: "+r)
		}
		if verb == VerbRun && busy != 0 {
			cs = append(cs, check("no worker of this console runs it", false,
				"job "+common.Itoa(busy)+" is its worker already", "watch it on the Migrations screen; x in its run stops it"))
		}
		return p, cs, nil
	}
	spec.Run = func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
		switch verb {
		case VerbVerify:
			report(jobs.Progress{Note: "comparing every path of both wallets, the queue, the counters and each batch's checksum"})
			return src.Verify(ctx, id)
		case VerbRun:
			return runWorker(ctx, src, id, report)
		}
		var until time.Time
		if verb == VerbThrottle {
			d, err := throttleFor(in["for"])
			if err != nil {
				return model.Outcome{}, err
			}
			if d > 0 {
				until = now().Add(d)
			}
		}
		report(jobs.Progress{Note: verb + " in one transaction with its audit row"})
		return src.Control(ctx, verb, id, in["reason"], until)
	}
	if verb == VerbRun {
		spec.JobTag = WorkerTag(id)
	}
	return spec
}

// throttleFor reads the throttle's "for" field: 0 for until lifted.
func throttleFor(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s is not a duration such as 30m or 2h", common.Quote(s))
	}
	return d, nil
}

// runWorker runs the batches as the job's work, its progress exact (the
// queue's own counts) and its note the latest batch, throttle or wait.
func runWorker(ctx context.Context, src common.Migrator, id int64, report func(jobs.Progress)) (model.Outcome, error) {
	var last jobs.Progress
	report(jobs.Progress{Note: "reading the migration"})
	return src.RunWorker(ctx, id, func(n common.WorkerNews) {
		last.Total = n.Of
		if n.Done >= 0 {
			last.Done = n.Done
		}
		switch {
		case n.Err != "":
			last.Note = "a batch failed, retrying smaller: " + n.Err
		case n.Throttle != "":
			last.Note = "held back: " + n.Throttle
		case n.Wait != "":
			last.Note = "waiting: " + n.Wait
		case n.Batch > 0:
			last.Note = fmt.Sprintf("batch %d: %s paths in %s · %s left", n.Batch, model.Group(int64(n.Moved)),
				n.Took.Round(time.Millisecond), model.Group(max(n.Of-n.Done, 0)))
		}
		report(last)
	})
}
