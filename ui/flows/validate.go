package flows

import (
	"context"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// ValidateSpec is the validation flow: the seven tests of `console
// validate` as a background job, with progress per test.
func ValidateSpec(src common.Validator) flow.Spec {
	return flow.Spec{
		Name: "validate", Title: "Validation suite", OneTransaction: true,
		Fields: []flow.Field{{Key: "wallet", Label: "wallet", Required: true, Hint: "the created wallet, e.g. v7"}},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			v, err := model.ParseVersion(in["wallet"])
			if err != nil {
				return model.Plan{}, nil, err
			}
			return src.PlanValidation(ctx, v)
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			v, err := model.ParseVersion(in["wallet"])
			if err != nil {
				return model.Outcome{}, err
			}
			return src.RunValidation(ctx, v, func(done, total int, note string) {
				report(jobs.Progress{Done: int64(done), Total: int64(total), Note: note})
			})
		},
	}
}
