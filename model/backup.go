package model

// BackupProof is the evidence that a backup token holds a wallet's master key
// (DESIGN.md, the witnessed key ceremony, point 5): a fresh random challenge,
// signed in the backup token, verified under the master public key the
// ceremony recorded. Until it exists for a ceremony whose transcript did not
// prove the backup, the wallet cannot be activated.
type BackupProof struct {
	Token       string `json:"token"`        // the backup token's label
	TokenSerial string `json:"token_serial"` // the backup token's serial (must differ from the ceremony token's)
	TokenModel  string `json:"token_model"`  // the backup token's model, as the HSM reports it
	Label       string `json:"label"`        // the key's label on the backup token
	Fingerprint string `json:"fingerprint"`  // SHA-256 (hex) of the master public key it proves
	Challenge   []byte `json:"challenge"`    // the fresh challenge the backup token signed
	Signature   []byte `json:"signature"`    // the backup token's Ed25519 signature over Challenge
}
