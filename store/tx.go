package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Op is an operations-log row to write with a change of state.
type Op struct {
	Type       string
	Wallet     *int
	Status     string // default "completed"
	Actor      string // the operator, as they are known to the console
	ApprovalID string
	Details    map[string]any
	// Seq is set by the write: the row's sequence number in the log.
	Seq int64
}

// inTx runs fn in one transaction and writes op in the same transaction: the
// change and its audit row commit together or not at all.
func (db *DB) inTx(ctx context.Context, op *Op, fn func(pgx.Tx) error) error {
	// READ COMMITTED explicitly, whatever the server's default: the overlap
	// check and the audit chain must see what committed while they waited.
	opts := pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	if db.readOnly {
		// Said again per transaction: a session default is not the only word.
		opts.AccessMode = pgx.ReadOnly
	}
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return explain(err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return explain(err)
	}
	if op != nil {
		if err := writeOp(ctx, tx, op); err != nil {
			return explain(err)
		}
	}
	return explain(tx.Commit(ctx))
}

func writeOp(ctx context.Context, tx pgx.Tx, op *Op) error {
	status := op.Status
	if status == "" {
		status = "completed"
	}
	details := op.Details
	if details == nil {
		details = map[string]any{}
	}
	js, err := json.Marshal(details)
	if err != nil {
		return fmt.Errorf("audit details: %w", err)
	}
	var approval *string
	if op.ApprovalID != "" {
		approval = &op.ApprovalID
	}
	actor := op.Actor
	if actor == "" {
		actor = "console"
	}
	if err := tx.QueryRow(ctx, `INSERT INTO wallet_operations_log
		(operation_type, wallet_version, operation_status, initiated_by, approval_id, operation_details)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING seq`, op.Type, op.Wallet, status, actor, approval, js).Scan(&op.Seq); err != nil {
		return err
	}
	noteAudit(ctx, op.Seq)
	return nil
}

// Record writes an operations-log row on its own (an event that changes no
// other table, such as a check or an aborted flow).
func (db *DB) Record(ctx context.Context, op Op) error {
	return db.inTx(ctx, &op, func(pgx.Tx) error { return nil })
}
