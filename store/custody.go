package store

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// Transition moves a wallet to another status through the database's
// wallet_transition (013), which checks the preconditions, needs a reason
// for leaving service and writes the audit row; actor is a note beside the
// login. Activation first verifies the wallet's master key and backup proof
// again (the database cannot verify Ed25519): a proof that does not verify
// blocks, and says so.
func (db *DB) Transition(ctx context.Context, version int, to model.Status, reason, actor string) (int64, error) {
	vn := model.VersionName(version)
	if to == model.StatusActive {
		if err := db.refuseUnverifiedKey(ctx, version); err != nil {
			return 0, err
		}
	}
	var seq int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT wallet_transition($1, $2, $3, $4)", version, string(to), reason, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("make %s %s: %w", vn, to, err)
	}
	return seq, nil
}

// refuseUnverifiedKey refuses to activate a wallet whose ceremony key or
// backup proof does not verify (CheckKeys), loudly.
func (db *DB) refuseUnverifiedKey(ctx context.Context, version int) error {
	vn := model.VersionName(version)
	problems, _, err := db.CheckKeys(ctx, &version)
	if err != nil {
		return fmt.Errorf("activate %s: %w", vn, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("activate %s: REFUSED, its key record does not verify: %s; nothing changed (see `console audit verify`)",
			vn, problems[0].Problem)
	}
	return nil
}

// MoveDefault makes an active wallet the default through the database's
// wallet_move_default (013): one mover at a time, the previous default
// cleared in the same statement, the audit row in the same transaction.
func (db *DB) MoveDefault(ctx context.Context, version int, actor string) (int64, error) {
	var seq int64
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT wallet_move_default($1, $2)", version, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("make %s the default: %w", model.VersionName(version), err)
	}
	return seq, nil
}

// CheckKeys verifies again, for every imported ceremony (or only wallet's),
// what the console relies on and the database cannot check: the master
// public key is an Ed25519 key with the recorded fingerprint, the wallet's
// fingerprint is the same, and every backup proof's signature verifies under
// that key; a backup marked proven without a proof that verifies is a
// problem. It returns the problems and how many ceremonies it checked.
func (db *DB) CheckKeys(ctx context.Context, wallet *int) ([]model.KeyProblem, int, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT k.wallet_version, k.ceremony_id, k.master_public_key, k.public_key_fingerprint,
		       coalesce(w.public_key_fingerprint, ''), k.backup_proven,
		       p.ceremony_id IS NOT NULL, coalesce(p.public_key_fingerprint, ''), coalesce(p.challenge, ''::bytea),
		       coalesce(p.signature, ''::bytea), coalesce(p.backup_token, '')
		  FROM key_ceremonies k
		  JOIN wallet_versions w ON w.version_id = k.wallet_version
		  LEFT JOIN key_ceremony_backup_proofs p ON p.ceremony_id = k.ceremony_id
		 WHERE $1::int IS NULL OR k.wallet_version = $1
		 ORDER BY k.wallet_version`, wallet)
	if err != nil {
		return nil, 0, fmt.Errorf("check ceremony keys: %w", explain(err))
	}
	var problems []model.KeyProblem
	n := 0
	var r keyRow
	_, err = pgx.ForEachRow(rows, []any{&r.wallet, &r.ceremony, &r.pem, &r.fp, &r.walletFP, &r.proven,
		&r.hasProof, &r.proofFP, &r.challenge, &r.signature, &r.token}, func() error {
		n++
		if p := r.problem(); p != "" {
			problems = append(problems, model.KeyProblem{Wallet: r.wallet, CeremonyID: r.ceremony, Problem: p})
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("check ceremony keys: %w", explain(err))
	}
	runProblems, err := db.checkValidationRuns(ctx, wallet)
	if err != nil {
		return nil, 0, err
	}
	return append(problems, runProblems...), n, nil
}

// checkValidationRuns verifies every recorded validation run of a wallet
// with an imported ceremony: the wallet's key signed it
// (model.ValidationMessage), so it was made with the key on the HSM and not
// written by hand.
func (db *DB) checkValidationRuns(ctx context.Context, wallet *int) ([]model.KeyProblem, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT r.wallet_version, k.ceremony_id, r.run_id::text, k.master_public_key, k.public_key_fingerprint,
		       coalesce(r.signature, ''::bytea)
		  FROM validation_runs r JOIN key_ceremonies k ON k.wallet_version = r.wallet_version
		 WHERE $1::int IS NULL OR r.wallet_version = $1
		 ORDER BY r.wallet_version, r.finished_at`, wallet)
	if err != nil {
		return nil, fmt.Errorf("check validation runs: %w", explain(err))
	}
	var problems []model.KeyProblem
	var v int
	var ceremony, run, pemText, fp string
	var sig []byte
	_, err = pgx.ForEachRow(rows, []any{&v, &ceremony, &run, &pemText, &fp, &sig}, func() error {
		pub, perr := model.ParsePublicKeyPEM(pemText)
		if perr != nil {
			return nil // CheckKeys reports the key itself
		}
		if len(sig) != ed25519.SignatureSize || !ed25519.Verify(pub, model.ValidationMessage(run, v, fp), sig) {
			problems = append(problems, model.KeyProblem{Wallet: v, CeremonyID: ceremony, Problem: fmt.Sprintf(
				"%s: validation run %s is NOT signed by its master key: it was not made with the key on the HSM (recorded by hand?); it does not count",
				model.VersionName(v), run)})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("check validation runs: %w", explain(err))
	}
	return problems, nil
}

type keyRow struct {
	wallet                      int
	ceremony, pem, fp, walletFP string
	proven, hasProof            bool
	proofFP, token              string
	challenge, signature        []byte
}

// problem says what does not verify, or "".
func (r keyRow) problem() string {
	vn := model.VersionName(r.wallet)
	pub, err := model.ParsePublicKeyPEM(r.pem)
	if err != nil {
		return fmt.Sprintf("%s: the master public key recorded by key ceremony %s is not an Ed25519 key (%v)", vn, r.ceremony, err)
	}
	if got := model.Fingerprint(pub); got != r.fp || r.walletFP != r.fp {
		return fmt.Sprintf("%s: fingerprints disagree: the key hashes to %s, the ceremony records %s, the wallet %s",
			vn, got, r.fp, r.walletFP)
	}
	if !r.hasProof {
		if r.proven {
			return fmt.Sprintf("%s: its backup is marked proven but no proof is recorded", vn)
		}
		return ""
	}
	switch {
	case r.proofFP != r.fp:
		return fmt.Sprintf("%s: the backup proof is for key %s, not the wallet's %s", vn, r.proofFP, r.fp)
	case len(r.signature) != ed25519.SignatureSize || !ed25519.Verify(pub, r.challenge, r.signature):
		return fmt.Sprintf("%s: the backup proof from token %q does NOT verify under the master public key (signature %s…): "+
			"it is forged or corrupt; the backup is not proven", vn, r.token, hex.EncodeToString(r.signature[:min(8, len(r.signature))]))
	}
	return ""
}
