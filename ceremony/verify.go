package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hiddeco/sshsig"

	"github.com/plings/walletconsole/model"
)

// Verify checks a transcript file anywhere, offline, with no HSM and no
// database, and returns its summary. It refuses, each with its own sentinel
// and a message naming what failed:
//
//   - ErrMalformed: not JSON of this format, or an entry's data not an object;
//   - ErrEntryMissing: a gap in the entry numbers (an entry removed);
//   - ErrEntriesReordered: entries out of order, or one twice;
//   - ErrEntryAltered: an entry whose hash does not match its content;
//   - ErrBrokenChain: an entry whose prev is not the previous entry's hash;
//   - ErrFinalHash: final_hash not the last entry's hash (entries cut off);
//   - ErrNotCanonical: any byte differing from the writer's exact form;
//   - ErrHeaderMismatch: a header field that disagrees with the entries;
//   - ErrEvidence: entries that do not describe a valid ceremony (order of
//     steps, attestations, key test signature, backup proof);
//   - ErrMasterSignature: the master key's signature missing or invalid;
//   - ErrWitnessSignature (with ErrNotOnRoster, ErrDuplicateWitness,
//     ErrNotAttested or ErrBadSignature): a closing signature that fails;
//   - ErrTooFewWitnesses: fewer closing signatures than attested witnesses.
//
// An aborted transcript verifies when its chain holds; its summary says where
// and why it stopped, and it has no master signature.
//
// Verify proves the file is the one the ceremony wrote and that the roster
// in it signed; whether that roster and request are the right ones is for
// the importer to check against its database (Summary.Roster, RequestID),
// or for an auditor to check against a roster of their own (VerifyWith).
func Verify(data []byte) (*Summary, error) { return VerifyWith(data, VerifyOptions{}) }

// VerifyOptions are what an auditor brings to Verify.
type VerifyOptions struct {
	// AllowedSigners, when set, is the roster the auditor trusts: every
	// witness signature (attestation and closing) is checked against it
	// too, and a witness whose key it does not list for their name is not
	// counted. Without it the witnesses are checked only against the
	// roster inside the transcript, which nobody signed.
	AllowedSigners *AllowedSignersFile
}

// VerifyWith is Verify with the auditor's options. When the transcript is
// intact but fewer witnesses than required are signed with keys the
// AllowedSigners list for them, it returns the summary (saying who was not
// counted and why) together with an ErrUntrustedWitnesses error.
func VerifyWith(data []byte, opts VerifyOptions) (*Summary, error) {
	t, err := parseTranscript(data)
	if err != nil {
		return nil, err
	}
	if err := checkSequence(t.Entries); err != nil {
		return nil, err
	}
	if err := checkChain(t.Entries); err != nil {
		return nil, err
	}
	last := t.Entries[len(t.Entries)-1]
	if t.FinalHash != last.Hash {
		return nil, newProblem(fmt.Sprintf("final_hash %s is not the hash of the last entry, entry %d (%s), which is %s: entries were cut off the end or the final hash was edited",
			abbrevHash(t.FinalHash), last.Seq, last.Event, abbrevHash(last.Hash)), ErrFinalHash)
	}
	if err := checkCanonical(t, data); err != nil {
		return nil, err
	}
	st, err := replay(t.Entries)
	if err != nil {
		return nil, err
	}
	if err := checkHeader(t, st); err != nil {
		return nil, err
	}
	if st.outcome == OutcomeCompleted {
		if err := checkSignatures(t, st); err != nil {
			return nil, err
		}
	}
	sum := st.summary(t, data)
	if opts.AllowedSigners != nil {
		if err := checkTrusted(t, st, sum, opts.AllowedSigners); err != nil {
			return sum, err
		}
	}
	return sum, nil
}

// checkTrusted checks every attested witness's signatures against the
// auditor's allowed signers and records the result in sum. A completed
// ceremony needs at least WitnessesRequired witnesses counted.
func checkTrusted(t *Transcript, st *replayState, sum *Summary, a *AllowedSignersFile) error {
	sum.TrustChecked, sum.TrustSource = true, a.Source
	closing := map[string]string{}
	for _, ws := range t.WitnessSignatures {
		closing[ws.Name] = ws.Signature
	}
	var finalMsg []byte
	var closeTime time.Time
	if st.outcome == OutcomeCompleted {
		finalMsg = FinalMessageText(st.started.CeremonyID, st.request.RequestID, st.request.ApprovalID, st.request.KeyLabel, st.key.Fingerprint, t.FinalHash)
		closeTime, _ = time.Parse(time.RFC3339Nano, st.closingEntry.Time)
	}
	for _, e := range t.Entries {
		if e.Event != EventWitnessAttested {
			continue
		}
		var d attestedData
		if err := decodeData(e, &d); err != nil {
			return err
		}
		at, _ := time.Parse(time.RFC3339Nano, e.Time)
		why := trustedSignature(a, d.Name, []byte(st.witnesses.Challenge), d.Signature, at, "attestation")
		if why == "" && finalMsg != nil {
			why = trustedSignature(a, d.Name, finalMsg, closing[d.Name], closeTime, "closing signature")
		}
		if why == "" {
			sum.Trusted = append(sum.Trusted, d.Name)
		} else {
			sum.Untrusted = append(sum.Untrusted, UntrustedWitness{Name: d.Name, Why: why})
		}
	}
	if st.outcome != OutcomeCompleted || len(sum.Trusted) >= sum.WitnessesRequired {
		return nil
	}
	sum.TrustFailed = true
	var whys []string
	for _, u := range sum.Untrusted {
		whys = append(whys, u.Name+": "+u.Why)
	}
	return newProblem(fmt.Sprintf("witnesses checked against %s: %d of %d, and the ceremony needs %d: %s",
		a.Source, len(sum.Trusted), len(sum.Trusted)+len(sum.Untrusted), sum.WitnessesRequired, strings.Join(whys, "; ")), ErrUntrustedWitnesses)
}

// trustedSignature checks one armored signature by name over msg against
// the allowed signers; "" when it holds, else why not.
func trustedSignature(a *AllowedSignersFile, name string, msg []byte, armored string, at time.Time, what string) string {
	if armored == "" {
		return "no " + what
	}
	_, sig, err := parseArmored([]byte(armored))
	if err != nil {
		return what + ": " + err.Error()
	}
	if ok, why := a.Permits(name, sig.PublicKey, sig.Namespace, at); !ok {
		return what + " " + why
	}
	if sig.Namespace != Namespace {
		return fmt.Sprintf("%s in namespace %q, not %q", what, sig.Namespace, Namespace)
	}
	if err := sshsig.Verify(bytes.NewReader(msg), sig, sig.PublicKey, sig.HashAlgorithm, Namespace); err != nil {
		return fmt.Sprintf("%s does not verify: %v", what, err)
	}
	return ""
}

// parseTranscript decodes the file strictly (unknown fields refused).
func parseTranscript(data []byte) (*Transcript, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var t Transcript
	if err := dec.Decode(&t); err != nil {
		return nil, newProblem(fmt.Sprintf("not a ceremony transcript: %v; give the .json file the ceremony wrote", err), ErrMalformed)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, newProblem("not a ceremony transcript: there is more after the JSON object", ErrMalformed)
	}
	if t.Format != TranscriptFormat {
		return nil, newProblem(fmt.Sprintf("not a ceremony transcript: format %q, want %q", t.Format, TranscriptFormat), ErrMalformed)
	}
	if len(t.Entries) == 0 {
		return nil, newProblem("not a ceremony transcript: it has no entries", ErrMalformed)
	}
	return &t, nil
}

// checkSequence finds removed, duplicated and reordered entries by their
// numbers (each number is inside the entry's hash).
func checkSequence(entries []Entry) error {
	pos := map[int]int{}
	maxSeq := 0
	for i, e := range entries {
		if e.Seq < 1 {
			return newProblem(fmt.Sprintf("the entry at position %d has number %d; entries are numbered from 1", i+1, e.Seq), ErrMalformed)
		}
		if p, dup := pos[e.Seq]; dup {
			return newProblem(fmt.Sprintf("entry %d (%s) appears twice, at positions %d and %d: entries were copied or reordered", e.Seq, e.Event, p+1, i+1), ErrEntriesReordered)
		}
		pos[e.Seq] = i
		maxSeq = max(maxSeq, e.Seq)
	}
	for s := 1; s <= maxSeq; s++ {
		if _, ok := pos[s]; !ok {
			next := s + 1
			for ; next <= maxSeq; next++ {
				if _, ok := pos[next]; ok {
					break
				}
			}
			return newProblem(fmt.Sprintf("entry %d is missing: the file goes from entry %d to entry %d; an entry was removed", s, s-1, next), ErrEntryMissing)
		}
	}
	for i, e := range entries {
		if e.Seq != i+1 {
			return newProblem(fmt.Sprintf("entry %d (%s) stands at position %d: the entries were reordered", e.Seq, e.Event, i+1), ErrEntriesReordered)
		}
	}
	return nil
}

// checkChain recomputes every entry's hash and checks every prev link.
func checkChain(entries []Entry) error {
	for i, e := range entries {
		h, err := EntryHash(e)
		if err != nil {
			return newProblem(fmt.Sprintf("entry %d (%s): %v", e.Seq, e.Event, err), ErrMalformed)
		}
		if h != e.Hash {
			return newProblem(fmt.Sprintf("entry %d (%s) was altered: its hash does not match", e.Seq, e.Event), ErrEntryAltered)
		}
		want, what := GenesisPrev, "64 zeros (it is the first entry)"
		if i > 0 {
			want, what = entries[i-1].Hash, fmt.Sprintf("the hash of entry %d", entries[i-1].Seq)
		}
		if e.Prev != want {
			return newProblem(fmt.Sprintf("entry %d (%s) does not follow on: its prev is %s but should be %s (%s); the chain was broken",
				e.Seq, e.Event, abbrevHash(e.Prev), what, abbrevHash(want)), ErrBrokenChain)
		}
	}
	return nil
}

// checkCanonical re-serialises what was parsed in the writer's exact form
// and refuses a file that differs in any byte.
func checkCanonical(t *Transcript, data []byte) error {
	want, err := MarshalTranscript(t)
	if err != nil {
		return newProblem(fmt.Sprintf("the transcript cannot be re-serialised: %v", err), ErrMalformed)
	}
	if bytes.Equal(want, data) {
		return nil
	}
	n := 0
	for n < len(want) && n < len(data) && want[n] == data[n] {
		n++
	}
	line := bytes.Count(data[:n], []byte("\n")) + 1
	return newProblem(fmt.Sprintf("the file is not byte-for-byte as written (first difference at byte %d, line %d): it was edited after the ceremony", n, line), ErrNotCanonical)
}

// checkHeader compares every header field with what the entries say.
func checkHeader(t *Transcript, st *replayState) error {
	mismatch := func(field string, got, want any, where string) error {
		return newProblem(fmt.Sprintf("header field %s is %v but %s says %v: the header was edited", field, show(got), where, show(want)), ErrHeaderMismatch)
	}
	first := describe(t.Entries[0])
	if t.CeremonyID != st.started.CeremonyID {
		return mismatch("ceremony_id", t.CeremonyID, st.started.CeremonyID, first)
	}
	var rq requestLoadedData
	where := "the transcript (no request was loaded)"
	if st.request != nil {
		rq, where = *st.request, describe(*st.requestEntry)
	}
	switch {
	case t.RequestID != rq.RequestID:
		return mismatch("request_id", t.RequestID, rq.RequestID, where)
	case t.ApprovalID != rq.ApprovalID:
		return mismatch("approval_id", t.ApprovalID, rq.ApprovalID, where)
	case t.WalletVersion != rq.WalletVersion:
		return mismatch("wallet_version", t.WalletVersion, rq.WalletVersion, where)
	case t.KeyLabel != rq.KeyLabel:
		return mismatch("key_label", t.KeyLabel, rq.KeyLabel, where)
	case t.WitnessesRequired != rq.WitnessesRequired:
		return mismatch("witnesses_required", t.WitnessesRequired, rq.WitnessesRequired, where)
	case len(t.Roster) != len(rq.Roster):
		return mismatch("roster", fmt.Sprintf("%d witnesses", len(t.Roster)), fmt.Sprintf("%d witnesses", len(rq.Roster)), where)
	}
	for i, w := range t.Roster {
		if w.Name != rq.Roster[i].Name || w.PublicKey != rq.Roster[i].PublicKey {
			return mismatch(fmt.Sprintf("roster[%d]", i), w.Name+" "+w.PublicKey, rq.Roster[i].Name+" "+rq.Roster[i].PublicKey, where)
		}
	}
	rehearsalWhere := "the transcript (no offline override)"
	if st.overrideEntry != nil {
		rehearsalWhere = describe(*st.overrideEntry)
	}
	if t.Rehearsal != (st.overrideEntry != nil) {
		return mismatch("rehearsal", t.Rehearsal, st.overrideEntry != nil, rehearsalWhere)
	}
	var kd keyData
	where = "the transcript (no key was generated)"
	if st.key != nil {
		kd, where = *st.key, describe(*st.keyEntry)
	}
	if t.MasterPublicKey != kd.PublicKeyPEM {
		return mismatch("master_public_key", abbreviate(t.MasterPublicKey), abbreviate(kd.PublicKeyPEM), where)
	}
	if t.PublicKeyFingerprint != kd.Fingerprint {
		return mismatch("public_key_fingerprint", t.PublicKeyFingerprint, kd.Fingerprint, where)
	}
	switch {
	case st.backup == nil && t.Backup != nil:
		return mismatch("backup", *t.Backup, "no backup", "the transcript (no backup step)")
	case st.backup != nil && t.Backup == nil:
		return mismatch("backup", "null", st.backup.Method, describe(*st.backupEntry))
	case st.backup != nil && (t.Backup.Method != st.backup.Method || t.Backup.Proven != st.backup.Proven):
		return mismatch("backup", *t.Backup, BackupHeader{Method: st.backup.Method, Proven: st.backup.Proven}, describe(*st.backupEntry))
	}
	lastWhere := describe(t.Entries[len(t.Entries)-1])
	if t.Outcome != st.outcome {
		return mismatch("outcome", t.Outcome, st.outcome, lastWhere)
	}
	if st.outcome == OutcomeAborted {
		if t.MasterSignature != "" {
			return mismatch("master_signature", "present", "none (the ceremony was aborted)", lastWhere)
		}
		if len(t.WitnessSignatures) > 0 {
			return mismatch("witness_signatures", fmt.Sprintf("%d signatures", len(t.WitnessSignatures)), "none (the ceremony was aborted)", lastWhere)
		}
	}
	return nil
}

// checkSignatures checks the master key's and the witnesses' signatures
// over the final message of a completed transcript.
func checkSignatures(t *Transcript, st *replayState) error {
	msg := FinalMessageText(st.started.CeremonyID, st.request.RequestID, st.request.ApprovalID, st.request.KeyLabel, st.key.Fingerprint, t.FinalHash)
	sig, err := base64.StdEncoding.Strict().DecodeString(t.MasterSignature)
	switch {
	case t.MasterSignature == "":
		return newProblem("the master key's signature is missing: a completed ceremony is signed by its new key", ErrMasterSignature)
	case err != nil || len(sig) != ed25519.SignatureSize:
		return newProblem("master_signature is not a base64 Ed25519 signature: it was replaced or damaged", ErrMasterSignature)
	case !ed25519.Verify(st.pub, msg, sig):
		return newProblem(fmt.Sprintf("the master key's signature does not verify over the final message under key %s: the signature was replaced or the transcript was changed", st.key.Fingerprint), ErrMasterSignature)
	}
	attested := map[string]bool{}
	for _, a := range st.attested {
		attested[a.KeyFingerprint] = true
	}
	seen := map[string]bool{}
	for i, ws := range t.WitnessSignatures {
		at := fmt.Sprintf("witness signature %d (%s)", i+1, ws.Name)
		att, err := st.roster.Verify(msg, []byte(ws.Signature))
		switch {
		case err != nil:
			return newProblem(fmt.Sprintf("%s: %v", at, err), ErrWitnessSignature, err)
		case att.Witness.Name != ws.Name:
			return newProblem(fmt.Sprintf("%s was made with %s's key (%s), not %s's: the signature was replaced", at, att.Witness.Name, att.Witness.Fingerprint, ws.Name), ErrWitnessSignature, ErrBadSignature)
		case !attested[att.Witness.Fingerprint]:
			return newProblem(fmt.Sprintf("%s: %s did not attest at the start of the ceremony", at, ws.Name), ErrWitnessSignature, ErrNotAttested)
		case seen[att.Witness.Fingerprint]:
			return newProblem(fmt.Sprintf("%s: %s has signed twice", at, ws.Name), ErrWitnessSignature, ErrDuplicateWitness)
		}
		seen[att.Witness.Fingerprint] = true
	}
	if len(seen) < len(st.attested) {
		return newProblem(fmt.Sprintf("%d of the %d witnesses who attested signed the final message; every one must", len(seen), len(st.attested)), ErrTooFewWitnesses)
	}
	return nil
}

// decodeData decodes an entry's data strictly into v.
func decodeData(e Entry, v any) error {
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return newProblem(fmt.Sprintf("entry %d (%s): its data does not fit the event: %v", e.Seq, e.Event, err), ErrEvidence)
	}
	return nil
}

// describe names an entry for messages.
func describe(e Entry) string { return fmt.Sprintf("entry %d (%s)", e.Seq, e.Event) }

func show(v any) string {
	switch v := v.(type) {
	case string:
		return fmt.Sprintf("%q", v)
	case BackupHeader:
		return fmt.Sprintf("{method %s, proven %v}", v.Method, v.Proven)
	}
	return fmt.Sprint(v)
}

func abbrevHash(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	if h == "" {
		return `""`
	}
	return h
}

// sha256Hex is the hex SHA-256 of b.
func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// rosterModels turns recorded roster data into model values.
func rosterModels(rs []rosterData) []model.Witness {
	out := make([]model.Witness, len(rs))
	for i, r := range rs {
		out[i] = model.Witness{Name: r.Name, PublicKey: r.PublicKey}
	}
	return out
}
