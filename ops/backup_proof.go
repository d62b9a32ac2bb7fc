package ops

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// BackupResult is what a backup proof found and recorded.
type BackupResult struct {
	Version     int
	KeyLabel    string
	Fingerprint string
	// AlreadyProven: the proof existed before; nothing was done or recorded.
	AlreadyProven bool
	// Note is the database's word when a proof raced ours in ("" otherwise).
	Note  string
	Proof *hsm.Proof
	// TokenSerial and TokenModel are the backup token's, as it reported
	// them; they are recorded with the proof.
	TokenSerial string
	TokenModel  string
}

// ProveBackup proves that a backup token holds version's master key: the
// token signs a fresh random challenge with its copy, the signature is
// verified under the master public key the ceremony recorded, and the proof
// is recorded (DESIGN.md, the witnessed key ceremony, point 5). Until then
// a wallet whose ceremony backed its key up out of band cannot be
// activated. open opens and logs in to the backup token (the PIN is the
// caller's business) and is called only when a proof is needed.
func (s *Service) ProveBackup(ctx context.Context, version int, tokenLabel string,
	open func() (*hsm.Token, func(), error)) (BackupResult, error) {
	vn := model.VersionName(version)
	res := BackupResult{Version: version}
	label, pubPEM, fingerprint, proven, err := s.DB.CeremonyKey(ctx, version)
	if err != nil {
		return res, &Refused{What: "ceremony prove-backup " + vn, Err: err}
	}
	res.KeyLabel, res.Fingerprint = label, fingerprint
	if proven {
		res.AlreadyProven = true
		return res, nil
	}
	pub, err := masterKey(pubPEM, fingerprint)
	if err != nil {
		return res, &Refused{What: "ceremony prove-backup " + vn, Err: err}
	}
	tok, closeToken, err := open()
	if err != nil {
		return res, fmt.Errorf("ceremony prove-backup %s: open the backup token %s: %w", vn, tokenLabel, err)
	}
	// The serial is what tells a separate backup token from the ceremony
	// token or a copy of its files (same label, same key, same serial): the
	// store refuses a proof whose serial is the ceremony token's.
	ti, err := tok.Info()
	if err != nil {
		closeToken()
		return res, fmt.Errorf("ceremony prove-backup %s: read backup token %s's serial number: %w", vn, tokenLabel, err)
	}
	if strings.TrimSpace(ti.Serial) == "" {
		closeToken()
		return res, &Refused{What: "ceremony prove-backup " + vn, Err: fmt.Errorf(
			"backup token %s reports no serial number, so it cannot be told apart from the ceremony token or a copy of it; prove the backup on a token that reports its serial", tokenLabel)}
	}
	proof, err := hsm.Prove(tok, label, pub)
	closeToken()
	switch {
	case errors.Is(err, hsm.ErrKeyNotFound):
		return res, &Refused{What: "ceremony prove-backup " + vn, Err: fmt.Errorf(
			"backup token %s holds no key %s, so it is no backup of %s's master key: %w", tokenLabel, label, vn, err)}
	case errors.Is(err, hsm.ErrBackupMismatch):
		return res, &Refused{What: "ceremony prove-backup " + vn, Err: fmt.Errorf(
			"the key %s on backup token %s is not %s's master key: %w", label, tokenLabel, vn, err)}
	case err != nil:
		return res, fmt.Errorf("ceremony prove-backup %s: %w", vn, err)
	}
	res.Proof = proof
	res.TokenSerial, res.TokenModel = ti.Serial, ti.Model
	err = s.DB.RecordBackupProof(ctx, version, model.BackupProof{Token: proof.Token, Label: proof.Label,
		Fingerprint: proof.Fingerprint, Challenge: proof.Challenge, Signature: proof.Signature,
		TokenSerial: ti.Serial, TokenModel: ti.Model}, s.Actor)
	if errors.Is(err, store.ErrAlreadyProven) {
		res.AlreadyProven, res.Note = true, err.Error()
		return res, nil
	}
	if errors.Is(err, store.ErrCeremonyToken) {
		return res, &Refused{What: "ceremony prove-backup " + vn, Why: fmt.Sprintf(
			"backup token %s (serial %s) is refused as the ceremony token or a copy of its files",
			tokenLabel, ti.Serial), Err: errors.New("a proof must come from a separate backup token with another serial; prove the copy on the token the key was backed up to")}
	}
	if err != nil {
		return res, fmt.Errorf("ceremony prove-backup %s: %w", vn, err)
	}
	return res, nil
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
