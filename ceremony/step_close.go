package ceremony

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	"github.com/plings/walletconsole/hsm"
)

// FinalMessage records the closing entry, which fixes the final hash, and
// returns the final message (see FinalMessageText) that the master key and
// every attested witness sign. Later calls return the same message.
func (c *Ceremony) FinalMessage() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepClose, "the final message"); err != nil {
		return nil, err
	}
	if c.finalMsg == nil {
		names := make([]string, len(c.attested))
		for i, w := range c.attested {
			names[i] = w.Name
		}
		fp := hsm.Fingerprint(c.pub)
		if err := c.record(StepClose, EventClosing, c.cfg.Operator, closingData{
			Outcome: OutcomeCompleted, Attested: names, WitnessesRequired: c.need, Fingerprint: fp,
			BackupMethod: c.backup.Method, BackupProven: c.backup.Proven, Rehearsal: c.rehearsal,
		}); err != nil {
			return nil, err
		}
		c.finalMsg = FinalMessageText(c.id, c.rf.Request.ID, c.rf.Request.ApprovalID, c.keyLabel, fp, c.head())
	}
	return bytes.Clone(c.finalMsg), nil
}

// AddClosingSignature takes an attested witness's armored signature over the
// final message. Refusals (ErrNotOnRoster, ErrNotAttested,
// ErrDuplicateWitness, ErrBadSignature) are returned but not recorded: the
// final hash is fixed, so nothing can be added to the entries any more.
func (c *Ceremony) AddClosingSignature(armored []byte) (Progress, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepClose, "a closing signature"); err != nil {
		return Progress{}, err
	}
	p := Progress{Done: len(c.closing), Need: len(c.attested)}
	if c.finalMsg == nil {
		return p, newProblem("a closing signature needs the final message: call FinalMessage and have the witnesses sign it", ErrOutOfOrder)
	}
	att, err := c.roster.Verify(c.finalMsg, armored)
	if err != nil {
		return p, err
	}
	attested := false
	for _, w := range c.attested {
		attested = attested || w.Fingerprint == att.Witness.Fingerprint
	}
	switch {
	case !attested:
		return p, newProblem(fmt.Sprintf("%s did not attest at the start of this ceremony, so cannot sign its close; the witnesses who attested sign it", att.Witness.Name), ErrNotAttested)
	case c.closedFP[att.Witness.Fingerprint]:
		return p, newProblem(fmt.Sprintf("%s (key %s) has already signed the final message (%d of %d); the next witness signs", att.Witness.Name, att.Witness.Fingerprint, p.Done, p.Need), ErrDuplicateWitness)
	}
	c.closedFP[att.Witness.Fingerprint] = true
	c.closing = append(c.closing, WitnessSignature{Name: att.Witness.Name, Signature: att.Armored})
	return Progress{Name: att.Witness.Name, Done: len(c.closing), Need: len(c.attested)}, nil
}

// Close has the master key sign the final message in the HSM (verified
// outside with crypto/ed25519), verifies the whole transcript as Verify
// would, writes it to TranscriptDir/<ceremony id>.json with O_EXCL (never
// overwriting: if the file exists, Close fails and can be called again once
// the name is free) and records the ceremony as completed in the Ledger.
// It returns the transcript's path.
func (c *Ceremony) Close() (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepClose, "closing the ceremony"); err != nil {
		return "", err
	}
	if c.finalMsg == nil {
		return "", newProblem("closing needs the final message signed: call FinalMessage, then add each witness's closing signature", ErrOutOfOrder)
	}
	if len(c.closing) < len(c.attested) {
		return "", newProblem(fmt.Sprintf("%d of %d witnesses have signed the final message; every witness who attested signs it before the ceremony closes", len(c.closing), len(c.attested)), ErrTooFewWitnesses)
	}
	if c.masterSig == nil {
		sig, err := c.key.Sign(c.finalMsg)
		if err != nil {
			return "", newProblem(fmt.Sprintf("close: the master key could not sign the final message: %v; check the token and try again, or abort", err), ErrKeyCheck, err)
		}
		if !ed25519.Verify(c.pub, c.finalMsg, sig) {
			return "", newProblem("close: the master key's signature over the final message does not verify; abort the ceremony", ErrKeyCheck)
		}
		c.masterSig = sig
	}
	b, err := MarshalTranscript(c.transcript(OutcomeCompleted))
	if err != nil {
		return "", err
	}
	if _, err := Verify(b); err != nil {
		return "", fmt.Errorf("close: the transcript does not verify (%w); this is a fault of the console: abort the ceremony", err)
	}
	path, sum, err := c.writeTranscript(b)
	if err != nil {
		return "", fmt.Errorf("close: %w", err)
	}
	c.path, c.written = path, true
	c.outcome, c.step = OutcomeCompleted, StepDone
	merr := c.clearUnfinished()
	if c.rehearsal {
		return path, errors.Join(c.closeRehearsal(path, sum), merr)
	}
	c.closeTokens()
	if err := c.recordRun(OutcomeCompleted, "", "", path, sum); err != nil {
		return path, errors.Join(err, merr)
	}
	return path, merr
}

// RehearsalNote is what the ledger and the operator are told when a
// rehearsal closes.
const RehearsalNote = "rehearsal: its key was destroyed on the token and its request is not used up"

// closeRehearsal ends a rehearsal: it never leaves its key behind and never
// uses up the real request on this machine (the ledger records it as not
// completed, with why). The transcript stays, marked REHEARSAL. The caller
// holds c.mu.
func (c *Ceremony) closeRehearsal(path, sum string) error {
	var d abortedData
	derr := c.destroyKeys(&d)
	c.closeTokens()
	if derr != nil {
		return fmt.Errorf("close: the rehearsal's transcript is %s, but %w", path, derr)
	}
	return c.recordRun(OutcomeAborted, StepClose.String(), RehearsalNote, path, sum)
}
