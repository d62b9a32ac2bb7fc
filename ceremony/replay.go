package ceremony

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// replayState is what the entries say, read in order by replay.
type replayState struct {
	started       startedData
	request       *requestLoadedData
	requestEntry  *Entry
	roster        *Roster
	offline       *offlineData
	overrideEntry *Entry
	hsm           *hsmOpenedData
	witnesses     *witnessesStartedData
	attested      []attestedData
	entropy       *entropyData
	key           *keyData
	keyEntry      *Entry
	pub           ed25519.PublicKey
	backup        *backupData
	backupEntry   *Entry
	closing       *closingData
	closingEntry  *Entry
	aborted       *abortedData
	abortedEntry  *Entry
	outcome       string
	stage         Step // the step the entries stood at after the last one
}

// eventStep is the step each event belongs to ("" for aborted: any step).
var eventStep = map[string]Step{
	EventStarted: StepRequest, EventRequestLoaded: StepRequest, EventRequestRefused: StepRequest,
	EventOfflineChecked: StepOffline, EventOfflineRefused: StepOffline, EventOfflineOverride: StepOffline,
	EventHSMOpened: StepHSM, EventHSMRefused: StepHSM,
	EventWitnessesStarted: StepWitnesses, EventWitnessAttested: StepWitnesses, EventWitnessRefused: StepWitnesses,
	EventEntropyMixed: StepEntropy, EventEntropyFailed: StepEntropy,
	EventKeyGenerated: StepKey, EventKeyFailed: StepKey,
	EventBackupRecorded: StepBackup, EventBackupFailed: StepBackup,
	EventClosing: StepClose,
}

// replay reads the entries in order, checking that they describe a ceremony
// as the console runs one (steps in order, each recorded at the step it
// belongs to) and that the evidence inside them holds: the challenge was
// made over the transcript so far, each attestation verifies against the
// roster, the key's fingerprint and test signature, the backup proof.
func replay(entries []Entry) (*replayState, error) { return replayEntries(entries, false) }

// replayEntries is replay; with partial true, entries that stop short of
// the closing or aborted entry (an unfinished ceremony's, see Unfinished)
// are accepted, and st.stage is the step they stopped at.
func replayEntries(entries []Entry, partial bool) (*replayState, error) {
	st := &replayState{}
	if len(entries) == 0 {
		return nil, newProblem("the transcript has no entries", ErrEvidence)
	}
	stage := StepRequest
	closed := false
	bad := func(e Entry, format string, args ...any) error {
		return newProblem(fmt.Sprintf("%s: %s", describe(e), fmt.Sprintf(format, args...)), ErrEvidence)
	}
	for i := range entries {
		e := entries[i]
		if st.aborted != nil {
			return nil, bad(e, "comes after the ceremony was aborted (entry %d)", st.abortedEntry.Seq)
		}
		if i == 0 && e.Event != EventStarted {
			return nil, bad(e, "the first entry must be %s", EventStarted)
		}
		if e.Event == EventAborted {
			var d abortedData
			if err := decodeData(e, &d); err != nil {
				return nil, err
			}
			if e.Step != stage.String() {
				return nil, bad(e, "recorded at step %q while the ceremony stood at %q", e.Step, stage)
			}
			st.aborted, st.abortedEntry = &d, &entries[i]
			continue
		}
		want, known := eventStep[e.Event]
		switch {
		case !known:
			return nil, bad(e, "unknown event %q", e.Event)
		case closed:
			return nil, bad(e, "comes after the closing entry")
		case want != stage:
			return nil, bad(e, "belongs to step %q but the ceremony stood at %q", want, stage)
		case e.Step != want.String():
			return nil, bad(e, "is recorded at step %q, want %q", e.Step, want)
		}
		var err error
		switch e.Event {
		case EventStarted:
			if i != 0 {
				return nil, bad(e, "a ceremony starts once")
			}
			err = decodeData(e, &st.started)
			if err == nil && st.started.CeremonyID == "" {
				err = bad(e, "no ceremony id")
			}
		case EventRequestLoaded:
			var d requestLoadedData
			if err = decodeData(e, &d); err != nil {
				break
			}
			st.request, st.requestEntry = &d, &entries[i]
			st.roster, err = NewRoster(d.RequestID, rosterModels(d.Roster))
			if err != nil {
				return nil, bad(e, "the recorded roster is not valid: %v", err)
			}
			if d.KeyLabel != KeyLabelFor(d.WalletVersion) || d.WitnessesRequired < 1 || len(d.Roster) < d.WitnessesRequired {
				return nil, bad(e, "key label %s, version %d, %d of %d witnesses do not fit together", d.KeyLabel, d.WalletVersion, d.WitnessesRequired, len(d.Roster))
			}
			stage = StepOffline
		case EventOfflineChecked, EventOfflineOverride:
			var d offlineData
			if err = decodeData(e, &d); err != nil {
				break
			}
			st.offline = &d
			if e.Event == EventOfflineOverride {
				if strings.TrimSpace(d.Override) == "" {
					return nil, bad(e, "an override without a reason")
				}
				st.overrideEntry = &entries[i]
			} else if !d.Report.Offline {
				return nil, bad(e, "the recorded check did not find the machine offline")
			} else if d.Report.Root != "" && d.Report.Root != "/" && !netRootIsMachine {
				return nil, bad(e, "the recorded check read %s, not the machine's own /proc and /sys, and was not marked a rehearsal", d.Report.Root)
			}
			stage = StepHSM
		case EventHSMOpened:
			var d hsmOpenedData
			if err = decodeData(e, &d); err == nil {
				st.hsm = &d
				stage = StepWitnesses
			}
		case EventWitnessesStarted:
			var d witnessesStartedData
			if err = decodeData(e, &d); err != nil {
				break
			}
			if st.witnesses != nil || i == 0 || entries[i-1].Event != EventHSMOpened {
				return nil, bad(e, "the witness step starts once, right after the HSM is opened")
			}
			want := ChallengeText(st.started.CeremonyID, st.request.RequestID, st.request.ApprovalID, entries[i-1].Hash)
			if d.Challenge != string(want) || d.Need != st.request.WitnessesRequired {
				return nil, bad(e, "the challenge is not the one made over the transcript so far")
			}
			st.witnesses = &d
		case EventWitnessAttested:
			var d attestedData
			if err = decodeData(e, &d); err != nil {
				break
			}
			if st.witnesses == nil {
				return nil, bad(e, "an attestation before the challenge")
			}
			att, verr := st.roster.Verify([]byte(st.witnesses.Challenge), []byte(d.Signature))
			if verr != nil {
				return nil, newProblem(fmt.Sprintf("%s: %v", describe(e), verr), ErrEvidence, ErrWitnessSignature, verr)
			}
			if att.Witness.Name != d.Name || att.Witness.Fingerprint != d.KeyFingerprint || e.Actor != d.Name {
				return nil, bad(e, "the attestation is signed by %s but recorded for %s", att.Witness.Name, d.Name)
			}
			for _, a := range st.attested {
				if a.KeyFingerprint == d.KeyFingerprint {
					return nil, newProblem(fmt.Sprintf("%s: %s attested twice", describe(e), d.Name), ErrEvidence, ErrDuplicateWitness)
				}
			}
			st.attested = append(st.attested, d)
			if d.Done != len(st.attested) || d.Need != st.witnesses.Need {
				return nil, bad(e, "progress %d of %d does not fit", d.Done, d.Need)
			}
			if len(st.attested) == st.witnesses.Need {
				stage = StepEntropy
			}
		case EventEntropyMixed:
			var d entropyData
			if err = decodeData(e, &d); err == nil {
				st.entropy = &d
				stage = StepKey
			}
		case EventKeyGenerated:
			var d keyData
			if err = decodeData(e, &d); err != nil {
				break
			}
			if st.pub, err = checkKeyEvidence(st, d); err != nil {
				return nil, bad(e, "%v", err)
			}
			st.key, st.keyEntry = &d, &entries[i]
			stage = StepBackup
		case EventBackupRecorded:
			var d backupData
			if err = decodeData(e, &d); err != nil {
				break
			}
			if err := checkBackupEvidence(st, d); err != nil {
				return nil, bad(e, "%v", err)
			}
			st.backup, st.backupEntry = &d, &entries[i]
			stage = StepClose
		case EventClosing:
			var d closingData
			if err = decodeData(e, &d); err != nil {
				break
			}
			names := make([]string, len(st.attested))
			for j, a := range st.attested {
				names[j] = a.Name
			}
			if d.Outcome != OutcomeCompleted || strings.Join(d.Attested, ",") != strings.Join(names, ",") ||
				d.WitnessesRequired != st.request.WitnessesRequired || d.Fingerprint != st.key.Fingerprint ||
				d.BackupMethod != st.backup.Method || d.BackupProven != st.backup.Proven || d.Rehearsal != (st.overrideEntry != nil) {
				return nil, bad(e, "the closing entry does not agree with the entries before it")
			}
			st.closing, st.closingEntry = &d, &entries[i]
			closed = true
		case EventOfflineRefused:
			var d offlineData
			err = decodeData(e, &d)
		default: // refusals: recorded at their step, nothing to check beyond the data's shape
			var d refusedData
			err = decodeData(e, &d)
		}
		if err != nil {
			return nil, err
		}
	}
	last := entries[len(entries)-1]
	st.stage = stage
	switch {
	case st.aborted != nil:
		st.outcome = OutcomeAborted
	case closed:
		st.outcome = OutcomeCompleted
	case partial:
	default:
		return nil, newProblem(fmt.Sprintf("the transcript ends with %s, neither closing nor aborted: it is incomplete (entries were cut off)", describe(last)), ErrEvidence)
	}
	return st, nil
}

// checkKeyEvidence checks a key_generated entry: the PEM parses to an
// Ed25519 key with the recorded fingerprint, the label is the request's, the
// test message is this ceremony's and its signature verifies.
func checkKeyEvidence(st *replayState, d keyData) (ed25519.PublicKey, error) {
	pub, err := model.ParsePublicKeyPEM(d.PublicKeyPEM)
	if err != nil {
		return nil, err
	}
	if hsm.Fingerprint(pub) != d.Fingerprint {
		return nil, fmt.Errorf("the fingerprint %s is not that of the public key (%s)", d.Fingerprint, hsm.Fingerprint(pub))
	}
	if d.KeyLabel != st.request.KeyLabel {
		return nil, fmt.Errorf("key label %s, but the request's is %s", d.KeyLabel, st.request.KeyLabel)
	}
	prefix := fmt.Sprintf("wallet-ceremony key test\nceremony: %s\nkey: %s\nnonce: ", st.started.CeremonyID, d.KeyLabel)
	sig, err := base64.StdEncoding.DecodeString(d.TestSignature)
	if !strings.HasPrefix(d.TestMessage, prefix) || err != nil || !ed25519.Verify(pub, []byte(d.TestMessage), sig) {
		return nil, fmt.Errorf("the key's test signature does not verify over this ceremony's test message")
	}
	return pub, nil
}

// checkBackupEvidence checks a backup_recorded entry: a known method, and a
// proof that verifies under the master key when it says proven.
func checkBackupEvidence(st *replayState, d backupData) error {
	switch d.Method {
	case BackupWrap:
		if !d.Proven {
			return fmt.Errorf("a wrapped backup is always proven")
		}
	case BackupOutOfBand:
	default:
		return fmt.Errorf("unknown backup method %q", d.Method)
	}
	if !d.Proven {
		return nil
	}
	ch, err1 := base64.StdEncoding.DecodeString(d.ProofChallenge)
	sig, err2 := base64.StdEncoding.DecodeString(d.ProofSignature)
	if err1 != nil || err2 != nil || len(ch) == 0 || !ed25519.Verify(st.pub, ch, sig) {
		return fmt.Errorf("the backup proof does not verify under the master public key")
	}
	return nil
}
