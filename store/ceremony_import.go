package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

var hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ImportCeremony creates the wallet version a verified ceremony transcript
// made (status created, its master key label and public key fingerprint),
// records the ceremony and marks its request used, with the audit rows
// wallet_creation and key_ceremony_import: one transaction, all or nothing.
//
// The same transcript imported again changes nothing and returns created =
// false. It refuses another transcript for a ceremony or request already
// imported, a request that is not approved (or expired, or used), an
// approval id other than the request's, and a version already taken (the
// ceremony must then be run again from a fresh export).
func (db *DB) ImportCeremony(ctx context.Context, in model.CeremonyImport, actor string) (created bool, err error) {
	if err := checkImport(&in); err != nil {
		return false, fmt.Errorf("import ceremony: %w", err)
	}
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		var status, approval, env, level string
		var walletVersion int
		var validUntil *time.Time
		var expired bool
		// The request's row lock orders imports of one request: the second
		// sees what the first committed.
		err := tx.QueryRow(ctx, `SELECT status, coalesce(approval_id, ''), valid_until, coalesce(valid_until < now(), false),
			coalesce(wallet_version, 0), environment, security_level
			FROM wallet_creation_requests WHERE request_id = $1 FOR UPDATE`, in.RequestID).
			Scan(&status, &approval, &validUntil, &expired, &walletVersion, &env, &level)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("request %s is not in this database: %w (import the transcript where the request was filed; `console request list`)", in.RequestID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if done, err := importedBefore(ctx, tx, in); done || err != nil {
			return err
		}
		switch {
		case status == "used":
			return fmt.Errorf("request %s was already used: it created wallet %s; a request makes one wallet", in.RequestID, model.VersionName(walletVersion))
		case status != "approved":
			return fmt.Errorf("request %s is %s, not approved: a ceremony needs an approved request", in.RequestID, status)
		case approval != in.ApprovalID:
			return fmt.Errorf("the transcript names approval %s, but request %s was approved as %s: the transcript is not from this approval",
				in.ApprovalID, in.RequestID, approval)
		case expired:
			return fmt.Errorf("the approval %s of request %s expired at %s (approvals are valid 7 days); file a new request and have it approved again",
				approval, in.RequestID, validUntil.UTC().Format("2006-01-02 15:04 MST"))
		}
		if err := exportedFor(ctx, tx, in); err != nil {
			return err
		}
		var taken string
		err = tx.QueryRow(ctx, "SELECT status FROM wallet_versions WHERE version_id = $1", in.Version).Scan(&taken)
		if err == nil {
			return versionTaken(in, taken)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wallet_versions
			(version_id, version_name, master_key_id, public_key_fingerprint, description, environment,
			 security_level, creation_request_id, approval_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			in.Version, model.VersionName(in.Version), in.KeyLabel, in.Fingerprint,
			fmt.Sprintf("created by key ceremony %s from request %s", in.CeremonyID, in.RequestID),
			env, level, in.RequestID, in.ApprovalID); err != nil {
			var pg *pgconn.PgError
			if errors.As(err, &pg) && pg.Code == "23505" {
				return versionTaken(in, "being created by another import")
			}
			return err
		}
		var completed *time.Time
		if !in.CompletedAt.IsZero() {
			completed = &in.CompletedAt
		}
		if _, err := tx.Exec(ctx, `INSERT INTO key_ceremonies
			(ceremony_id, request_id, wallet_version, transcript_sha256, master_public_key, public_key_fingerprint,
			 witness_count, backup_proven, approval_id, key_label, completed_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			in.CeremonyID, in.RequestID, in.Version, in.TranscriptSHA256, in.PublicKey, in.Fingerprint,
			in.WitnessCount, in.BackupProven, in.ApprovalID, in.KeyLabel, completed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE wallet_creation_requests SET status = 'used', wallet_version = $2
			WHERE request_id = $1`, in.RequestID, in.Version); err != nil {
			return err
		}
		v := in.Version
		if err := writeOp(ctx, tx, &Op{Type: "wallet_creation", Wallet: &v, Actor: actor, ApprovalID: in.ApprovalID,
			Details: map[string]any{"hsm_key_id": in.KeyLabel, "environment": env, "security_level": level,
				"request_id": in.RequestID, "ceremony_id": in.CeremonyID, "public_key_fingerprint": in.Fingerprint}}); err != nil {
			return err
		}
		details := map[string]any{"ceremony_id": in.CeremonyID, "request_id": in.RequestID,
			"transcript_sha256": in.TranscriptSHA256, "public_key_fingerprint": in.Fingerprint,
			"witness_count": in.WitnessCount, "backup_proven": in.BackupProven, "key_label": in.KeyLabel}
		if completed != nil {
			details["completed_at"] = completed.UTC().Format(time.RFC3339)
		}
		if err := writeOp(ctx, tx, &Op{Type: "key_ceremony_import", Wallet: &v, Actor: actor, ApprovalID: in.ApprovalID,
			Details: details}); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("import ceremony %s: %w", in.CeremonyID, err)
	}
	return created, nil
}

// importedBefore reports whether this transcript was imported already
// (true, nil: nothing to do), and refuses another transcript for a ceremony
// or a request that was imported.
func importedBefore(ctx context.Context, tx pgx.Tx, in model.CeremonyImport) (bool, error) {
	rows, err := tx.Query(ctx, `SELECT ceremony_id, request_id, transcript_sha256, wallet_version FROM key_ceremonies
		WHERE transcript_sha256 = $1 OR ceremony_id = $2 OR request_id = $3`, in.TranscriptSHA256, in.CeremonyID, in.RequestID)
	if err != nil {
		return false, err
	}
	type prior struct {
		ceremony, request, sha string
		version                int
	}
	var ps []prior
	var p prior
	if _, err := pgx.ForEachRow(rows, []any{&p.ceremony, &p.request, &p.sha, &p.version}, func() error {
		ps = append(ps, p)
		return nil
	}); err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.sha == in.TranscriptSHA256 {
			return true, nil
		}
	}
	for _, p := range ps {
		switch {
		case p.ceremony == in.CeremonyID:
			return false, fmt.Errorf("ceremony %s was imported before from another transcript (sha256 %s), not this one (sha256 %s): this file was altered or rewritten; import the original",
				p.ceremony, p.sha, in.TranscriptSHA256)
		case p.request == in.RequestID:
			return false, fmt.Errorf("request %s was already used by key ceremony %s (wallet %s); a request makes one wallet",
				p.request, p.ceremony, model.VersionName(p.version))
		}
	}
	return false, nil
}

func versionTaken(in model.CeremonyImport, status string) error {
	return fmt.Errorf("wallet version %s is already taken (%s) since the request was exported: the ceremony must be run again with a fresh export (`console request export %s FILE`), and the key %s made for it destroyed",
		model.VersionName(in.Version), status, in.RequestID, in.KeyLabel)
}

// checkImport refuses an import that lacks what the transcript must give.
func checkImport(in *model.CeremonyImport) error {
	in.Fingerprint = strings.ToLower(strings.TrimSpace(in.Fingerprint))
	in.TranscriptSHA256 = strings.ToLower(strings.TrimSpace(in.TranscriptSHA256))
	var problems []string
	if strings.TrimSpace(in.CeremonyID) == "" {
		problems = append(problems, "no ceremony id")
	}
	if !requestIDPattern.MatchString(in.RequestID) {
		problems = append(problems, fmt.Sprintf("request id %q is not like WCR-2026-01-31-001", in.RequestID))
	}
	if in.ApprovalID == "" {
		problems = append(problems, "no approval id")
	}
	if in.Version < 1 {
		problems = append(problems, fmt.Sprintf("wallet version %d (must be 1 or more)", in.Version))
	}
	if in.KeyLabel == "" {
		problems = append(problems, "no key label")
	}
	if strings.TrimSpace(in.PublicKey) == "" {
		problems = append(problems, "no master public key")
	}
	if !hex64.MatchString(in.Fingerprint) {
		problems = append(problems, "the public key fingerprint is not 64 hex digits (SHA-256)")
	}
	if !hex64.MatchString(in.TranscriptSHA256) {
		problems = append(problems, "the transcript's SHA-256 is not 64 hex digits")
	}
	in.WitnessCount = len(in.Signers)
	if in.WitnessCount < model.CeremonyWitnesses {
		problems = append(problems, fmt.Sprintf("%d witnesses attested; a ceremony needs %d", in.WitnessCount, model.CeremonyWitnesses))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the transcript's import is incomplete: %s", strings.Join(problems, "; "))
	}
	return nil
}

// exportedFor ties the ceremony to an export of its request from this
// database: the request file is plain JSON on removable media, so what it
// said (the version, the witnesses) is taken from the export's audit row,
// not from the file. Every witness who attested must have been on the roster
// exported for this version; with the file's audit head, that very export.
func exportedFor(ctx context.Context, tx pgx.Tx, in model.CeremonyImport) error {
	rows, err := tx.Query(ctx, `SELECT encode(row_hash, 'hex'), operation_details
		FROM wallet_operations_log
		WHERE operation_type = 'creation_request_export' AND operation_details->>'request_id' = $1
		  AND operation_details->>'next_version' = $2::int::text
		ORDER BY seq`, in.RequestID, in.Version)
	if err != nil {
		return err
	}
	type export struct {
		head    string
		details struct {
			Witnesses []string `json:"witnesses"`
		}
	}
	var exports []export
	for rows.Next() {
		var e export
		var raw []byte
		if err := rows.Scan(&e.head, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &e.details); err != nil {
			return fmt.Errorf("the export row of request %s does not parse: %w", in.RequestID, err)
		}
		exports = append(exports, e)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(exports) == 0 {
		return fmt.Errorf("request %s was never exported from this database for %s: the transcript's request file is not one this database wrote (export it again and run a new ceremony)",
			in.RequestID, model.VersionName(in.Version))
	}
	if in.AuditHead != "" {
		var match []export
		for _, e := range exports {
			if e.head == strings.ToLower(in.AuditHead) {
				match = append(match, e)
			}
		}
		if len(match) == 0 {
			return fmt.Errorf("the transcript's request file names export %s…, which is not an export of request %s for %s in this log: the file was altered or comes from another database",
				clipHead(in.AuditHead), in.RequestID, model.VersionName(in.Version))
		}
		exports = match
	}
	exported := false
	for _, e := range exports {
		exported = exported || subset(in.Signers, e.details.Witnesses)
	}
	if !exported {
		return fmt.Errorf("the witnesses who attested (%s) were not all on the roster exported with request %s: the request file's roster was altered",
			strings.Join(in.Signers, ", "), in.RequestID)
	}
	return signedWithRosterKeys(ctx, tx, in)
}

// signedWithRosterKeys: the transcript proves only that the roster written in
// it signed; each witness who attested must have done so with the key this
// database's roster holds for them (keys never change once added).
func signedWithRosterKeys(ctx context.Context, tx pgx.Tx, in model.CeremonyImport) error {
	rows, err := tx.Query(ctx, "SELECT name, public_key FROM ceremony_witnesses WHERE name = ANY($1)", in.Signers)
	if err != nil {
		return err
	}
	known, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (model.Witness, error) {
		var w model.Witness
		return w, r.Scan(&w.Name, &w.PublicKey)
	})
	if err != nil {
		return err
	}
	fingerprint := func(ws []model.Witness, name string) string {
		for _, w := range ws {
			if w.Name == name {
				if _, fp, err := ParseWitnessKey(w.PublicKey); err == nil {
					return fp
				}
			}
		}
		return ""
	}
	for _, n := range in.Signers {
		ours, theirs := fingerprint(known, n), fingerprint(in.Roster, n)
		switch {
		case ours == "":
			return fmt.Errorf("witness %s signed the ceremony but is not on this database's roster (console witness list)", n)
		case ours != theirs:
			return fmt.Errorf("witness %s signed with key %s, but this database's roster holds %s for them: the request file's roster was altered", n, theirs, ours)
		}
	}
	return nil
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func clipHead(h string) string {
	if len(h) > 16 {
		return h[:16]
	}
	return h
}
