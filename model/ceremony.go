package model

import "time"

// CeremonyWitnesses is how many witnesses must attest a key ceremony
// (DESIGN.md: default 3). A request file may ask for more, never fewer.
const CeremonyWitnesses = 3

// CeremonyImport is what the connected side takes from a verified ceremony
// transcript to create the wallet version (status created).
type CeremonyImport struct {
	CeremonyID       string
	RequestID        string
	ApprovalID       string
	Version          int
	KeyLabel         string // plings_master_key_v{N}: the wallet's master_key_id
	PublicKey        string // PEM of the Ed25519 master public key
	Fingerprint      string // SHA-256 (hex) of the raw public key
	TranscriptSHA256 string // of the transcript file's bytes
	WitnessCount     int
	BackupProven     bool
	CompletedAt      time.Time
	// Signers are the witnesses who attested (and signed the final message).
	Signers []string
	// Roster is the witness roster the request file carried.
	Roster []Witness
	// AuditHead is the connected database's audit row of the export the
	// ceremony used (hex row hash), from the request file.
	AuditHead string
}

// CeremonyRun is the ceremony machine's own record of a ceremony it ran (or
// aborted), kept in its local database so a request is never used twice there.
type CeremonyRun struct {
	CeremonyID       string
	RequestID        string
	ApprovalID       string
	Version          int
	Outcome          string // completed, aborted
	Step             string // the step it stopped at when aborted
	Reason           string // why it stopped when aborted
	TranscriptPath   string
	TranscriptSHA256 string
	At               time.Time
}
