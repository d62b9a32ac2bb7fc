package common

import (
	"context"

	"github.com/plings/walletconsole/model"
)

// Allocator is what the allocation flow needs (ops.Service satisfies it).
// Calls run off the UI goroutine.
type Allocator interface {
	// PlanAllocation says what allocating req would do and checks it; it
	// only reads.
	PlanAllocation(ctx context.Context, req model.AllocationRequest) (model.Plan, []model.Check, error)
	// Allocate makes the allocation and its audit row in one transaction.
	Allocate(ctx context.Context, req model.AllocationRequest) (model.Allocation, model.Outcome, error)
}
