package store

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
)

// ErrAlreadyProven is returned (wrapped) by RecordBackupProof when the
// ceremony's backup was proven before: nothing was changed, and nothing
// needs to be.
var ErrAlreadyProven = errors.New("the backup is already proven")

// ErrCeremonyToken is returned (wrapped) by RecordBackupProof when the
// proof comes from a token with the ceremony token's serial: the ceremony
// token itself or a copy of its files, not a backup.
var ErrCeremonyToken = errors.New("the proof comes from the ceremony token (or a copy of its files), not from a backup")

// CeremonyKey returns the master key the wallet's imported key ceremony
// made: its label, the public key (PEM) and fingerprint the transcript
// recorded, and whether its backup is proven. A wallet that does not exist,
// or that has no imported ceremony (made before ceremonies were imported, as
// the demo's wallets are), gives an error wrapping ErrNotFound.
func (db *DB) CeremonyKey(ctx context.Context, version int) (label, publicKeyPEM, fingerprint string, proven bool, err error) {
	var hasCeremony bool
	err = db.pool.QueryRow(ctx, `SELECT k.ceremony_id IS NOT NULL, coalesce(k.key_label, w.master_key_id),
		coalesce(k.master_public_key, ''), coalesce(k.public_key_fingerprint, ''), coalesce(k.backup_proven, false)
		FROM wallet_versions w LEFT JOIN key_ceremonies k ON k.wallet_version = w.version_id
		WHERE w.version_id = $1`, version).Scan(&hasCeremony, &label, &publicKeyPEM, &fingerprint, &proven)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", "", "", false, fmt.Errorf("wallet %s is not in this database: %w (see `console status` for the wallets that exist)",
			model.VersionName(version), ErrNotFound)
	}
	if err != nil {
		return "", "", "", false, fmt.Errorf("ceremony key of %s: %w", model.VersionName(version), explain(err))
	}
	if !hasCeremony {
		return "", "", "", false, fmt.Errorf("wallet %s has no imported key ceremony (%w): it was made before ceremonies were imported, so there is no ceremony backup to prove",
			model.VersionName(version), ErrNotFound)
	}
	return label, publicKeyPEM, fingerprint, proven, nil
}

// RecordBackupProof records that a backup token holds the master key of
// wallet version's key ceremony, and marks the ceremony's backup proven: the
// proof row, key_ceremonies.backup_proven = true and the audit row
// (backup_proof) in one transaction. The signature is verified again here
// under the ceremony's master public key. A proof for another key (its
// fingerprint is not the ceremony's) or one that does not verify is refused;
// a backup proven before gives an error wrapping ErrAlreadyProven and
// changes nothing.
func (db *DB) RecordBackupProof(ctx context.Context, version int, p model.BackupProof, actor string) error {
	vn := model.VersionName(version)
	p.Fingerprint = strings.ToLower(strings.TrimSpace(p.Fingerprint))
	if err := checkProof(p); err != nil {
		return fmt.Errorf("record the backup proof of %s: %w", vn, err)
	}
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		var ceremonyID, pubPEM, fp, ceremonySerial string
		var proven bool
		// Read here for the refusals' words; the function takes the
		// ceremony's row lock and checks again.
		err := tx.QueryRow(ctx, `SELECT ceremony_id, master_public_key, public_key_fingerprint, backup_proven,
			coalesce(ceremony_token_serial, '')
			FROM key_ceremonies WHERE wallet_version = $1`, version).Scan(&ceremonyID, &pubPEM, &fp, &proven, &ceremonySerial)
		if errors.Is(err, pgx.ErrNoRows) {
			var exists bool
			if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM wallet_versions WHERE version_id = $1)", version).Scan(&exists); err != nil {
				return err
			}
			if !exists {
				return fmt.Errorf("wallet %s is not in this database: %w", vn, ErrNotFound)
			}
			return fmt.Errorf("wallet %s has no imported key ceremony (%w): it was made before ceremonies were imported, so there is no ceremony backup to prove", vn, ErrNotFound)
		}
		if err != nil {
			return err
		}
		if proven {
			return alreadyProven(ctx, tx, vn, ceremonyID)
		}
		if p.Fingerprint != fp {
			return fmt.Errorf("the proof is for key %s, but key ceremony %s made %s's master key %s: the backup token %q does not hold this wallet's key",
				p.Fingerprint, ceremonyID, vn, fp, p.Token)
		}
		pub, err := model.ParsePublicKeyPEM(pubPEM)
		if err != nil {
			return fmt.Errorf("key ceremony %s: %w", ceremonyID, err)
		}
		if got := model.Fingerprint(pub); got != fp {
			return fmt.Errorf("key ceremony %s: its master public key's fingerprint is %s, not the recorded %s: the record is inconsistent", ceremonyID, got, fp)
		}
		if !ed25519.Verify(pub, p.Challenge, p.Signature) {
			return fmt.Errorf("the backup token %q's signature over the challenge does not verify under %s's master public key (%s): it is not a proof of this key",
				p.Token, vn, fp)
		}
		if ceremonySerial != "" && strings.TrimSpace(p.TokenSerial) == ceremonySerial {
			return fmt.Errorf("%w: token %q has serial %s, the serial of the token that made %s's key in key ceremony %s",
				ErrCeremonyToken, p.Token, ceremonySerial, vn, ceremonyID)
		}
		// The function records the proof, marks the backup proven and writes
		// the audit row (013).
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT wallet_record_backup_proof($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			version, p.Token, p.TokenSerial, p.TokenModel, p.Label, p.Fingerprint, p.Challenge, p.Signature, actor).Scan(&seq); err != nil {
			if pg := (*pgconn.PgError)(nil); errors.As(err, &pg) && pg.Code == "WLAUD" && strings.Contains(pg.Message, "already proven") {
				return alreadyProven(ctx, tx, vn, ceremonyID)
			}
			if pg := (*pgconn.PgError)(nil); errors.As(err, &pg) && pg.Code == codeCustody && strings.Contains(pg.Message, "is the same token") {
				return fmt.Errorf("%w: %s", ErrCeremonyToken, pg.Message)
			}
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the backup proof of %s: %w", vn, err)
	}
	return nil
}

// alreadyProven says how the backup was proven before.
func alreadyProven(ctx context.Context, tx pgx.Tx, vn, ceremonyID string) error {
	var token, by string
	var at time.Time
	err := tx.QueryRow(ctx, `SELECT backup_token, proven_by, proven_at FROM key_ceremony_backup_proofs
		WHERE ceremony_id = $1`, ceremonyID).Scan(&token, &by, &at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: key ceremony %s proved %s's backup in its transcript; nothing changed", ErrAlreadyProven, ceremonyID, vn)
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: backup token %q proved %s's master key (key ceremony %s), recorded by %s at %s; nothing changed",
		ErrAlreadyProven, token, vn, ceremonyID, by, at.UTC().Format("2006-01-02 15:04 MST"))
}

// checkProof refuses a proof that lacks what a proof must have.
func checkProof(p model.BackupProof) error {
	var problems []string
	if strings.TrimSpace(p.Token) == "" {
		problems = append(problems, "no backup token")
	}
	if strings.TrimSpace(p.TokenSerial) == "" {
		problems = append(problems, "no backup token serial (a proof names the token it came from)")
	}
	if strings.TrimSpace(p.Label) == "" {
		problems = append(problems, "no key label")
	}
	if !hex64.MatchString(p.Fingerprint) {
		problems = append(problems, "the fingerprint is not 64 hex digits (SHA-256)")
	}
	if len(p.Challenge) < 32 {
		problems = append(problems, fmt.Sprintf("a challenge of %d bytes (a fresh one has at least 32)", len(p.Challenge)))
	}
	if len(p.Signature) != ed25519.SignatureSize {
		problems = append(problems, fmt.Sprintf("a signature of %d bytes (Ed25519 has %d)", len(p.Signature), ed25519.SignatureSize))
	}
	if len(problems) > 0 {
		return fmt.Errorf("the backup proof is incomplete: %s", strings.Join(problems, "; "))
	}
	return nil
}
