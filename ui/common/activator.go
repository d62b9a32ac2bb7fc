package common

import (
	"context"

	"github.com/plings/walletconsole/model"
)

// Activator is what the activation flow needs (ops.Service satisfies it).
// Calls run off the UI goroutine.
type Activator interface {
	// PlanActivation says what activating the wallet would do and checks
	// its preconditions; it only reads.
	PlanActivation(ctx context.Context, version int, makeDefault bool) (model.Plan, []model.Check, error)
	// Activate makes it active (and the default) with its audit row, in one
	// transaction.
	Activate(ctx context.Context, version int, makeDefault bool) (model.Outcome, error)
}
