package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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

// Allocated is what Allocate did: the allocation and its operations-log row.
type Allocated struct {
	model.Allocation
	AuditSeq int64 // seq of its path_allocation row in wallet_operations_log
}

// AllocatePath allocates req.Path in req.Wallet with its audit row, in one
// transaction (Allocate without the audit row's number).
func (db *DB) AllocatePath(ctx context.Context, req AllocationRequest) (model.Allocation, error) {
	a, err := db.Allocate(ctx, req)
	return a.Allocation, err
}

// Allocate allocates req.Path in req.Wallet with its audit row, in one
// transaction. A collision with a live path comes back as *OverlapError naming
// the path it collides with, a manufacturer not registered in the wallet as
// *ManufacturerError, a wallet whose status does not take the type as a
// *RuleError in model.AllocationAllowed's words; bad input is refused before
// anything is written.
func (db *DB) Allocate(ctx context.Context, req AllocationRequest) (Allocated, error) {
	var a Allocated
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
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := walletExists(ctx, tx, req.Wallet); err != nil {
			return err
		}
		// Asked before the insert so that the refusal names the wallet and
		// the manufacturer; the foreign key is the guard.
		var registered bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM manufacturer_registry
			WHERE wallet_version = $1 AND manufacturer_index = $2)`, req.Wallet, int64(p.ManufacturerIndex())).Scan(&registered); err != nil {
			return err
		}
		if !registered {
			return &ManufacturerError{Wallet: req.Wallet, Index: int(p.ManufacturerIndex())}
		}
		var org *string
		if req.OrgID != "" {
			org = &req.OrgID
		}
		// The function writes the path and its audit row (013): console
		// roles have no INSERT on either table.
		err := tx.QueryRow(ctx, `SELECT id, hd_derivation_prefix, status, allocated_at, seq
			FROM wallet_allocate_path($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			req.Wallet, p.String(), req.Type, req.Quantity, req.RangeStart, end, req.Purpose, req.UserID, org, req.Actor,
		).Scan(&a.ID, &a.HDPrefix, &a.Status, &a.AllocatedAt, &a.AuditSeq)
		if err == nil {
			noteAudit(ctx, a.AuditSeq)
		}
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
	case pg.Code == codeOverlap && pg.ConstraintName == "overlap_in_moving_source":
		// The conflict is in the wallet the namespace is moving from (018).
		other, _ := strconv.Atoi(pg.TableName)
		return &OverlapError{Wallet: wallet, Path: path, Conflict: pg.Detail, MovingFrom: other}
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

// AllocationProbe is what PlanAllocation needs to know about an allocation
// before it is made, read without writing anything. It is advisory: the
// database's triggers decide when the allocation is made.
type AllocationProbe struct {
	WalletFound  bool
	WalletStatus model.Status
	// TrafficShare is the wallet's share of the traffic (0–100) that a
	// rollout gives it (wallet_traffic_share; 0 without a row).
	TrafficShare float64
	// Manufacturer is the registration of the path's first component in the
	// wallet; ManufacturerName is "" when it is not registered.
	ManufacturerName   string
	ManufacturerStatus string
	// AllocationsGoTo is the wallet the manufacturer's namespace is moving
	// or has moved to (018): allocations under it are made there; 0: none.
	AllocationsGoTo int
	// Conflict is a live path in the wallet that is the path itself, an
	// ancestor or a descendant of it; "" when there is none.
	Conflict string
	// UsedStatus is the status of the same path when it was allocated before
	// (live or not: a path is never reused); "" when it never was.
	UsedStatus string
}

// ProbeAllocation reads, in one read-only snapshot, the wallet's status, the
// manufacturer's registration and any live path that p would overlap in it.
// The overlap probe is the trigger's: equality on each ancestor and a range
// scan for descendants, both on the live-path index.
func (db *DB) ProbeAllocation(ctx context.Context, wallet int, p model.Path) (AllocationProbe, error) {
	var pr AllocationProbe
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return pr, fmt.Errorf("probe %s in v%d: %w", p, wallet, explain(err))
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var status string
	err = tx.QueryRow(ctx, `SELECT status, coalesce((SELECT traffic_percentage::float8 FROM wallet_traffic_share
		WHERE wallet_version = $1), 0) FROM wallet_versions WHERE version_id = $1`, wallet).Scan(&status, &pr.TrafficShare)
	if errors.Is(err, pgx.ErrNoRows) {
		return pr, nil
	}
	if err != nil {
		return pr, fmt.Errorf("probe %s in v%d: %w", p, wallet, explain(err))
	}
	pr.WalletFound, pr.WalletStatus = true, model.Status(status)
	err = tx.QueryRow(ctx, `SELECT manufacturer_name, status, coalesce(allocations_go_to, 0) FROM manufacturer_registry
		WHERE wallet_version = $1 AND manufacturer_index = $2`, wallet, int64(p.ManufacturerIndex())).Scan(&pr.ManufacturerName, &pr.ManufacturerStatus, &pr.AllocationsGoTo)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return pr, fmt.Errorf("probe %s in v%d: manufacturer: %w", p, wallet, explain(err))
	}
	err = tx.QueryRow(ctx, "SELECT status FROM path_registry WHERE wallet_version = $1 AND base_path = $2", wallet, p.String()).Scan(&pr.UsedStatus)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return pr, fmt.Errorf("probe %s in v%d: %w", p, wallet, explain(err))
	}
	if pr.UsedStatus == "active" || pr.UsedStatus == "migrating" {
		pr.Conflict = p.String()
		return pr, nil
	}
	ancestors := make([]string, 0, p.Depth())
	for _, a := range p.Ancestors() {
		ancestors = append(ancestors, a.String())
	}
	err = tx.QueryRow(ctx, `SELECT base_path FROM (
		  (SELECT base_path FROM path_registry
		    WHERE wallet_version = $1 AND base_path = ANY($2::text[]) AND status IN ('active', 'migrating')
		    ORDER BY base_path LIMIT 1)
		  UNION ALL
		  (SELECT base_path FROM path_registry
		    WHERE wallet_version = $1 AND status IN ('active', 'migrating')
		      AND base_path >= $3 || '.' AND base_path < $3 || '/'
		    ORDER BY base_path LIMIT 1)) c LIMIT 1`, wallet, ancestors, p.String()).Scan(&pr.Conflict)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return pr, fmt.Errorf("probe %s in v%d: overlap: %w", p, wallet, explain(err))
	}
	return pr, nil
}
