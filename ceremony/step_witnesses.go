package ceremony

import (
	"bytes"
	"errors"
	"fmt"
)

// Progress is how far witness signing has come.
type Progress struct {
	Name string // who signed last ("" after a refusal)
	Done int
	Need int
}

// startWitnesses fixes the challenge over the transcript so far and records
// witnesses_started. The caller holds c.mu.
func (c *Ceremony) startWitnesses() error {
	c.challenge = ChallengeText(c.id, c.rf.Request.ID, c.rf.Request.ApprovalID, c.head())
	return c.record(StepWitnesses, EventWitnessesStarted, c.cfg.Operator, witnessesStartedData{
		Challenge: string(c.challenge), Need: c.need, Roster: c.roster.Names(),
	})
}

// Challenge is the text every witness signs to attest (see ChallengeText),
// fixed when the witness step starts (at the end of OpenHSM); nil before.
func (c *Ceremony) Challenge() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return bytes.Clone(c.challenge)
}

// Need is how many witnesses must attest (0 before the request is loaded).
func (c *Ceremony) Need() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.need
}

// AddWitness takes one witness's armored signature over Challenge (the
// .sig file of `ssh-keygen -Y sign -n wallet-ceremony@plings.io`), finds the
// witness on the roster by the key inside it and verifies it. Refusals —
// ErrNotOnRoster, ErrDuplicateWitness, ErrBadSignature — are recorded
// (witness_refused) and do not advance. When Need witnesses have attested the
// ceremony moves on to the entropy step. To cancel, Abort.
func (c *Ceremony) AddWitness(armored []byte) (Progress, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepWitnesses, "a witness attestation"); err != nil {
		return Progress{}, err
	}
	p := Progress{Done: len(c.attested), Need: c.need}
	att, err := c.roster.Verify(c.challenge, armored)
	if err == nil {
		for _, w := range c.attested {
			if w.Fingerprint == att.Witness.Fingerprint {
				err = newProblem(fmt.Sprintf("witness %s (key %s) has already attested (%d of %d); the next witness signs", w.Name, w.Fingerprint, p.Done, p.Need), ErrDuplicateWitness)
			}
		}
	}
	if err != nil {
		if rerr := c.record(StepWitnesses, EventWitnessRefused, c.cfg.Operator, refusedData{
			Reason: err.Error(), Refusal: refusalKind(err), KeyFingerprint: att.Witness.Fingerprint, Witness: att.Witness.Name,
		}); rerr != nil {
			return p, errors.Join(err, rerr)
		}
		return p, err
	}
	c.attested = append(c.attested, att.Witness)
	p = Progress{Name: att.Witness.Name, Done: len(c.attested), Need: c.need}
	if err := c.record(StepWitnesses, EventWitnessAttested, att.Witness.Name, attestedData{
		Name: att.Witness.Name, KeyFingerprint: att.Witness.Fingerprint, HashAlgorithm: att.HashAlgorithm,
		Signature: att.Armored, Done: p.Done, Need: p.Need,
	}); err != nil {
		c.attested = c.attested[:len(c.attested)-1]
		return Progress{Done: len(c.attested), Need: c.need}, err
	}
	if p.Done >= p.Need {
		c.step = StepEntropy
	}
	return p, nil
}

// Attested lists the witnesses who attested, in order.
func (c *Ceremony) Attested() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, len(c.attested))
	for i, w := range c.attested {
		out[i] = w.Name
	}
	return out
}
