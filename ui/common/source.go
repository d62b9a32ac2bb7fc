package common

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
	// HealthInputs returns the stored inputs of the health checks (latest
	// daily metrics, open alerts) of every wallet that is not retired.
	HealthInputs(ctx context.Context) ([]HealthInput, error)
	// HealthHistory returns the latest n stored results of each check of
	// every wallet that is not retired, oldest first per wallet and check.
	HealthHistory(ctx context.Context, n int) ([]HealthPoint, error)
	// Where names the database for the header; it never holds a password.
	Where() string
}

// OpFilter selects operations log rows (model.OpFilter).
type OpFilter = model.OpFilter

// AuditStatus is the outcome of checking the chain (model.AuditReport).
type AuditStatus = model.AuditReport

// HSMStatus is what the header and the health screen need from the HSM. A nil
// HSMStatus means no HSM is configured.
type HSMStatus interface {
	// Describe names the PKCS#11 module and token and says whether the
	// session is logged in. It is called from a tea.Cmd, like Ping.
	Describe() (module, token string, loggedIn bool)
	// Ping makes a cheap round trip to the token and times it.
	Ping(ctx context.Context) (time.Duration, error)
	// SignTiming signs a few test messages in the token with a throw-away
	// key (never a wallet's key) and returns the average time of one
	// signature; an error when signing is impossible.
	SignTiming(ctx context.Context) (time.Duration, error)
}

// HealthInput is one wallet's stored health inputs (model.HealthInput).
type HealthInput = model.HealthInput

// HealthPoint is one stored check result (model.HealthPoint).
type HealthPoint = model.HealthPoint
