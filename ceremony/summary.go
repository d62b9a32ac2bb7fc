package ceremony

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
)

// Summary is what a verified transcript says, for the operator (String)
// and for the importer (Import).
type Summary struct {
	CeremonyID        string
	Operator          string
	RequestID         string
	ApprovalID        string
	RequestFileSHA256 string
	AuditHead         string // the connected side's audit head at export
	Version           int
	KeyLabel          string
	PublicKeyPEM      string
	Fingerprint       string

	Outcome        string // OutcomeCompleted or OutcomeAborted
	AbortedStep    string // where an aborted ceremony stopped
	AbortReason    string
	AbortNote      string // what was destroyed, or could not be
	Rehearsal      bool   // the offline check was overridden
	OverrideReason string

	Roster            []model.Witness
	WitnessesRequired int
	Attested          []string // who attested, in order
	ClosingSigners    []string // who signed the final message

	// Set by VerifyWith with AllowedSigners: the witnesses whose
	// signatures hold under the auditor's roster, and those not counted.
	TrustChecked bool
	TrustSource  string // the allowed_signers file
	Trusted      []string
	Untrusted    []UntrustedWitness
	TrustFailed  bool // a completed ceremony with fewer than WitnessesRequired counted

	BackupMethod string // "" if the backup step was not reached
	BackupProven bool
	BackupToken  string
	BackupNote   string
	// BackupProof is the backup step's proof (the backup token's signature
	// over a fresh challenge), carried into the import so that the
	// connected side records it and can verify it again; nil when the
	// backup is pending.
	BackupProof *model.BackupProof

	Offline string // the offline check's summary line
	HSM     string // module, token, serial
	// TokenSerial and TokenModel are the ceremony token's, as the hsm
	// login event recorded them: a backup proof must come from a token
	// with another serial (issue 10, point 9).
	TokenSerial string
	TokenModel  string

	StartedAt   time.Time
	CompletedAt time.Time // the closing entry's time (zero when aborted)
	EndedAt     time.Time // the last entry's time
	FinalHash   string
	FileSHA256  string // of the transcript file's bytes
	Entries     []SummaryEntry
}

// UntrustedWitness is an attested witness the auditor's roster does not
// vouch for, and why.
type UntrustedWitness struct {
	Name string
	Why  string
}

// What a verified transcript is (Summary.Verdict).
const (
	VerdictCompleted = "completed" // a completed, real ceremony: it may create a wallet
	VerdictAborted   = "aborted"   // it stopped; it made no wallet
	VerdictRehearsal = "rehearsal" // the offline check was overridden; it must never create a wallet
)

// Verdict says what the transcript is: VerdictCompleted only for a
// completed ceremony that was not a rehearsal; an aborted rehearsal is
// VerdictAborted.
func (s *Summary) Verdict() string {
	switch {
	case s.Outcome != OutcomeCompleted:
		return VerdictAborted
	case s.Rehearsal:
		return VerdictRehearsal
	}
	return VerdictCompleted
}

// VerdictText says the verdict in a sentence.
func (s *Summary) VerdictText() string {
	rehearsal := ""
	if s.Rehearsal {
		rehearsal = " (a rehearsal)"
	}
	switch s.Verdict() {
	case VerdictAborted:
		return fmt.Sprintf("ABORTED at step %s because %s%s: it made no wallet", s.AbortedStep, s.AbortReason, rehearsal)
	case VerdictRehearsal:
		return fmt.Sprintf("REHEARSAL, completed with the offline check overridden (%q): it must never create a wallet", s.OverrideReason)
	}
	return "COMPLETED, a real ceremony"
}

// TrustText says against which roster the witnesses were checked.
func (s *Summary) TrustText() string {
	if !s.TrustChecked {
		return "witnesses checked only against the roster inside the transcript (unsigned): pass --allowed-signers to check against one you trust"
	}
	return fmt.Sprintf("witnesses checked against %s: %d of %d", s.TrustSource, len(s.Trusted), len(s.Trusted)+len(s.Untrusted))
}

// SummaryEntry is one transcript entry in words.
type SummaryEntry struct {
	Seq   int
	Step  string
	Event string
	Actor string
	Time  time.Time
	Note  string
}

// Completed reports whether the ceremony completed.
func (s *Summary) Completed() bool { return s.Outcome == OutcomeCompleted }

// Import is what the connected side needs to create the wallet version.
// file must be the bytes that were verified (its SHA-256 is the import's
// TranscriptSHA256). It refuses an aborted ceremony (ErrAborted) and a
// rehearsal (ErrRehearsal), which must never create a wallet.
func (s *Summary) Import(file []byte) (model.CeremonyImport, error) {
	switch sum := sha256Hex(file); {
	case s.FileSHA256 != "" && sum != s.FileSHA256:
		return model.CeremonyImport{}, fmt.Errorf("import: the file given (SHA-256 %s) is not the transcript that was verified (%s); verify the file you import", sum, s.FileSHA256)
	case s.Outcome != OutcomeCompleted:
		return model.CeremonyImport{}, newProblem(fmt.Sprintf("import: ceremony %s was aborted at step %s (%s); nothing to import: run a new ceremony", s.CeremonyID, s.AbortedStep, s.AbortReason), ErrAborted)
	case s.Rehearsal:
		return model.CeremonyImport{}, newProblem(fmt.Sprintf("import: ceremony %s was a rehearsal (offline check overridden: %s); a rehearsal never creates a wallet: run the ceremony on the air-gapped machine", s.CeremonyID, s.OverrideReason), ErrRehearsal)
	}
	return model.CeremonyImport{
		CeremonyID: s.CeremonyID, RequestID: s.RequestID, ApprovalID: s.ApprovalID, Version: s.Version,
		KeyLabel: s.KeyLabel, PublicKey: s.PublicKeyPEM, Fingerprint: s.Fingerprint,
		TranscriptSHA256: sha256Hex(file), WitnessCount: len(s.Attested), BackupProven: s.BackupProven,
		CompletedAt: s.CompletedAt, Signers: append([]string(nil), s.Attested...),
		Roster: append([]model.Witness(nil), s.Roster...), AuditHead: s.AuditHead,
		TokenSerial: s.TokenSerial, TokenModel: s.TokenModel, BackupProof: s.importProof(),
	}, nil
}

// String is a readable multi-line summary.
func (s *Summary) String() string {
	var b strings.Builder
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-13s %s\n", label+":", fmt.Sprintf(format, args...))
	}
	if s.TrustFailed {
		fmt.Fprintf(&b, "Ceremony transcript %s — REFUSED: its witnesses are not the ones %s lists\n", s.CeremonyID, s.TrustSource)
		line("Result", "NOT VERIFIED: %d of the %d required witnesses signed with keys %s lists for them", len(s.Trusted), s.WitnessesRequired, s.TrustSource)
	} else {
		fmt.Fprintf(&b, "Ceremony transcript %s — verified\n", s.CeremonyID)
		line("Result", "%s", s.VerdictText())
	}
	if s.Rehearsal {
		fmt.Fprintf(&b, "*** REHEARSAL *** the offline check was overridden (%q): this transcript must never create a wallet\n", s.OverrideReason)
	}
	switch s.Outcome {
	case OutcomeCompleted:
		line("Outcome", "completed at %s", s.CompletedAt.Format(time.RFC3339))
	default:
		line("Outcome", "ABORTED at step %s because %s", s.AbortedStep, s.AbortReason)
		if s.AbortNote != "" {
			line("Keys", "%s", s.AbortNote)
		}
	}
	line("Operator", "%s", s.Operator)
	line("Request", "%s", orNone(s.RequestID))
	line("Approval", "%s", orNone(s.ApprovalID))
	if s.Version > 0 {
		line("Version", "%d (key label %s)", s.Version, s.KeyLabel)
	}
	line("Fingerprint", "%s", orNone(s.Fingerprint))
	if s.WitnessesRequired > 0 {
		line("Witnesses", "%d of %d attested: %s", len(s.Attested), s.WitnessesRequired, orNone(strings.Join(s.Attested, ", ")))
		if s.Outcome == OutcomeCompleted {
			line("Signed close", "%s", strings.Join(s.ClosingSigners, ", "))
		}
	}
	line("Trust", "%s", s.TrustText())
	if s.TrustChecked {
		if len(s.Trusted) > 0 {
			line("  counted", "%s", strings.Join(s.Trusted, ", "))
		}
		for _, u := range s.Untrusted {
			line("  NOT counted", "%s: %s", u.Name, u.Why)
		}
	}
	switch {
	case s.BackupMethod == "":
		line("Backup", "none (step not reached)")
	case s.BackupProven:
		line("Backup", "%s, proven by token %s", strings.ReplaceAll(s.BackupMethod, "_", " "), s.BackupToken)
	default:
		line("Backup", "%s, PROOF PENDING: the wallet cannot be activated until the backup is proven", strings.ReplaceAll(s.BackupMethod, "_", " "))
	}
	if s.Offline != "" {
		line("Offline", "%s", s.Offline)
	}
	if s.HSM != "" {
		line("HSM", "%s", s.HSM)
	}
	line("Final hash", "%s", s.FinalHash)
	b.WriteString("Steps:\n")
	for _, e := range s.Entries {
		fmt.Fprintf(&b, "  %3d  %s  %-9s %-18s %s", e.Seq, e.Time.Format("2006-01-02 15:04:05Z07:00"), e.Step, e.Event, e.Actor)
		if e.Note != "" {
			b.WriteString(" — " + e.Note)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// summary builds the Summary of a verified transcript.
func (st *replayState) summary(t *Transcript, file []byte) *Summary {
	s := &Summary{
		CeremonyID: st.started.CeremonyID, Operator: st.started.Operator, Outcome: st.outcome,
		Roster: []model.Witness{}, FinalHash: t.FinalHash, FileSHA256: sha256Hex(file),
	}
	if r := st.request; r != nil {
		s.RequestID, s.ApprovalID, s.RequestFileSHA256, s.AuditHead = r.RequestID, r.ApprovalID, r.RequestFileSHA256, r.AuditHead
		s.Version, s.KeyLabel, s.WitnessesRequired, s.Roster = r.WalletVersion, r.KeyLabel, r.WitnessesRequired, rosterModels(r.Roster)
	}
	if st.overrideEntry != nil {
		s.Rehearsal, s.OverrideReason = true, st.offline.Override
	}
	if st.offline != nil {
		s.Offline = st.offline.Report.Summary
	}
	if h := st.hsm; h != nil {
		s.HSM = fmt.Sprintf("token %q (%s %s, serial %s) in %s", h.TokenLabel, h.TokenManufacturer, h.TokenModel, h.TokenSerial, h.Module)
		s.TokenSerial, s.TokenModel = h.TokenSerial, h.TokenModel
	}
	for _, a := range st.attested {
		s.Attested = append(s.Attested, a.Name)
	}
	for _, w := range t.WitnessSignatures {
		s.ClosingSigners = append(s.ClosingSigners, w.Name)
	}
	if k := st.key; k != nil {
		s.PublicKeyPEM, s.Fingerprint = k.PublicKeyPEM, k.Fingerprint
	}
	if b := st.backup; b != nil {
		s.BackupMethod, s.BackupProven, s.BackupToken, s.BackupNote = b.Method, b.Proven, b.BackupToken, b.Note
		if b.Proven && b.ProofSignature != "" {
			ch, e1 := base64.StdEncoding.DecodeString(b.ProofChallenge)
			sig, e2 := base64.StdEncoding.DecodeString(b.ProofSignature)
			if e1 == nil && e2 == nil {
				s.BackupProof = &model.BackupProof{Token: b.BackupToken, TokenSerial: b.BackupSerial, TokenModel: b.BackupModel,
					Challenge: ch, Signature: sig}
			}
		}
	}
	if a := st.aborted; a != nil {
		s.AbortedStep, s.AbortReason, s.AbortNote = a.Step, a.Reason, a.note()
	}
	for _, e := range t.Entries {
		tm, _ := time.Parse(time.RFC3339Nano, e.Time)
		s.Entries = append(s.Entries, SummaryEntry{Seq: e.Seq, Step: e.Step, Event: e.Event, Actor: e.Actor, Time: tm, Note: entryNote(e)})
	}
	s.StartedAt = s.Entries[0].Time
	s.EndedAt = s.Entries[len(s.Entries)-1].Time
	if st.closingEntry != nil {
		s.CompletedAt, _ = time.Parse(time.RFC3339Nano, st.closingEntry.Time)
	}
	return s
}

// entryNote says in a few words what an entry recorded.
func entryNote(e Entry) string {
	switch e.Event {
	case EventStarted:
		var d startedData
		_ = decodeData(e, &d)
		return "ceremony " + d.CeremonyID
	case EventRequestLoaded:
		var d requestLoadedData
		_ = decodeData(e, &d)
		return fmt.Sprintf("request %s, approval %s, version %d, %d of %d witnesses required", d.RequestID, d.ApprovalID, d.WalletVersion, d.WitnessesRequired, len(d.Roster))
	case EventOfflineChecked, EventOfflineRefused:
		var d offlineData
		_ = decodeData(e, &d)
		return d.Report.Summary
	case EventOfflineOverride:
		var d offlineData
		_ = decodeData(e, &d)
		return fmt.Sprintf("REHEARSAL override (%s): %s", d.Override, d.Report.Summary)
	case EventHSMOpened:
		var d hsmOpenedData
		_ = decodeData(e, &d)
		return fmt.Sprintf("token %q serial %s", d.TokenLabel, d.TokenSerial)
	case EventWitnessesStarted:
		var d witnessesStartedData
		_ = decodeData(e, &d)
		return fmt.Sprintf("challenge fixed, %d witnesses needed", d.Need)
	case EventWitnessAttested:
		var d attestedData
		_ = decodeData(e, &d)
		return fmt.Sprintf("%d of %d, key %s", d.Done, d.Need, d.KeyFingerprint)
	case EventEntropyMixed:
		var d entropyData
		_ = decodeData(e, &d)
		if d.Mixed {
			return fmt.Sprintf("%d operator bytes mixed in (sha256 %s)", d.OperatorBytes, abbrevHash(d.OperatorSHA256))
		}
		return fmt.Sprintf("%d operator bytes NOT mixed in: %s", d.OperatorBytes, d.NotMixedReason)
	case EventKeyGenerated:
		var d keyData
		_ = decodeData(e, &d)
		return fmt.Sprintf("%s fingerprint %s, test signature verified", d.KeyLabel, abbrevHash(d.Fingerprint))
	case EventBackupRecorded:
		var d backupData
		_ = decodeData(e, &d)
		if d.Proven {
			return fmt.Sprintf("%s, proven", strings.ReplaceAll(d.Method, "_", " "))
		}
		return fmt.Sprintf("%s, proof pending", strings.ReplaceAll(d.Method, "_", " "))
	case EventClosing:
		return "final hash fixed"
	case EventAborted:
		var d abortedData
		_ = decodeData(e, &d)
		return fmt.Sprintf("ABORTED at %s: %s", d.Step, d.Reason)
	default:
		var d refusedData
		_ = decodeData(e, &d)
		return "refused: " + d.Reason
	}
}

// importProof is the backup proof for the import, naming the ceremony's key.
// A transcript that recorded no backup serial (written before serials were)
// gives none: its backup is then proven again with prove-backup.
func (s *Summary) importProof() *model.BackupProof {
	if s.BackupProof == nil || s.BackupProof.TokenSerial == "" {
		return nil
	}
	p := *s.BackupProof
	p.Label, p.Fingerprint = s.KeyLabel, s.Fingerprint
	return &p
}
