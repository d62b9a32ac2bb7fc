package common

import (
	"context"

	"github.com/plings/walletconsole/model"
)

// Validator is what the validation flow needs (ops.Service satisfies it
// when the console has a logged-in token). Calls run off the UI goroutine.
type Validator interface {
	// PlanValidation says what the suite will do to the wallet and checks
	// that it can run; it only reads.
	PlanValidation(ctx context.Context, version int) (model.Plan, []model.Check, error)
	// RunValidation runs the seven tests, telling progress about each as it
	// starts; all passed → the run is recorded and the wallet validated in
	// one transaction, else nothing changes and the error says which test
	// failed, why and what to do.
	RunValidation(ctx context.Context, version int, progress func(done, total int, note string)) (model.Outcome, error)
}
