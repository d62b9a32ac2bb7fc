package model

import "time"

// CeremonyWitnesses is how many witnesses must attest a key ceremony
// (DESIGN.md: default 3). A request file may ask for more, never fewer.
const CeremonyWitnesses = 3

// CeremonyImport is what the connected side takes from a verified ceremony
// transcript to create the wallet version (status created).
type CeremonyImport struct {
	CeremonyID       string    `json:"ceremony_id"`
	RequestID        string    `json:"request_id"`
	ApprovalID       string    `json:"approval_id"`
	Version          int       `json:"version"`
	KeyLabel         string    `json:"key_label"`         // plings_master_key_v{N}: the wallet's master_key_id
	PublicKey        string    `json:"public_key"`        // PEM of the Ed25519 master public key
	Fingerprint      string    `json:"fingerprint"`       // SHA-256 (hex) of the raw public key
	TranscriptSHA256 string    `json:"transcript_sha256"` // of the transcript file's bytes
	WitnessCount     int       `json:"witness_count"`
	BackupProven     bool      `json:"backup_proven"`
	CompletedAt      time.Time `json:"completed_at"`
	// Signers are the witnesses who attested (and signed the final message).
	Signers []string `json:"signers"`
	// Roster is the witness roster the request file carried.
	Roster []Witness `json:"roster"`
	// AuditHead is the connected database's audit row of the export the
	// ceremony used (hex row hash), from the request file.
	AuditHead string `json:"audit_head"`
}

// CeremonyRun is the ceremony machine's own record of a ceremony it ran (or
// aborted), kept in its local database so a request is never used twice there.
type CeremonyRun struct {
	CeremonyID       string    `json:"ceremony_id"`
	RequestID        string    `json:"request_id"`
	ApprovalID       string    `json:"approval_id"`
	Version          int       `json:"version"`
	Outcome          string    `json:"outcome"` // completed, aborted
	Step             string    `json:"step"`    // the step it stopped at when aborted
	Reason           string    `json:"reason"`  // why it stopped when aborted
	TranscriptPath   string    `json:"transcript_path"`
	TranscriptSHA256 string    `json:"transcript_sha256"`
	At               time.Time `json:"at"`
}

// CeremonyStep is one step of the ceremony as a front end lists it.
type CeremonyStep struct {
	Name     string `json:"name"` // request, offline, hsm, witnesses, entropy, key, backup, close
	Title    string `json:"title"`
	Describe string `json:"describe"` // what will happen, shown before the step runs
}

// WitnessProgress counts the witness signatures collected.
type WitnessProgress struct {
	Name string `json:"name"` // the witness whose signature was accepted
	Done int    `json:"done"`
	Need int    `json:"need"`
}
