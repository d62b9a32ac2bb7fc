package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/ui"
)

// This file: request new, list, show, approve, reject and export.

func bindRequestNew(fs *flag.FlagSet) handler {
	var nr model.NewRequest
	env := fs.String("environment", "", "production, testing or development")
	fs.StringVar(&nr.Purpose, "purpose", "", "what the wallet is for (e.g. capacity_expansion)")
	level := fs.String("security-level", "", "standard, high or experimental")
	fs.StringVar(&nr.EstimatedLifespan, "lifespan", "", "estimated lifespan (e.g. \"2 years\")")
	fs.StringVar(&nr.Reason, "reason", "", "the justification")
	fs.StringVar((*string)(&nr.RiskLevel), "risk", string(model.RiskMedium), "low, medium or high (high needs an executive approval too)")
	fs.StringVar((*string)(&nr.Priority), "priority", string(model.PriorityStandard), "standard, high or emergency")
	fs.StringVar(&nr.RequesterEmail, "email", "", "the requester's email")
	fs.StringVar(&nr.BusinessImpact, "business-impact", "", "business impact")
	fs.StringVar(&nr.RiskIfDelayed, "risk-if-delayed", "", "risk if delayed")
	fs.StringVar(&nr.HSMRequirements, "hsm-requirements", "", "HSM requirements")
	fs.StringVar(&nr.PerformanceRequirements, "performance-requirements", "", "performance requirements")
	fs.StringVar(&nr.StorageRequirements, "storage-requirements", "", "storage requirements")
	fs.StringVar(&nr.BackupRequirements, "backup-requirements", "", "backup requirements")
	return func(ctx context.Context, c *call) error {
		// Refuse a request without the template's required fields before
		// the database is opened.
		var missing []string
		for _, name := range []string{"environment", "purpose", "security-level", "lifespan", "reason"} {
			if strings.TrimSpace(c.fs.Lookup(name).Value.String()) == "" {
				missing = append(missing, "--"+name)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("request new needs %s, e.g. `console request new --environment testing --purpose capacity_expansion --security-level high --lifespan \"2 years\" --reason \"v3 is 80%% allocated\"`", strings.Join(missing, ", "))
		}
		nr.Environment, nr.SecurityLevel = model.Environment(*env), model.SecurityLevel(*level)
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		id, err := s.FileRequest(ctx, nr)
		if err != nil {
			return err
		}
		r, err := s.Request(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintf(c.out, "filed %s by %s: %s wallet for %s, security level %s, risk %s\n", r.ID, ui.Inert(r.RequestedBy),
			r.Environment, ui.Inert(r.Purpose), r.SecurityLevel, r.RiskLevel)
		fmt.Fprintf(c.out, "it needs approvals from: %s (each by another person than %s, with their own database login)\n",
			strings.Join(r.RequiredApprovals, ", "), ui.Inert(r.RequestedBy))
		for _, role := range r.RequiredApprovals {
			fmt.Fprintf(c.out, "  console request approve %s --role %s\n", r.ID, role)
		}
		return nil
	}
}

func bindRequestList(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			rs, err := s.Requests(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if rs == nil {
					rs = []model.CreationRequest{}
				}
				return printJSON(c.out, struct {
					Database string                  `json:"database"`
					Requests []model.CreationRequest `json:"requests"`
				}{s.Where(), rs})
			}
			if len(rs) == 0 {
				fmt.Fprintln(c.out, "no creation requests yet (file one with `console request new`)")
				return nil
			}
			tw := tabwriter.NewWriter(c.out, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "REQUEST\tSTATUS\tENVIRONMENT\tPURPOSE\tSECURITY\tRISK\tBY\tFILED (UTC)\tSTANDING")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ui.Inert(r.ID), r.Status, r.Environment, ui.Inert(r.Purpose),
					r.SecurityLevel, r.RiskLevel, ui.Inert(r.RequestedBy), r.RequestDate.UTC().Format("2006-01-02 15:04"), standing(r))
			}
			return tw.Flush()
		})
	}
}

func bindRequestShow(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			r, err := s.Request(ctx, c.args[0])
			if err != nil {
				return err
			}
			if *asJSON {
				return printJSON(c.out, r)
			}
			printRequest(c.out, r)
			return nil
		})
	}
}

// bindRequestDecide is `request approve` and `request reject`.
func bindRequestDecide(verb string) binding {
	decision := map[string]model.Decision{"approve": model.DecisionApproved, "reject": model.DecisionRejected}[verb]
	return func(fs *flag.FlagSet) handler {
		role := fs.String("role", "", "security, operations, executive or compliance")
		help := "why (optional)"
		if decision == model.DecisionRejected {
			help = "why, so that the requester can act on it (required)"
		}
		reason := fs.String("reason", "", help)
		return func(ctx context.Context, c *call) error {
			if *role == "" {
				return fmt.Errorf("request %s needs --role (%s)", verb, strings.Join(model.ApproverRoles, ", "))
			}
			if decision == model.DecisionRejected && strings.TrimSpace(*reason) == "" {
				return fmt.Errorf("request reject needs --reason: say why, so that the requester can act on it")
			}
			s, closeS, err := c.g.service(ctx)
			if err != nil {
				return err
			}
			defer closeS()
			r, err := s.DecideRequest(ctx, c.args[0], *role, decision, *reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "%s %s as %s by %s\n", r.ID, decision, strings.ToLower(*role), ui.Inert(ops.Decider(r, *role)))
			fmt.Fprintf(c.out, "%s: %s\n", r.Status, standing(r))
			return nil
		}
	}
}

func bindRequestExport(fs *flag.FlagSet) handler {
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			res, err := s.ExportRequest(ctx, c.args[0], c.args[1])
			if err != nil {
				return err
			}
			printLines(c.out, res.String())
			return nil
		})
	}
}
