package ui

import (
	"context"
	"time"

	"github.com/plings/walletconsole/model"
)

// Source is everything the screens read from the database. *store.DB
// satisfies it through a small adapter in cmd/console (the ui package does
// not import store); tests use a fake.
//
// Every method is called from a tea.Cmd, never from Update or View, so a
// slow or unreachable database never blocks the keyboard. Implementations
// must honour ctx: the console cancels calls that outlive their timeout.
type Source interface {
	// Inventory lists every wallet version.
	Inventory(ctx context.Context) ([]model.WalletSummary, error)
	// WalletDetail returns one wallet with at most recent operations.
	WalletDetail(ctx context.Context, version int, recent int) (model.WalletDetail, error)
	// Operations returns operations log rows matching f, newest first.
	Operations(ctx context.Context, f OpFilter) ([]model.Operation, error)
	// VerifyAudit checks the operations log's hash chain.
	VerifyAudit(ctx context.Context) (AuditStatus, error)
	// Ping measures one round trip to the database.
	Ping(ctx context.Context) (time.Duration, error)
	// Where names the database for the header; it never holds a password.
	Where() string
}

// OpFilter selects operations log rows; zero fields match everything. It
// mirrors store.OpFilter.
type OpFilter struct {
	Wallet   *int
	Type     string // exact operation type
	Operator string // initiated_by or db_user, exact
	Since    time.Time
	Until    time.Time
	Limit    int // 0: the source's default
}

// AuditStatus is the outcome of checking the operations log's hash chain.
// It mirrors store.AuditReport.
type AuditStatus struct {
	OK       bool
	Rows     int64
	BrokenAt int64  // seq of the first broken row when !OK
	Problem  string // what is wrong with it, from the database side: shown inert
}

// HSMStatus is what the header and the health screen need from the HSM. A nil
// HSMStatus means no HSM is configured.
type HSMStatus interface {
	// Describe names the PKCS#11 module and token and says whether the
	// session is logged in. It is called from a tea.Cmd, like Ping.
	Describe() (module, token string, loggedIn bool)
	// Ping makes a cheap round trip to the token and times it.
	Ping(ctx context.Context) (time.Duration, error)
}
