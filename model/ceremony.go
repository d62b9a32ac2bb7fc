package model

import "time"

// CeremonyWitnesses is how many witnesses must attest a key ceremony
// (DESIGN.md: default 3). A request file may ask for more, never fewer.
const CeremonyWitnesses = 3

// CeremonyImport is what the connected side takes from a verified ceremony
// transcript to create the wallet version (status created).
type CeremonyImport struct {
	CeremonyID       string `json:"ceremony_id"`
	RequestID        string `json:"request_id"`
	ApprovalID       string `json:"approval_id"`
	Version          int    `json:"version"`
	KeyLabel         string `json:"key_label"`         // plings_master_key_v{N}: the wallet's master_key_id
	PublicKey        string `json:"public_key"`        // PEM of the Ed25519 master public key
	Fingerprint      string `json:"fingerprint"`       // SHA-256 (hex) of the raw public key
	TranscriptSHA256 string `json:"transcript_sha256"` // of the transcript file's bytes
	// TokenSerial and TokenModel are the ceremony token's, from the
	// transcript's HSM login: a backup proof must come from another token.
	TokenSerial  string `json:"token_serial"`
	TokenModel   string `json:"token_model"`
	WitnessCount int    `json:"witness_count"`
	BackupProven bool   `json:"backup_proven"`
	// BackupProof is the proof the ceremony's backup step recorded (the
	// backup token's signature over a fresh challenge). A backup is recorded
	// proven only with it: BackupProven alone leaves the proof pending.
	BackupProof *BackupProof `json:"backup_proof,omitempty"`
	CompletedAt time.Time    `json:"completed_at"`
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

// CeremonyStep is one step of the ceremony as a front end shows and runs it:
// what it is, what the operator gives it, which text (if any) witnesses
// sign during it, and what running it calls. Package ceremony declares each
// step's; a front end builds its form from Inputs and dispatches on Action,
// never on Name.
type CeremonyStep struct {
	Name     string `json:"name"` // request, offline, hsm, witnesses, entropy, key, backup, close
	Title    string `json:"title"`
	Describe string `json:"describe"` // what will happen, shown before the step runs
	// Inputs are the step's fields, in order (none: the step runs on a key).
	Inputs []CeremonyInput `json:"inputs,omitempty"`
	// Override, when set, is an input the operator may open instead of
	// running the step as it is (the offline step's rehearsal override); what
	// is typed is recorded.
	Override *CeremonyInput `json:"override,omitempty"`
	// Signs is the text witnesses sign during the step, shown (with its file
	// and SignWith) before the first signature is taken; signatures are then
	// given one at a time until the step's WitnessProgress is complete.
	Signs    CeremonySignText `json:"signs,omitempty"`
	SignWith string           `json:"sign_with,omitempty"` // how a witness signs the file (FILE stands for it)
	Action   CeremonyAction   `json:"action"`
}

// CeremonyInput is one field of a ceremony step.
type CeremonyInput struct {
	Label    string            `json:"label"`
	Kind     CeremonyInputKind `json:"kind"`
	Hint     string            `json:"hint"`
	Required bool              `json:"required"`
}

// CeremonyInputKind is how a ceremony input is typed and passed on.
type CeremonyInputKind int

const (
	// InputText is plain text, shown as typed.
	InputText CeremonyInputKind = iota
	// InputSecret is never shown, logged or recorded; it is passed on as
	// bytes the front end wipes after the step ran.
	InputSecret
	// InputFileOrPaste is the path of a file on the removable media, or its
	// content pasted (a witness signature).
	InputFileOrPaste
)

func (k CeremonyInputKind) String() string {
	switch k {
	case InputText:
		return "text"
	case InputSecret:
		return "secret"
	case InputFileOrPaste:
		return "file-or-paste"
	}
	return "unknown"
}

// CeremonySignText is a text witnesses sign during a ceremony step.
type CeremonySignText int

const (
	SignNothing   CeremonySignText = iota
	SignChallenge                  // the witness attestation challenge (the witnesses step)
	SignFinal                      // the final message (the close step)
)

func (t CeremonySignText) String() string {
	switch t {
	case SignNothing:
		return "nothing"
	case SignChallenge:
		return "challenge"
	case SignFinal:
		return "final message"
	}
	return "unknown"
}

// CeremonyAction is what running a ceremony step calls on the ceremony (the
// methods of the console's Ceremony interface). Text inputs (text and
// file-or-paste) and secret inputs are passed in the order the step
// declares them.
type CeremonyAction int

const (
	ActNone                CeremonyAction = iota
	ActLoadRequest                        // LoadRequest(request file)
	ActCheckOffline                       // CheckOffline(override, "" when not opened)
	ActOpenHSM                            // OpenHSM(PIN)
	ActAddWitness                         // AddWitness(signature), once per witness
	ActMixEntropy                         // MixEntropy(entropy)
	ActGenerateKey                        // GenerateKey()
	ActBackup                             // Backup(backup token, backup PIN)
	ActAddClosingSignature                // AddClosingSignature(signature) per witness, then Close()
)

func (a CeremonyAction) String() string {
	names := [...]string{"none", "load-request", "check-offline", "open-hsm", "add-witness",
		"mix-entropy", "generate-key", "backup", "add-closing-signature"}
	if a < 0 || int(a) >= len(names) {
		return "unknown"
	}
	return names[a]
}

// WitnessProgress counts the witness signatures collected.
type WitnessProgress struct {
	Name string `json:"name"` // the witness whose signature was accepted
	Done int    `json:"done"`
	Need int    `json:"need"`
}
