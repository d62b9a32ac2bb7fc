package ops

import (
	"context"
	"fmt"
	"time"

	"github.com/plings/walletconsole/model"
)

// This file: what the screens read (ui.Source): the inventory, one wallet,
// the operations log and its chain check, the health inputs and history.
// Every wallet's health in the inventory and the detail comes from the same
// evaluation as `console health` (Health), never from a second rule.

// Inventory lists every wallet version; each one's Health is EvaluateHealth
// of its stored inputs and the live measurements (retired wallets, which
// are not monitored, keep what their stored checks last said).
//
// One round trip reads both the inventory and the health inputs; the
// database check is a ping as in `console health`, the HSM's a recent
// measurement (screenLive).
func (s *Service) Inventory(ctx context.Context) ([]model.WalletSummary, error) {
	ws, inputs, err := s.DB.InventoryWithHealth(ctx)
	if err != nil {
		return nil, err
	}
	applyHealth(ws, s.evaluate(inputs, s.screenLive(ctx)))
	return ws, nil
}

// applyHealth sets each summary's Health from its evaluation.
func applyHealth(ws []model.WalletSummary, graded []model.WalletHealth) {
	by := make(map[int]model.HealthState, len(graded))
	for _, w := range graded {
		by[w.Version] = w.Overall
	}
	for i := range ws {
		if h, ok := by[ws[i].Version]; ok {
			ws[i].Health = h
		}
	}
}

// WalletDetail returns one wallet with at most recent operations; its
// Health agrees with the inventory's.
func (s *Service) WalletDetail(ctx context.Context, version, recent int) (model.WalletDetail, error) {
	d, err := s.DB.WalletDetail(ctx, version, recent)
	if err != nil {
		return d, err
	}
	inputs, err := s.DB.HealthInputs(ctx)
	if err != nil {
		return d, err
	}
	one := []model.WalletSummary{d.Wallet}
	applyHealth(one, s.evaluate(inputs, s.screenLive(ctx)))
	d.Wallet = one[0]
	return d, nil
}

// Wallet returns one wallet's inventory row; a version that does not exist
// is an error that says so (store.ErrNotFound underneath).
func (s *Service) Wallet(ctx context.Context, version int) (model.WalletSummary, error) {
	return s.DB.Wallet(ctx, version)
}

// Operations returns operations log rows matching f, newest first.
func (s *Service) Operations(ctx context.Context, f model.OpFilter) ([]model.Operation, error) {
	return s.DB.Operations(ctx, f)
}

// AuditLog is Operations for the CLI: a wallet in the filter must exist, so
// that `audit log --wallet v99` says v99 does not exist instead of printing
// an empty table.
func (s *Service) AuditLog(ctx context.Context, f model.OpFilter) ([]model.Operation, error) {
	if f.Wallet != nil {
		if _, err := s.DB.Wallet(ctx, *f.Wallet); err != nil {
			return nil, err
		}
	}
	ops, err := s.DB.Operations(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("read the operations log: %w", err)
	}
	return ops, nil
}

// VerifyAudit checks the operations log's hash chain.
func (s *Service) VerifyAudit(ctx context.Context) (model.AuditReport, error) {
	return s.DB.VerifyAudit(ctx)
}

// Ping measures one round trip to the database.
func (s *Service) Ping(ctx context.Context) (time.Duration, error) { return s.DB.Ping(ctx) }

// HealthInputs returns the stored inputs of the health checks of every
// wallet that is not retired.
func (s *Service) HealthInputs(ctx context.Context) ([]model.HealthInput, error) {
	return s.DB.HealthInputs(ctx)
}

// HealthHistory returns the latest n stored results of each check of every
// wallet that is not retired, oldest first per wallet and check.
func (s *Service) HealthHistory(ctx context.Context, n int) ([]model.HealthPoint, error) {
	return s.DB.HealthHistory(ctx, n)
}

// Where names the database; it never holds a password.
func (s *Service) Where() string { return s.DB.Where() }
