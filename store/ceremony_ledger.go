package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

// The ceremony machine's ledger (ceremony.Ledger): its local database's
// record of the ceremonies it ran, so that it never uses a request twice.

// CeremonyUsed reports whether requestID was used: a completed ceremony
// recorded here, an imported ceremony, or the request marked used in this
// database.
func (db *DB) CeremonyUsed(ctx context.Context, requestID string) (bool, error) {
	var used bool
	err := db.pool.QueryRow(ctx, `SELECT
		   EXISTS (SELECT 1 FROM ceremony_runs WHERE request_id = $1 AND outcome = 'completed')
		OR EXISTS (SELECT 1 FROM key_ceremonies WHERE request_id = $1)
		OR EXISTS (SELECT 1 FROM wallet_creation_requests
		            WHERE request_id = $1 AND (status = 'used' OR wallet_version IS NOT NULL))`, requestID).Scan(&used)
	if err != nil {
		return false, fmt.Errorf("ceremony ledger: is request %s used: %w", printableID(requestID), explain(err))
	}
	return used, nil
}

// RecordCeremony records how a ceremony ended (completed or aborted, with
// the step and reason of an abort) together with its audit row key_ceremony.
// A second completed ceremony for one request is refused.
func (db *DB) RecordCeremony(ctx context.Context, r model.CeremonyRun) error {
	r.Outcome = strings.ToLower(strings.TrimSpace(r.Outcome))
	r.TranscriptSHA256 = strings.ToLower(strings.TrimSpace(r.TranscriptSHA256))
	var problems []string
	if r.CeremonyID == "" {
		problems = append(problems, "no ceremony id")
	}
	if r.RequestID == "" {
		problems = append(problems, "no request id")
	}
	switch r.Outcome {
	case "completed":
		if !hex64.MatchString(r.TranscriptSHA256) {
			problems = append(problems, "a completed ceremony needs its transcript's SHA-256 (64 hex digits)")
		}
	case "aborted":
		if strings.TrimSpace(r.Reason) == "" {
			problems = append(problems, "an aborted ceremony needs the reason it stopped")
		}
		if r.TranscriptSHA256 != "" && !hex64.MatchString(r.TranscriptSHA256) {
			problems = append(problems, "the transcript's SHA-256 is not 64 hex digits")
		}
	default:
		problems = append(problems, fmt.Sprintf("outcome %q is neither completed nor aborted", r.Outcome))
	}
	if r.Version < 0 {
		problems = append(problems, fmt.Sprintf("wallet version %d", r.Version))
	}
	if len(problems) > 0 {
		return fmt.Errorf("record ceremony %s: %s", r.CeremonyID, strings.Join(problems, "; "))
	}
	at := r.At
	if at.IsZero() {
		at = time.Now()
	}
	// The function records the run and its audit row (013).
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT wallet_record_ceremony_run($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			r.CeremonyID, r.RequestID, r.ApprovalID, r.Version, r.Outcome, r.Step, r.Reason, r.TranscriptPath,
			r.TranscriptSHA256, at, "ceremony").Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		switch pg.ConstraintName {
		case "one_completed_ceremony_per_request":
			err = &RuleError{Code: pg.Code, Message: fmt.Sprintf("request %s was already used by a completed ceremony on this machine; a request makes one wallet: file a new request", r.RequestID)}
		case "ceremony_runs_pkey":
			err = &RuleError{Code: pg.Code, Message: fmt.Sprintf("ceremony %s is already recorded; its record stands as written", r.CeremonyID)}
		}
	}
	if err != nil {
		return fmt.Errorf("record ceremony %s (%s): %w", r.CeremonyID, r.Outcome, err)
	}
	return nil
}
