package main

import (
	"context"
	"fmt"
	"io"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// migrationWallets reads --from and --to, both required.
func migrationWallets(name, from, to string) (int, int, error) {
	if from == "" || to == "" {
		return 0, 0, fmt.Errorf("%s needs --from and --to, e.g. `console %s --from v2 --to v1`", name, name)
	}
	f, err := model.ParseVersion(from)
	if err != nil {
		return 0, 0, fmt.Errorf("%s --from: %w", name, err)
	}
	t, err := model.ParseVersion(to)
	if err != nil {
		return 0, 0, fmt.Errorf("%s --to: %w", name, err)
	}
	return f, t, nil
}

// bindMigrationPlan is `console migration plan --from vA --to vB
// [--manufacturer NAME …] [--json]` (ops.PlanMigration): read-only.
func bindMigrationPlan(fs *flag.FlagSet) handler {
	from := fs.String("from", "", "the wallet the manufacturers leave, e.g. v2")
	to := fs.String("to", "", "the wallet they move to, e.g. v1")
	names := fs.StringArray("manufacturer", nil, "plan only this manufacturer (repeat for more); default every one")
	batch := intFlag(fs, "batch", ops.DefaultMigrationBatch, 1, 100000, "paths per batch the start would queue for")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		f, t, err := migrationWallets("migration plan", *from, *to)
		if err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			p, err := s.PlanMigration(ctx, f, t, *names, *batch)
			if err != nil {
				return err
			}
			if *asJSON {
				return printMigrationPlanJSON(c.out, p)
			}
			printMigrationPlan(c.out, p)
			return nil
		})
	}
}

// bindMigrationStart is `console migration start --from vA --to vB
// --manufacturer NAME [--batch 5000]` (ops.StartMigration: the plan's
// refusals, then the start in one transaction).
func bindMigrationStart(fs *flag.FlagSet) handler {
	from := fs.String("from", "", "the wallet the manufacturer leaves, e.g. v2")
	to := fs.String("to", "", "the wallet it moves to, e.g. v1")
	name := fs.String("manufacturer", "", "the manufacturer, as registered in the source wallet")
	batch := intFlag(fs, "batch", ops.DefaultMigrationBatch, 1, 100000, "paths moved per batch")
	reason := fs.String("reason", "wallet_deprecation", "why it moves, for the lineage and the audit log (at most 50 characters)")
	maxLoad := fs.String("max-load", "", "the migration's own load limits, for every worker that runs it: waiting=N, active=N (0 turns one off); a worker's own --max-load comes first")
	return func(ctx context.Context, c *call) error {
		f, t, err := migrationWallets("migration start", *from, *to)
		if err != nil {
			return err
		}
		var lim store.MigrationLimits
		if fs.Changed("max-load") {
			w, a := -1, -1
			if err := parseMaxLoad("migration start", *maxLoad, &w, &a); err != nil {
				return err
			}
			if w >= 0 {
				lim.MaxWaiting = &w
			}
			if a >= 0 {
				lim.MaxActive = &a
			}
			if !lim.Set() {
				return fmt.Errorf("migration start --max-load: give waiting=N, active=N or both (0 turns one off)")
			}
		}
		if *name == "" {
			return fmt.Errorf("migration start needs --manufacturer NAME: `console migration plan --from %s --to %s` lists who can move", *from, *to)
		}
		return c.serve(ctx, func(s *ops.Service) error {
			p, err := s.PlanMigration(ctx, f, t, []string{*name}, *batch)
			if err != nil {
				return err
			}
			printMigrationPlan(c.out, p)
			out, err := s.StartMigration(ctx, f, t, *name, *reason, *batch, lim)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, ui.Inert(out.Summary))
			for _, ch := range out.Changes {
				fmt.Fprintf(c.out, "  %s\n", ui.Inert(ch))
			}
			for _, seq := range out.AuditSeqs {
				fmt.Fprintf(c.out, "  audit row #%d\n", seq)
			}
			return nil
		})
	}
}

func printMigrationPlan(w io.Writer, p ops.MigrationPlan) {
	fmt.Fprintf(w, "Migration plan %s → %s (batches of %d), in the order to move them:\n",
		model.VersionName(p.From), model.VersionName(p.To), p.Batch)
	for _, m := range p.Manufacturers {
		verdict := "can start"
		if !m.CanStart() {
			verdict = "REFUSED"
		}
		org := ""
		if m.Organization != "" {
			org = ", " + m.Organization + " (" + m.OrganizationType + ")"
		}
		if m.Index > 0 {
			fmt.Fprintf(w, "\n%s (index %d%s): %s\n", ui.Inert(m.Name), m.Index, ui.Inert(org), verdict)
			last := "never"
			if m.LastAllocatedAt != nil {
				last = m.LastAllocatedAt.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(w, "  %d live paths (%d active), %d identifiers; %d allocated in the last 30 days, last %s\n",
				m.LivePaths, m.ActivePaths, m.Identifiers, m.RecentAllocations, last)
			fmt.Fprintf(w, "  complexity %s (score %d), business priority %s\n", m.Complexity, m.ComplexityScore, m.BusinessPriority)
			for _, ph := range m.Phases {
				fmt.Fprintf(w, "  phase %d (%s): %d paths, %s\n", ph.Number, ph.Priority, ph.Paths, ph.What)
			}
		} else {
			fmt.Fprintf(w, "\n%s: %s\n", ui.Inert(m.Name), verdict)
		}
		for _, r := range m.Refusals {
			fmt.Fprintf(w, "  ✗ %s (%s)\n", ui.Inert(r.Reason), ui.Inert(r.Fix))
		}
		if m.CanStart() {
			fmt.Fprintln(w, "  the start will:")
			for _, s := range m.Steps {
				fmt.Fprintf(w, "    - %s\n", ui.Inert(s))
			}
		}
	}
}

// migrationPlanJSON is `migration plan --json`.
type migrationPlanJSON struct {
	From          string                  `json:"from"`
	To            string                  `json:"to"`
	BatchSize     int                     `json:"batch_size"`
	Manufacturers []manufacturerMigration `json:"manufacturers"`
}

type manufacturerMigration struct {
	Name              string         `json:"manufacturer_name"`
	Index             int            `json:"manufacturer_index"`
	RegistryStatus    string         `json:"registry_status"`
	Organization      string         `json:"organization"`
	OrganizationType  string         `json:"organization_type"`
	KeyDelegation     string         `json:"key_delegation_level"`
	LivePaths         int64          `json:"live_paths"`
	ActivePaths       int64          `json:"active_paths"`
	Identifiers       int64          `json:"identifiers"`
	RecentAllocations int64          `json:"recent_allocations_30_days"`
	LastAllocatedAt   *time.Time     `json:"last_allocated_at"`
	Complexity        string         `json:"complexity"`
	ComplexityScore   int64          `json:"complexity_score"`
	BusinessPriority  string         `json:"business_priority"`
	CanStart          bool           `json:"can_start"`
	Refusals          []refusalJSON  `json:"refusals"`
	Phases            []migPhaseJSON `json:"phases"`
	Steps             []string       `json:"steps"`
}

type refusalJSON struct {
	Reason string `json:"reason"`
	Fix    string `json:"fix"`
}

type migPhaseJSON struct {
	Phase    int    `json:"phase"`
	Priority string `json:"priority"`
	Paths    int64  `json:"paths"`
	What     string `json:"what"`
}

func printMigrationPlanJSON(w io.Writer, p ops.MigrationPlan) error {
	out := migrationPlanJSON{From: model.VersionName(p.From), To: model.VersionName(p.To), BatchSize: p.Batch,
		Manufacturers: []manufacturerMigration{}}
	for _, m := range p.Manufacturers {
		j := manufacturerMigration{Name: m.Name, Index: m.Index, RegistryStatus: m.RegistryStatus,
			Organization: m.Organization, OrganizationType: m.OrganizationType, KeyDelegation: m.KeyDelegation,
			LivePaths: m.LivePaths, ActivePaths: m.ActivePaths, Identifiers: m.Identifiers,
			RecentAllocations: m.RecentAllocations, LastAllocatedAt: m.LastAllocatedAt, Complexity: m.Complexity,
			ComplexityScore: m.ComplexityScore, BusinessPriority: m.BusinessPriority, CanStart: m.CanStart(),
			Refusals: []refusalJSON{}, Phases: []migPhaseJSON{}, Steps: m.Steps}
		if j.Steps == nil {
			j.Steps = []string{}
		}
		for _, r := range m.Refusals {
			j.Refusals = append(j.Refusals, refusalJSON{r.Reason, r.Fix})
		}
		for _, ph := range m.Phases {
			j.Phases = append(j.Phases, migPhaseJSON{ph.Number, ph.Priority, ph.Paths, ph.What})
		}
		out.Manufacturers = append(out.Manufacturers, j)
	}
	return printJSON(w, out)
}
