package ops

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/model"
)

// This file: the validation suite for the console's flow runner (the same
// Validate as `console validate`).

// PlanValidation says what the suite does to wallet version and checks that
// it can run: a token logged in, a created wallet, its key on the token.
func (s *Service) PlanValidation(ctx context.Context, version int) (model.Plan, []model.Check, error) {
	vn := model.VersionName(version)
	plan := model.Plan{Title: "Validate " + vn, Target: vn}
	for i, t := range ValidationTests {
		plan.Steps = append(plan.Steps, fmt.Sprintf("test %d: %s (%s)", i+1, t.Title, t.Severity))
	}
	plan.Steps = append(plan.Steps, "all seven passed: record the run, its results and baseline, "+vn+" created → validated, and the audit row, in one transaction; a failure changes nothing")
	var checks []model.Check
	pass := func(n, ev string) {
		checks = append(checks, model.Check{Name: n, State: model.CheckPass, Evidence: ev})
	}
	fail := func(n, ev, fix string) {
		checks = append(checks, model.Check{Name: n, State: model.CheckFail, Evidence: ev, Fix: fix})
	}
	if s.DB.ReadOnly() {
		fail("the console may write", "this console is read-only", "start the console without --read-only")
	}
	facts, err := s.DB.ValidationFacts(ctx, version)
	if err != nil {
		return plan, nil, err
	}
	if facts.Status == model.StatusCreated {
		pass("the wallet is created", vn+" is created")
	} else {
		fail("the wallet is created", fmt.Sprintf("%s is %s", vn, facts.Status), "only a created wallet is validated")
	}
	label := fmt.Sprintf("plings_master_key_v%d", version)
	switch {
	case s.Token == nil || !s.Token.LoggedIn():
		fail("the HSM token is logged in", "no token is logged in", "start the console with --token LABEL (the token that holds "+label+")")
	default:
		pass("the HSM token is logged in", "token "+s.Token.Label())
		if _, err := s.Token.FindKey(label); err != nil {
			fail("the key is on the token", fmt.Sprintf("%s is not on token %s", label, s.Token.Label()),
				"start the console with the token that holds "+vn+"'s key")
		} else {
			pass("the key is on the token", label+" on token "+s.Token.Label())
		}
	}
	return plan, checks, nil
}

// RunValidation runs the suite as a job, reporting each test as it starts.
func (s *Service) RunValidation(ctx context.Context, version int, progress func(done, total int, note string)) (model.Outcome, error) {
	rep, err := s.Validate(ctx, version, ValidateOptions{Progress: func(i int, t ValidationTest, done bool) {
		if !done && progress != nil {
			progress(i, len(ValidationTests), fmt.Sprintf("test %d of %d: %s", i+1, len(ValidationTests), t.Title))
		}
	}})
	if errors.Is(err, ErrValidationFailed) {
		var why []string
		for _, t := range rep.Tests {
			if !t.Passed {
				why = append(why, fmt.Sprintf("%s failed: %s (what to do: %s)", t.Title, strings.Join(t.Problems, "; "), t.Fix))
			}
		}
		return model.Outcome{}, fmt.Errorf("%s NOT validated, nothing changed: %s", rep.Wallet, strings.Join(why, "; "))
	}
	if err != nil {
		return model.Outcome{}, err
	}
	b := rep.Baseline
	return model.Outcome{
		Summary: fmt.Sprintf("%s validated: all 7 tests passed in %s", rep.Wallet, rep.Took),
		Changes: []string{
			rep.Wallet + " created → validated",
			"validation run " + rep.RunID + " with its 7 results",
			fmt.Sprintf("baseline: %.0f signatures/s on %d sessions (p95 %.3f ms); allocation p95 %.2f ms; inventory %.2f ms",
				b.SignaturesPerSecond, b.SigningSessions, b.SignatureP95Ms, b.AllocationP95Ms, b.InventoryMs),
		},
		AuditSeqs: []int64{rep.AuditSeq},
	}, nil
}
