package ceremony

import (
	"context"

	"github.com/plings/walletconsole/model"
)

// Ledger is the ceremony machine's local record of ceremonies (its embedded
// database, through package store). The ceremony asks it whether a request
// was already used and tells it how each ceremony ended.
type Ledger interface {
	// CeremonyUsed reports whether a completed ceremony already used requestID.
	CeremonyUsed(ctx context.Context, requestID string) (bool, error)
	// RecordCeremony records a completed or aborted ceremony.
	RecordCeremony(ctx context.Context, r model.CeremonyRun) error
}
