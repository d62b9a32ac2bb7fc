package ceremony

// Transcript events. The "*_refused"/"*_failed" events record a refusal that
// did not advance the ceremony; the others record a step done.
const (
	EventStarted          = "ceremony_started"
	EventRequestLoaded    = "request_loaded"
	EventRequestRefused   = "request_refused"
	EventOfflineChecked   = "offline_checked"
	EventOfflineRefused   = "offline_refused"
	EventOfflineOverride  = "offline_override"
	EventHSMOpened        = "hsm_opened"
	EventHSMRefused       = "hsm_refused"
	EventWitnessesStarted = "witnesses_started"
	EventWitnessAttested  = "witness_attested"
	EventWitnessRefused   = "witness_refused"
	EventEntropyMixed     = "entropy_mixed"
	EventEntropyFailed    = "entropy_failed"
	EventKeyGenerated     = "key_generated"
	EventKeyFailed        = "key_failed"
	EventBackupRecorded   = "backup_recorded"
	EventBackupFailed     = "backup_failed"
	EventClosing          = "closing"
	EventAborted          = "aborted"
)

// The data of each event. Field names are the JSON keys in the transcript;
// Verify decodes the same types, so writer and verifier cannot drift.

type startedData struct {
	CeremonyID string `json:"ceremony_id"`
	Operator   string `json:"operator"`
	Nonce      string `json:"nonce"` // 16 random bytes, hex: makes the challenge unpredictable
	Format     string `json:"format"`
}

type rosterData struct {
	Name        string `json:"name"`
	PublicKey   string `json:"public_key"`
	Fingerprint string `json:"fingerprint"`
}

type approvalData struct {
	Role      string `json:"role"`
	Approver  string `json:"approver"`
	DecidedAt string `json:"decided_at"`
}

type requestLoadedData struct {
	RequestID          string         `json:"request_id"`
	ApprovalID         string         `json:"approval_id"`
	RequestFile        string         `json:"request_file"`
	RequestFileSHA256  string         `json:"request_file_sha256"`
	WalletVersion      int            `json:"wallet_version"`
	KeyLabel           string         `json:"key_label"`
	WitnessesRequired  int            `json:"witnesses_required"`
	Roster             []rosterData   `json:"roster"`
	AuditHead          string         `json:"audit_head"`
	ApprovalValidUntil string         `json:"approval_valid_until"`
	Environment        string         `json:"environment"`
	Purpose            string         `json:"purpose"`
	SecurityLevel      string         `json:"security_level"`
	RequestedBy        string         `json:"requested_by"`
	Approvals          []approvalData `json:"approvals"`
	ExportedAt         string         `json:"exported_at"`
	ExportedBy         string         `json:"exported_by"`
}

type refusedData struct {
	Reason string `json:"reason"`
	// Optional context, by event.
	File           string `json:"file,omitempty"`
	FileSHA256     string `json:"file_sha256,omitempty"`
	Refusal        string `json:"refusal,omitempty"`         // witness: not_on_roster, duplicate, bad_signature
	KeyFingerprint string `json:"key_fingerprint,omitempty"` // witness: the key that signed, when readable
	Witness        string `json:"witness,omitempty"`
}

type offlineData struct {
	Report   OfflineReport `json:"report"`
	Override string        `json:"override,omitempty"` // offline_override: the operator's reason
	Note     string        `json:"note,omitempty"`
}

type hsmOpenedData struct {
	Module            string `json:"module"`
	ModuleDescription string `json:"module_description"`
	ModuleVersion     string `json:"module_version"`
	Cryptoki          string `json:"cryptoki"`
	TokenLabel        string `json:"token_label"`
	TokenManufacturer string `json:"token_manufacturer"`
	TokenModel        string `json:"token_model"`
	TokenSerial       string `json:"token_serial"`
	KeyLabelFree      string `json:"key_label_free"` // the label checked absent
}

type witnessesStartedData struct {
	Challenge string   `json:"challenge"`
	Need      int      `json:"need"`
	Roster    []string `json:"roster"`
}

type attestedData struct {
	Name           string `json:"name"`
	KeyFingerprint string `json:"key_fingerprint"`
	HashAlgorithm  string `json:"hash_algorithm"`
	Signature      string `json:"signature"`
	Done           int    `json:"done"`
	Need           int    `json:"need"`
}

type entropyData struct {
	OperatorBytes   int    `json:"operator_bytes"`
	OperatorSHA256  string `json:"operator_sha256"`
	Mixed           bool   `json:"mixed"`
	NotMixedReason  string `json:"not_mixed_reason,omitempty"`
	HSMSampleBytes  int    `json:"hsm_sample_bytes"`
	HSMSampleSHA256 string `json:"hsm_sample_sha256"`
}

type keyData struct {
	KeyLabel      string `json:"key_label"`
	PublicKeyPEM  string `json:"public_key_pem"`
	Fingerprint   string `json:"fingerprint"`
	CKAID         string `json:"cka_id"`
	OnToken       bool   `json:"on_token"`
	Sensitive     bool   `json:"sensitive"`
	Extractable   bool   `json:"extractable"`
	TestMessage   string `json:"test_message"`
	TestSignature string `json:"test_signature"` // base64
	ReadBack      bool   `json:"read_back"`      // found again by label, same public key
}

type backupData struct {
	Method         string `json:"method"`
	Proven         bool   `json:"proven"`
	BackupToken    string `json:"backup_token,omitempty"`
	BackupSerial   string `json:"backup_serial,omitempty"` // the backup token's, so the proof can be recorded on import
	BackupModel    string `json:"backup_model,omitempty"`
	Note           string `json:"note"`
	ProofChallenge string `json:"proof_challenge,omitempty"` // base64
	ProofSignature string `json:"proof_signature,omitempty"` // base64
}

type closingData struct {
	Outcome           string   `json:"outcome"`
	Attested          []string `json:"attested"`
	WitnessesRequired int      `json:"witnesses_required"`
	Fingerprint       string   `json:"fingerprint"`
	BackupMethod      string   `json:"backup_method"`
	BackupProven      bool     `json:"backup_proven"`
	Rehearsal         bool     `json:"rehearsal"`
}

type abortedData struct {
	Step              string   `json:"step"`
	Reason            string   `json:"reason"`
	AtStep            string   `json:"at_step"` // where the ceremony stood
	Destroyed         []string `json:"destroyed"`
	DestructionFailed string   `json:"destruction_failed,omitempty"`
	ManualCommand     string   `json:"manual_command,omitempty"`
	Note              string   `json:"note,omitempty"`
}
