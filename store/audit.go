package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// OpFilter selects rows of the operations log (model.OpFilter).
type OpFilter = model.OpFilter

const opColumns = `seq, operation_type, wallet_version, operation_status, initiated_by,
	coalesce(approval_id, ''), db_user, operation_details::text, "timestamp", prev_hash, row_hash`

// Operations returns log rows matching f, newest first.
func (db *DB) Operations(ctx context.Context, f OpFilter) ([]model.Operation, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.Wallet != nil {
		add("wallet_version = ?", *f.Wallet)
	}
	if f.Type != "" {
		add("operation_type = ?", f.Type)
	}
	if f.Operator != "" {
		// The login, which the database sets: a note proves nothing.
		add("db_user = ?", f.Operator)
	}
	if !f.Since.IsZero() {
		add(`"timestamp" >= ?`, f.Since)
	}
	if !f.Until.IsZero() {
		add(`"timestamp" < ?`, f.Until)
	}
	if f.BeforeSeq > 0 {
		add("seq < ?", f.BeforeSeq)
	}
	if f.Limit <= 0 {
		f.Limit = 200
	}
	q := "SELECT " + opColumns + " FROM wallet_operations_log"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(" ORDER BY seq DESC LIMIT %d", f.Limit)
	rows, err := db.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("operations log: %w", explain(err))
	}
	ops, err := pgx.CollectRows(rows, scanOp)
	if err != nil {
		return nil, fmt.Errorf("operations log: %w", explain(err))
	}
	return ops, nil
}

func scanOp(r pgx.CollectableRow) (model.Operation, error) {
	var o model.Operation
	var details string
	err := r.Scan(&o.Seq, &o.Type, &o.Wallet, &o.Status, &o.InitiatedBy, &o.ApprovalID, &o.DBUser,
		&details, &o.Time, &o.PrevHash, &o.RowHash)
	o.Details = []byte(details)
	return o, err
}

// AuditCanonical is the byte string whose SHA-256 is an operation's row hash:
// each field as "<byte length>:<value>;" ("-;" for NULL), in the order of
// wallet_audit_canonical in migrations/004_audit_log.sql. It is rebuilt here
// from the stored values so that verification does not trust the database's
// own function. An empty ApprovalID stands for NULL.
func AuditCanonical(o model.Operation) []byte {
	var approval *string
	if o.ApprovalID != "" {
		approval = &o.ApprovalID
	}
	return canonical(o, approval)
}

func canonical(o model.Operation, approval *string) []byte {
	var b bytes.Buffer
	field := func(s *string) {
		if s == nil {
			b.WriteString("-;")
			return
		}
		b.WriteString(strconv.Itoa(len(*s)))
		b.WriteByte(':')
		b.WriteString(*s)
		b.WriteByte(';')
	}
	str := func(s string) *string { return &s }
	field(str(strconv.FormatInt(o.Seq, 10)))
	field(str(hex.EncodeToString(o.PrevHash)))
	field(str(o.Time.UTC().Format("2006-01-02 15:04:05.000000")))
	field(str(o.Type))
	if o.Wallet != nil {
		field(str(strconv.Itoa(*o.Wallet)))
	} else {
		field(nil)
	}
	field(str(o.Status))
	field(str(o.InitiatedBy))
	field(approval)
	field(str(o.DBUser))
	field(str(string(o.Details)))
	return b.Bytes()
}

// AuditReport is the result of checking the chain (model.AuditReport).
type AuditReport = model.AuditReport

// VerifyAudit checks the operations log's chain (verifyChain) and verifies
// again every imported ceremony's key and backup proof (CheckKeys): OK only
// when both hold.
func (db *DB) VerifyAudit(ctx context.Context) (AuditReport, error) {
	rep, err := db.verifyChain(ctx)
	if err != nil {
		return rep, err
	}
	problems, n, err := db.CheckKeys(ctx, nil)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", err)
	}
	rep.Keys, rep.KeyProblems = n, problems
	rep.OK = rep.ChainOK() && len(problems) == 0
	return rep, nil
}

// verifyChain walks the whole operations log in order and checks that seq has
// no gaps, that each row names the previous row's hash, and that each row's
// hash matches its contents. It stops at the first broken row.
func (db *DB) verifyChain(ctx context.Context) (AuditReport, error) {
	var rep AuditReport
	// approval_id is read raw (NULL vs '' matters to the hash).
	rows, err := db.pool.Query(ctx, `SELECT seq, operation_type, wallet_version, operation_status, initiated_by,
		approval_id, db_user, operation_details::text, "timestamp", prev_hash, row_hash
		FROM wallet_operations_log ORDER BY seq`)
	if err != nil {
		return rep, fmt.Errorf("audit verify: %w", explain(err))
	}
	defer rows.Close()
	prev := make([]byte, 32)
	var expect int64 = 1
	for rows.Next() {
		var o model.Operation
		var approval *string
		var details string
		if err := rows.Scan(&o.Seq, &o.Type, &o.Wallet, &o.Status, &o.InitiatedBy, &approval, &o.DBUser,
			&details, &o.Time, &o.PrevHash, &o.RowHash); err != nil {
			return rep, fmt.Errorf("audit verify: %w", err)
		}
		o.Details = []byte(details)
		rep.Rows++
		if approval != nil {
			o.ApprovalID = *approval
		}
		switch {
		case o.Seq != expect:
			rep.BrokenAt, rep.Problem = o.Seq, fmt.Sprintf("row %d is missing: the log goes from row %d to row %d", expect, expect-1, o.Seq)
		case !bytes.Equal(o.PrevHash, prev):
			rep.BrokenAt, rep.Problem = o.Seq, fmt.Sprintf("row %d does not follow row %d: its previous-row hash differs", o.Seq, o.Seq-1)
		default:
			sum := sha256.Sum256(canonical(o, approval))
			if !bytes.Equal(sum[:], o.RowHash) {
				rep.BrokenAt, rep.Problem = o.Seq, fmt.Sprintf("row %d (%s, %s) was altered: its contents no longer match its hash",
					o.Seq, o.Type, o.Time.UTC().Format(time.RFC3339))
			}
		}
		if rep.BrokenAt != 0 {
			rows.Close()
			return rep, nil
		}
		prev = o.RowHash
		expect++
	}
	if err := rows.Err(); err != nil {
		return rep, fmt.Errorf("audit verify: %w", explain(err))
	}
	rep.OK = true
	return rep, nil
}
