package ops

// This file: activating a deployed wallet (deployed → active), the UI's
// activation flow and `console activate`.

import (
	"context"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// The names of the activation checks ops adds to the database's.
const (
	CheckActivationWritable = "the console may write"
	CheckKeyRecord          = "its master key and backup proof verify (Ed25519)"
	CheckDefault            = "the default"
)

// ActivationRefused is returned by Activate when a check failed: nothing
// changed. Its message names what is missing.
type ActivationRefused struct {
	Version int
	Failed  []model.Check
}

func (e *ActivationRefused) Error() string {
	parts := make([]string, 0, len(e.Failed))
	for _, c := range e.Failed {
		s := c.Evidence
		if c.Fix != "" {
			s += " (" + c.Fix + ")"
		}
		parts = append(parts, s)
	}
	return fmt.Sprintf("activate %s: REFUSED: %s; nothing changed", model.VersionName(e.Version), strings.Join(parts, "; "))
}

// PlanActivation says what Activate would do and checks it, writing nothing.
func (s *Service) PlanActivation(ctx context.Context, version int, makeDefault bool) (model.Plan, []model.Check, error) {
	plan, checks, _, err := s.planActivation(ctx, version, makeDefault)
	return plan, checks, err
}

// planActivation is PlanActivation with the facts it read (the default the
// activation expects to move comes from them).
func (s *Service) planActivation(ctx context.Context, version int, makeDefault bool) (model.Plan, []model.Check, store.ActivationFacts, error) {
	name := model.VersionName(version)
	plan := model.Plan{Title: "Activate " + name, Target: name}
	f, err := s.DB.ActivationFacts(ctx, version)
	if err != nil {
		return plan, nil, f, err
	}
	checks := f.Checks
	if s.DB.ReadOnly() {
		checks = append([]model.Check{{Name: CheckActivationWritable, State: model.CheckFail,
			Evidence: store.ErrReadOnly.Error(), Fix: "start the console without --read-only to activate"}}, checks...)
	}
	problems, n, err := s.DB.CheckKeys(ctx, &version)
	if err != nil {
		return plan, nil, f, err
	}
	switch {
	case len(problems) > 0:
		checks = append(checks, model.Check{Name: CheckKeyRecord, State: model.CheckFail, Evidence: problems[0].Problem,
			Fix: "do not activate: find out how the record came to be (console audit verify)"})
	case n == 1:
		checks = append(checks, model.Check{Name: CheckKeyRecord, State: model.CheckPass,
			Evidence: "the ceremony's public key matches its fingerprints and the backup proof's signature verifies under it"})
	}
	was := "none"
	if f.Default > 0 {
		was = model.VersionName(f.Default)
	}
	switch {
	case makeDefault && f.Default == version:
		checks = append(checks, model.Check{Name: CheckDefault, State: model.CheckWarn, Evidence: name + " is already the default"})
	case makeDefault:
		checks = append(checks, model.Check{Name: CheckDefault, State: model.CheckPass,
			Evidence: fmt.Sprintf("the default moves from %s to %s (%s stays active)", was, name, was)})
	default:
		checks = append(checks, model.Check{Name: CheckDefault, State: model.CheckPass,
			Evidence: fmt.Sprintf("the default stays %s (activate with --default to move it)", was)})
	}
	plan.Steps = []string{
		fmt.Sprintf("%s: deployed → active, activated now", name),
		"register Plings as manufacturer 1 in " + name + " (if it is not)",
	}
	if makeDefault && f.Default != version {
		plan.Steps = append(plan.Steps, fmt.Sprintf("make %s the default in place of %s, and move Plings' lineage to it", name, was))
	}
	plan.Steps = append(plan.Steps, "write the wallet_activation row in the operations log, in the same transaction")
	return plan, checks, f, nil
}

// Activate checks (PlanActivation) and, when nothing blocks, activates.
func (s *Service) Activate(ctx context.Context, version int, makeDefault bool) (model.Outcome, error) {
	_, checks, f, err := s.planActivation(ctx, version, makeDefault)
	if err != nil {
		return model.Outcome{}, err
	}
	if model.Blocking(checks) {
		refused := &ActivationRefused{Version: version}
		for _, c := range checks {
			if c.State == model.CheckFail {
				refused.Failed = append(refused.Failed, c)
			}
		}
		return model.Outcome{}, refused
	}
	seq, err := s.DB.Activate(ctx, version, makeDefault, f.Default, s.Actor)
	if err != nil {
		return model.Outcome{}, err
	}
	name := model.VersionName(version)
	out := model.Outcome{Summary: name + " is active", AuditSeqs: []int64{seq},
		Changes: []string{name + ": deployed → active", "Plings is manufacturer 1 in " + name}}
	if makeDefault && f.Default != version {
		was := "none"
		if f.Default > 0 {
			was = model.VersionName(f.Default)
		}
		out.Summary = name + " is active and the default"
		out.Changes = append(out.Changes, fmt.Sprintf("the default: %s → %s (%s stays active)", was, name, was))
	}
	return out, nil
}
