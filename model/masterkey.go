package model

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
)

// Fingerprint names a master public key: the hex SHA-256 of its 32 raw
// bytes (wallet_versions.public_key_fingerprint).
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:])
}

// PublicKeyPEM is pub as a PEM PUBLIC KEY block (SubjectPublicKeyInfo), as
// openssl writes it and ParsePublicKeyPEM reads it.
func PublicKeyPEM(pub ed25519.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return ""
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

// ParsePublicKeyPEM reads a master public key as ceremonies record it: one
// PKIX "PUBLIC KEY" PEM block holding an Ed25519 key, and nothing else.
func ParsePublicKeyPEM(s string) (ed25519.PublicKey, error) {
	b, rest := pem.Decode([]byte(s))
	if b == nil || b.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) > 0 {
		return nil, errors.New("the master public key is not one PEM PUBLIC KEY block")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the master public key does not parse: %v", err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("the master public key is a %T, not Ed25519", k)
	}
	return pub, nil
}

// MasterKeyLabel is the label of wallet version v's master key on its HSM
// token (wallet_versions.master_key_id).
func MasterKeyLabel(v int) string { return fmt.Sprintf("plings_master_key_v%d", v) }

// ValidationMessage is what the wallet's own key signs when its validation
// suite passed: the run, the wallet and the key. The database cannot run
// the suite (nor verify Ed25519); the console verifies this signature under
// the ceremony's master public key before it relies on the run, so that a
// run recorded by hand, without the key on the HSM, does not count.
func ValidationMessage(runID string, version int, fingerprint string) []byte {
	return []byte(fmt.Sprintf("wallet-validation\nrun: %s\nwallet: v%d\nkey: %s\n", runID, version, fingerprint))
}
