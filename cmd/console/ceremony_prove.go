package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// ceremonyProveBackup is `console ceremony prove-backup VERSION --backup-token
// LABEL`: the backup token signs a fresh random challenge with its copy of
// the wallet's master key, the signature is verified under the master public
// key the ceremony recorded, and the proof is recorded (DESIGN.md, the
// witnessed key ceremony, point 5). Until then a wallet whose ceremony backed
// its key up out of band cannot be activated.
func ceremonyProveBackup(ctx context.Context, f ceremonyFlags, backupToken string, args []string, out io.Writer) error {
	g := f.g
	if len(args) != 1 {
		return errors.New("ceremony prove-backup: give the wallet version: console ceremony prove-backup vN --backup-token LABEL")
	}
	version, err := model.ParseVersion(args[0])
	if err != nil {
		return inert(fmt.Errorf("ceremony prove-backup: %w", err))
	}
	vn := model.VersionName(version)
	if backupToken == "" {
		return fmt.Errorf("ceremony prove-backup %s: give the backup token with --backup-token LABEL (`console hsm info` lists them)", vn)
	}
	if f.h.token != "" && f.h.token != backupToken {
		return inert(fmt.Errorf("ceremony prove-backup %s: --token %s and --backup-token %s disagree: the proof is made on the backup token; give only --backup-token",
			vn, f.h.token, backupToken))
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	label, pubPEM, fingerprint, proven, err := db.CeremonyKey(ctx, version)
	if err != nil {
		return inert(fmt.Errorf("ceremony prove-backup %s: REFUSED: %w", vn, err))
	}
	if proven {
		fmt.Fprintf(out, "the backup of %s's master key %s (fingerprint %s) is already proven; nothing changed\n", vn, ui.Inert(label), fingerprint)
		return nil
	}
	pub, err := masterKey(pubPEM, fingerprint)
	if err != nil {
		return inert(fmt.Errorf("ceremony prove-backup %s: REFUSED: %w", vn, err))
	}

	h := f.h
	h.token = backupToken
	_, tok, closeToken, err := h.openToken(g, true)
	if err != nil {
		return inert(fmt.Errorf("ceremony prove-backup %s: open the backup token %s: %w", vn, backupToken, err))
	}
	defer closeToken()
	proof, err := hsm.Prove(tok, label, pub)
	switch {
	case errors.Is(err, hsm.ErrKeyNotFound):
		return inert(fmt.Errorf("ceremony prove-backup %s: REFUSED: backup token %s holds no key %s, so it is no backup of %s's master key: %w",
			vn, backupToken, label, vn, err))
	case errors.Is(err, hsm.ErrBackupMismatch):
		return inert(fmt.Errorf("ceremony prove-backup %s: REFUSED: the key %s on backup token %s is not %s's master key: %w",
			vn, label, backupToken, vn, err))
	case err != nil:
		return inert(fmt.Errorf("ceremony prove-backup %s: %w", vn, err))
	}
	closeToken()

	err = db.RecordBackupProof(ctx, version, model.BackupProof{Token: proof.Token, Label: proof.Label,
		Fingerprint: proof.Fingerprint, Challenge: proof.Challenge, Signature: proof.Signature}, g.operator)
	if errors.Is(err, store.ErrAlreadyProven) {
		fmt.Fprintf(out, "%s\n", ui.Inert(err.Error()))
		return nil
	}
	if err != nil {
		return inert(fmt.Errorf("ceremony prove-backup %s: %w", vn, err))
	}
	sum := sha256.Sum256(proof.Challenge)
	fmt.Fprintf(out, "backup proven: token %s signed a fresh challenge (sha256 %s…) with key %s, and the signature verifies under %s's master public key (fingerprint %s)\n",
		ui.Inert(proof.Token), hex.EncodeToString(sum[:8]), ui.Inert(proof.Label), vn, proof.Fingerprint)
	fmt.Fprintf(out, "recorded with its audit row (backup_proof); %s may now be activated\n", vn)
	return nil
}

// masterKey reads the ceremony's master public key and checks it against the
// recorded fingerprint.
func masterKey(pubPEM, fingerprint string) (ed25519.PublicKey, error) {
	pub, err := model.ParsePublicKeyPEM(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("the ceremony's record: %w", err)
	}
	if fp := model.Fingerprint(pub); fp != fingerprint {
		return nil, fmt.Errorf("the ceremony's master public key has fingerprint %s, but %s is recorded: the record is inconsistent", fp, fingerprint)
	}
	return pub, nil
}
