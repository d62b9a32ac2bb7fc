package ops

// This file: allocating a path range in a wallet (the UI's allocation flow
// and `console allocate`).

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// AllocationRefused is returned by Allocate when a check failed: nothing was
// written. Its message is each failed check's evidence and fix.
type AllocationRefused struct {
	Request model.AllocationRequest
	Failed  []model.Check
}

func (e *AllocationRefused) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for _, c := range e.Failed {
		s := c.Evidence
		if c.Fix != "" {
			s += ": " + c.Fix
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("allocate %s in %s: %s", e.Request.Path, model.VersionName(e.Request.Wallet), strings.Join(parts, "; "))
}

// The names of the allocation checks, in the order they are reported.
const (
	CheckWritable     = "the console may write"
	CheckWallet       = "the wallet exists"
	CheckPath         = "the path is well formed"
	CheckQuantity     = "the quantity is in range"
	CheckType         = "the wallet takes this allocation type"
	CheckManufacturer = "the manufacturer is registered in the wallet"
	CheckOverlap      = "the path overlaps no live path"
)

// PlanAllocation says what Allocate would do with req and checks it, writing
// nothing. A check that needs what an earlier one found missing (the wallet,
// a well-formed path) is left out rather than reported as passed. The error is
// for a database that could not be asked; refusals are failed checks.
//
// The overlap check is advisory: the database's trigger, under its locks, is
// what refuses an overlap that commits in between.
func (s *Service) PlanAllocation(ctx context.Context, req model.AllocationRequest) (model.Plan, []model.Check, error) {
	req = req.Normalized()
	name := model.VersionName(req.Wallet)
	plan := model.Plan{Title: fmt.Sprintf("Allocate %s in %s", req.Path, name), Target: name}
	var checks []model.Check
	add := func(c model.Check) { checks = append(checks, c) }
	pass := func(n, ev string) { add(model.Check{Name: n, State: model.CheckPass, Evidence: ev}) }
	fail := func(n, ev, fix string) { add(model.Check{Name: n, State: model.CheckFail, Evidence: ev, Fix: fix}) }

	if s.DB.ReadOnly() {
		fail(CheckWritable, store.ErrReadOnly.Error(), "start the console without --read-only to allocate")
	}

	p, perr := model.ParsePath(req.Path)
	end, qerr := model.RangeEnd(req.RangeStart, req.Quantity)
	typ, terr := model.ParseAllocationType(req.Type)

	var probe store.AllocationProbe
	if req.Wallet >= 1 {
		probePath := p
		if perr != nil {
			probePath = model.Path{1} // the wallet is still worth asking about
		}
		var err error
		if probe, err = s.DB.ProbeAllocation(ctx, req.Wallet, probePath); err != nil {
			return plan, nil, fmt.Errorf("plan the allocation of %s in %s: %w", req.Path, name, err)
		}
	}
	if probe.WalletFound {
		pass(CheckWallet, fmt.Sprintf("%s exists and is %s", name, probe.WalletStatus))
	} else {
		fail(CheckWallet, fmt.Sprintf("wallet %s does not exist", name), "allocate in a wallet that exists (console status lists them)")
	}

	if perr != nil {
		fail(CheckPath, perr.Error(), "write dot-separated numbers from 1 to 2147483647, at most 50 characters, like 2.3.4.5.10")
	} else {
		pass(CheckPath, fmt.Sprintf("%s: %d components, HD prefix %s", p, p.Depth(), model.HDPrefix(req.Wallet, p)))
	}

	if qerr != nil {
		fail(CheckQuantity, qerr.Error(), fmt.Sprintf("ask for at least 1 identifier, starting at 1 or later, with the last instance at most %s", thousands(model.MaxComponent)))
	} else {
		pass(CheckQuantity, fmt.Sprintf("%s: instances %s–%s", identifiers(req.Quantity), thousands(req.RangeStart), thousands(end)))
	}

	switch {
	case terr != nil:
		fail(CheckType, terr.Error(), "use one of "+strings.Join(model.AllocationTypes, ", "))
	case probe.WalletFound:
		req.Type = typ
		// A deployed wallet takes production allocations while its rollout
		// gives it traffic; the database applies the same rule.
		if err := model.AllocationAllowed(req.Wallet, probe.WalletStatus, typ, probe.TrafficShare); err != nil {
			var re *model.AllocationRuleError
			if errors.As(err, &re) {
				fail(CheckType, fmt.Sprintf("%s is %s: %s", name, re.Status, re.Reason), re.Fix)
			} else {
				fail(CheckType, err.Error(), model.AllocationFix)
			}
		} else {
			pass(CheckType, fmt.Sprintf("%s is %s and takes %s allocations (it takes: %s)", name, probe.WalletStatus, typ,
				strings.Join(model.AllocationTypesFor(probe.WalletStatus, probe.TrafficShare), ", ")))
		}
	}

	if probe.WalletFound && perr == nil {
		m := p.ManufacturerIndex()
		switch {
		case probe.ManufacturerName == "":
			me := &store.ManufacturerError{Wallet: req.Wallet, Index: int(m)}
			ev, fix, _ := strings.Cut(me.Error(), ": ")
			fail(CheckManufacturer, ev, fix)
		case probe.AllocationsGoTo != 0:
			// The database refuses it too (018's guard); said here with the fix.
			to := model.VersionName(probe.AllocationsGoTo)
			verb := "is being moved"
			if probe.ManufacturerStatus != "migrating" {
				verb = "has moved"
			}
			fail(CheckManufacturer, fmt.Sprintf("manufacturer %d (%s) %s to %s: new paths under it are allocated in %s", m,
				probe.ManufacturerName, verb, to, to),
				fmt.Sprintf("allocate %s in %s instead (console allocate --wallet %s …)", req.Path, to, to))
		case probe.ManufacturerStatus != "active" && probe.ManufacturerStatus != "migrating":
			add(model.Check{Name: CheckManufacturer, State: model.CheckWarn,
				Evidence: fmt.Sprintf("manufacturer %d (%s) is registered in %s but %s", m, probe.ManufacturerName, name, probe.ManufacturerStatus),
				Fix:      fmt.Sprintf("check with the manufacturer before allocating (console show %s lists its manufacturers)", name)})
		default:
			pass(CheckManufacturer, fmt.Sprintf("manufacturer %d (%s) is registered in %s, %s", m, probe.ManufacturerName, name, probe.ManufacturerStatus))
		}

		switch {
		case probe.Conflict != "":
			ov := &store.OverlapError{Wallet: req.Wallet, Path: p.String(), Conflict: probe.Conflict, ExistingStatus: probe.UsedStatus}
			fail(CheckOverlap, ov.Error(), "choose a path that is neither a prefix nor an extension of a live path in "+name)
		case probe.UsedStatus != "":
			ov := &store.OverlapError{Wallet: req.Wallet, Path: p.String(), Conflict: p.String(), ExistingStatus: probe.UsedStatus}
			ev, fix, _ := strings.Cut(ov.Error(), "; ")
			fail(CheckOverlap, ev, fix)
		default:
			pass(CheckOverlap, fmt.Sprintf("no live path in %s is %s, an ancestor or a descendant of it", name, p))
		}
	}

	if perr == nil && qerr == nil {
		plan.Steps = []string{
			fmt.Sprintf("allocate %s in %s: %s, %s (instances %s–%s), HD prefix %s",
				p, name, req.Type, identifiers(req.Quantity), thousands(req.RangeStart), thousands(end), model.HDPrefix(req.Wallet, p)),
			"write its path_allocation row in the operations log, in the same transaction",
		}
	}
	return plan, checks, nil
}

// Allocate checks req (PlanAllocation) and, when no check fails, allocates
// it with its audit row. A refusal by a check is *AllocationRefused; one by
// the database (a race the checks could not see) comes back in store's words.
func (s *Service) Allocate(ctx context.Context, req model.AllocationRequest) (model.Allocation, model.Outcome, error) {
	req = req.Normalized()
	_, checks, err := s.PlanAllocation(ctx, req)
	if err != nil {
		return model.Allocation{}, model.Outcome{}, err
	}
	if model.Blocking(checks) {
		refused := &AllocationRefused{Request: req}
		for _, c := range checks {
			if c.State == model.CheckFail {
				refused.Failed = append(refused.Failed, c)
			}
		}
		return model.Allocation{}, model.Outcome{}, refused
	}
	a, err := s.DB.Allocate(ctx, store.AllocationRequest{Wallet: req.Wallet, Path: req.Path, Type: req.Type,
		Quantity: req.Quantity, RangeStart: req.RangeStart, Purpose: req.Purpose, Actor: s.Actor})
	if err != nil {
		return model.Allocation{}, model.Outcome{}, err
	}
	name := model.VersionName(a.Wallet)
	out := model.Outcome{
		Summary: fmt.Sprintf("allocated %s in %s (%s)", a.Path, name, identifiers(a.Quantity)),
		Changes: []string{fmt.Sprintf("path %s in %s: %s, instances %s–%s, HD prefix %s",
			a.Path, name, a.Type, thousands(a.RangeStart), thousands(a.RangeEnd), a.HDPrefix)},
		AuditSeqs: []int64{a.AuditSeq},
	}
	return a.Allocation, out, nil
}

func identifiers(n int) string {
	if n == 1 {
		return "1 identifier"
	}
	return thousands(n) + " identifiers"
}

// thousands writes n with a comma every three digits: 1,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
