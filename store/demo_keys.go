package store

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
)

// DemoKeys makes the demo wallets' master keys: the fingerprint the demo
// records for a wallet is its key's, and the created wallet's backup proof
// is a signature by it. The console passes keys made on an HSM token
// (`console demo --token`); without one they are made here, in memory, from
// a fixed seed per wallet, so that a demo without an HSM still holds real
// keys (but validation, which needs the key on a token, cannot pass).
type DemoKeys interface {
	// Key returns wallet version's master public key and a signer for it.
	Key(version int) (ed25519.PublicKey, func(msg []byte) ([]byte, error), error)
	// Token names where the keys are (the ceremony token of the demo's
	// ceremony record): label, serial and model.
	Token() (label, serial, model string)
}

// memoryDemoKeys are keys made from a seed per wallet.
type memoryDemoKeys struct{}

func (memoryDemoKeys) Key(v int) (ed25519.PublicKey, func([]byte) ([]byte, error), error) {
	seed := sha256.Sum256([]byte(fmt.Sprintf("plings demo master key v%d", v)))
	priv := ed25519.NewKeyFromSeed(seed[:])
	return priv.Public().(ed25519.PublicKey), func(msg []byte) ([]byte, error) { return ed25519.Sign(priv, msg), nil }, nil
}

func (memoryDemoKeys) Token() (string, string, string) {
	return "demo-memory", "demo-memory-0001", "in memory (no HSM)"
}
