package flows

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// AllocateSpec is the allocation flow: a path (and its identifiers) for a
// manufacturer in a wallet, checked by ops before it is asked for.
func AllocateSpec(src common.Allocator) flow.Spec {
	return flow.Spec{
		Name: "allocate", Title: "Allocate a path", OneTransaction: true,
		Fields: []flow.Field{
			{Key: "wallet", Label: "wallet", Required: true, Hint: "the wallet version, e.g. v1"},
			{Key: "path", Label: "path", Required: true,
				Hint: "dot-separated, the manufacturer first, e.g. 2.3.4.5 (at most 50 characters)"},
			{Key: "quantity", Label: "identifiers", Default: "1000", Required: true, Hint: "how many identifiers the path holds"},
			{Key: "type", Label: "type", Kind: flow.Choice, Choices: model.AllocationTypes, Default: "production",
				Hint: "deployed wallets take test allocations only"},
			{Key: "purpose", Label: "purpose", Hint: "optional: what the identifiers are for"},
		},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			req, err := allocationRequest(in)
			if err != nil {
				return model.Plan{}, nil, err
			}
			return src.PlanAllocation(ctx, req)
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			req, err := allocationRequest(in)
			if err != nil {
				return model.Outcome{}, err
			}
			report(jobs.Progress{Note: "allocating in one transaction with its audit row"})
			_, out, err := src.Allocate(ctx, req)
			return out, err
		},
	}
}

// allocationRequest reads the form; what ops can check is left to its
// checks, which say more than a parse error would.
func allocationRequest(in flow.Values) (model.AllocationRequest, error) {
	v, err := model.ParseVersion(in["wallet"])
	if err != nil {
		return model.AllocationRequest{}, err
	}
	q, err := strconv.Atoi(strings.ReplaceAll(strings.TrimSpace(in["quantity"]), ",", ""))
	if err != nil {
		return model.AllocationRequest{}, errors.New("identifiers must be a whole number, e.g. 1000")
	}
	return model.AllocationRequest{Wallet: v, Path: strings.TrimSpace(in["path"]), Type: in["type"],
		Quantity: q, Purpose: strings.TrimSpace(in["purpose"])}, nil
}
