package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

// SystemUserID is the all-zero user of seed 001's runbooks.
const SystemUserID = "00000000-0000-0000-0000-000000000000"

// AllocationRequest asks for a path range in a wallet.
type AllocationRequest struct {
	Wallet     int
	Path       string
	Type       string // production, test, development, reserved
	Quantity   int
	RangeStart int // default 1
	Purpose    string
	UserID     string // users.id; default the system user
	OrgID      string // organizations.id, optional
	Actor      string // for the operations log
}

// AllocatePath allocates req.Path in req.Wallet with its audit row, in one
// transaction. A collision with a live path comes back as *OverlapError naming
// the path it collides with; bad input is refused before anything is written.
func (db *DB) AllocatePath(ctx context.Context, req AllocationRequest) (model.Allocation, error) {
	var a model.Allocation
	p, err := model.ParsePath(req.Path)
	if err != nil {
		return a, err
	}
	if req.Type == "" {
		req.Type = "production"
	}
	if !slices.Contains(model.AllocationTypes, req.Type) {
		return a, fmt.Errorf("allocation type %q is not one of %s", req.Type, strings.Join(model.AllocationTypes, ", "))
	}
	if req.RangeStart == 0 {
		req.RangeStart = 1
	}
	end, err := model.RangeEnd(req.RangeStart, req.Quantity)
	if err != nil {
		return a, fmt.Errorf("allocate %s in v%d: %w", p, req.Wallet, err)
	}
	if req.UserID == "" {
		req.UserID = SystemUserID
	}
	wallet := req.Wallet
	op := Op{Type: "path_allocation", Wallet: &wallet, Actor: req.Actor, Details: map[string]any{
		"base_path": p.String(), "allocation_type": req.Type, "quantity": req.Quantity,
		"range_start": req.RangeStart, "range_end": end, "purpose": req.Purpose,
	}}
	err = db.inTx(ctx, &op, func(tx pgx.Tx) error {
		if err := walletExists(ctx, tx, req.Wallet); err != nil {
			return err
		}
		var org *string
		if req.OrgID != "" {
			org = &req.OrgID
		}
		err := tx.QueryRow(ctx, `INSERT INTO path_registry
			(wallet_version, base_path, allocation_type, quantity, allocated_range_start, allocated_range_end,
			 purpose, allocated_by, organization_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
			RETURNING id::text, hd_derivation_prefix, status, allocated_at`,
			req.Wallet, p.String(), req.Type, req.Quantity, req.RangeStart, end, req.Purpose, req.UserID, org,
		).Scan(&a.ID, &a.HDPrefix, &a.Status, &a.AllocatedAt)
		return overlapError(err, req.Wallet, p.String())
	})
	if err != nil {
		var ov *OverlapError
		if errors.As(err, &ov) {
			if ov.Conflict == ov.Path {
				// The same path: live, or used before and never to be reused.
				_ = db.pool.QueryRow(ctx, "SELECT status FROM path_registry WHERE wallet_version = $1 AND base_path = $2",
					req.Wallet, ov.Path).Scan(&ov.ExistingStatus)
			}
			return a, err
		}
		return a, fmt.Errorf("allocate %s in v%d: %w", p, req.Wallet, err)
	}
	a.Wallet, a.Path, a.Type, a.Quantity = req.Wallet, p, req.Type, req.Quantity
	a.RangeStart, a.RangeEnd, a.Purpose = req.RangeStart, end, req.Purpose
	return a, nil
}

// overlapError turns the overlap trigger's refusal and the duplicate-path
// unique violation into *OverlapError.
func overlapError(err error, wallet int, path string) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	switch {
	case pg.Code == codeOverlap:
		return &OverlapError{Wallet: wallet, Path: path, Conflict: pg.Detail}
	case pg.Code == "23505" && pg.ConstraintName == "unique_base_path_per_wallet":
		return &OverlapError{Wallet: wallet, Path: path, Conflict: path}
	}
	return err
}

func walletExists(ctx context.Context, tx pgx.Tx, version int) error {
	var ok bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM wallet_versions WHERE version_id = $1)", version).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("wallet %s: %w (see `console status` for the wallets that exist)", model.VersionName(version), ErrNotFound)
	}
	return nil
}
