package store

import (
	"context"
	"encoding/hex"
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
		// Read for the refusals' words; wallet_import_ceremony takes the
		// request's row lock (which orders imports of one request) and checks
		// again.
		err := tx.QueryRow(ctx, `SELECT status, coalesce(approval_id, ''), valid_until, coalesce(valid_until < now(), false),
			coalesce(wallet_version, 0), environment, security_level
			FROM wallet_creation_requests WHERE request_id = $1`, in.RequestID).
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
			// Another import of this very transcript may have committed
			// since the check above (console roles take no row locks of
			// their own; the function does): then there is nothing to do.
			if done, err := importedBefore(ctx, tx, in); done || err != nil {
				return err
			}
			return versionTaken(in, taken)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		// The function makes the wallet, its ceremony record, marks the
		// request used and writes the audit rows (013); it checks again what
		// matters, in fewer words than the checks above.
		var completed *string
		if !in.CompletedAt.IsZero() {
			c := in.CompletedAt.UTC().Format(time.RFC3339Nano)
			completed = &c
		}
		args := map[string]any{
			"ceremony_id": in.CeremonyID, "request_id": in.RequestID, "approval_id": in.ApprovalID,
			"version": in.Version, "key_label": in.KeyLabel, "public_key": in.PublicKey,
			"fingerprint": in.Fingerprint, "transcript_sha256": in.TranscriptSHA256,
			"witness_count": in.WitnessCount, "completed_at": completed,
			"token_serial": in.TokenSerial, "token_model": in.TokenModel,
		}
		if in.BackupProof != nil {
			bp := in.BackupProof
			args["backup_proof"] = map[string]any{"token": bp.Token, "token_serial": bp.TokenSerial,
				"token_model": bp.TokenModel, "label": bp.Label, "fingerprint": bp.Fingerprint,
				"challenge": hex.EncodeToString(bp.Challenge), "signature": hex.EncodeToString(bp.Signature)}
		}
		js, err := json.Marshal(args)
		if err != nil {
			return err
		}
		var made bool
		var seqs []int64
		if err := tx.QueryRow(ctx, `SELECT created, seqs FROM wallet_import_ceremony($1, $2)`, js, actor).Scan(&made, &seqs); err != nil {
			var pg *pgconn.PgError
			if errors.As(err, &pg) && pg.Code == "23505" && pg.ConstraintName == "wallet_versions_pkey" {
				return versionTaken(in, "being created by another import")
			}
			return err
		}
		for _, s := range seqs {
			noteAudit(ctx, s)
		}
		created = made
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
