package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// NewWallet describes a wallet version to create (status created).
type NewWallet struct {
	Version       int
	MasterKeyID   string
	Fingerprint   string
	Description   string
	Environment   model.Environment
	SecurityLevel model.SecurityLevel
	RequestID     string
	ApprovalID    string
}

// CreateWallet inserts a wallet version as created, with its audit row
// (seed 000, "Wallet Database Creation").
func (db *DB) CreateWallet(ctx context.Context, w NewWallet, actor string) error {
	if w.Version < 1 {
		return fmt.Errorf("create wallet: version must be 1 or more, not %d", w.Version)
	}
	if w.Environment == "" {
		w.Environment = model.EnvironmentProduction
	}
	if w.SecurityLevel == "" {
		w.SecurityLevel = model.SecurityLevelStandard
	}
	if w.MasterKeyID == "" {
		w.MasterKeyID = fmt.Sprintf("plings_master_key_v%d", w.Version)
	}
	version := w.Version
	op := Op{Type: "wallet_creation", Wallet: &version, Actor: actor, ApprovalID: w.ApprovalID, Details: map[string]any{
		"hsm_key_id": w.MasterKeyID, "environment": w.Environment, "security_level": w.SecurityLevel,
	}}
	err := db.inTx(ctx, &op, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO wallet_versions
			(version_id, version_name, master_key_id, public_key_fingerprint, description, environment,
			 security_level, creation_request_id, approval_id)
			VALUES ($1, $2, $3, nullif($4, ''), nullif($5, ''), $6, $7, nullif($8, ''), nullif($9, ''))`,
			w.Version, model.VersionName(w.Version), w.MasterKeyID, w.Fingerprint, w.Description,
			string(w.Environment), string(w.SecurityLevel), w.RequestID, w.ApprovalID)
		return err
	})
	if err != nil {
		return fmt.Errorf("create %s: %w", model.VersionName(w.Version), err)
	}
	return nil
}

// NewManufacturer registers a manufacturer in a wallet.
type NewManufacturer struct {
	Wallet          int
	Index           int
	Name            string
	OrgID           string
	DelegationLevel string
	Status          string // default active
	MigratedFrom    *int
}

// RegisterManufacturer adds a manufacturer to a wallet with its audit row.
func (db *DB) RegisterManufacturer(ctx context.Context, m NewManufacturer, actor string) error {
	if m.DelegationLevel == "" {
		m.DelegationLevel = "none"
	}
	if m.Status == "" {
		m.Status = "active"
	}
	wallet := m.Wallet
	op := Op{Type: "manufacturer_registration", Wallet: &wallet, Actor: actor, Details: map[string]any{
		"manufacturer_name": m.Name, "manufacturer_index": m.Index, "status": m.Status,
	}}
	err := db.inTx(ctx, &op, func(tx pgx.Tx) error {
		if err := walletExists(ctx, tx, m.Wallet); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO manufacturer_registry
			(wallet_version, manufacturer_index, manufacturer_name, organization_id, key_delegation_level,
			 status, registered_by, migrated_from_wallet)
			VALUES ($1, $2, $3, nullif($4, '')::uuid, $5, $6, $7, $8)`,
			m.Wallet, m.Index, m.Name, m.OrgID, m.DelegationLevel, m.Status, SystemUserID, m.MigratedFrom)
		return err
	})
	if err != nil {
		return fmt.Errorf("register %s as manufacturer %d in v%d: %w", m.Name, m.Index, m.Wallet, err)
	}
	return nil
}
