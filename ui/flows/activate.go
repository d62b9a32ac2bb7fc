package flows

import (
	"context"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// ActivateSpec is the activation flow: a deployed wallet whose rollout,
// validation and backup proof the database's checks accept becomes active,
// and the default if asked.
func ActivateSpec(src common.Activator) flow.Spec {
	return flow.Spec{
		Name: "activate", Title: "Activate a wallet", OneTransaction: true,
		Fields: []flow.Field{
			{Key: "wallet", Label: "wallet", Required: true, Hint: "the deployed wallet, e.g. v6"},
			{Key: "default", Label: "make default", Kind: flow.Choice, Choices: []string{"no", "yes"}, Default: "no",
				Hint: "yes moves the default to it; the old default stays active"},
		},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			v, err := model.ParseVersion(in["wallet"])
			if err != nil {
				return model.Plan{}, nil, err
			}
			return src.PlanActivation(ctx, v, in["default"] == "yes")
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			v, err := model.ParseVersion(in["wallet"])
			if err != nil {
				return model.Outcome{}, err
			}
			report(jobs.Progress{Note: "activating in one transaction with its audit row"})
			return src.Activate(ctx, v, in["default"] == "yes")
		},
	}
}
