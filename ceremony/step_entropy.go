package ceremony

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
)

// MinOperatorEntropy is the least operator entropy accepted, in bytes.
const MinOperatorEntropy = 16

// hsmSampleBytes is the size of the HSM random sample whose digest is recorded.
const hsmSampleBytes = 32

// EntropyInfo is what the entropy step recorded: sizes and digests only.
type EntropyInfo struct {
	OperatorBytes   int
	OperatorSHA256  string
	Mixed           bool   // the token took the entropy (C_SeedRandom)
	NotMixedReason  string // why not, when it did not
	HSMSampleSHA256 string // of a fresh sample of the token's generator
}

// MixEntropy mixes operator entropy (dice rolls, typed) into the token's
// generator with C_SeedRandom and draws a fresh sample from it. Only sizes
// and SHA-256 digests are recorded, never values; the caller owns operator
// and may zero it afterwards. Less than MinOperatorEntropy bytes is refused
// (not recorded: type more). A token that cannot be seeded is recorded as
// such and the ceremony goes on with its own generator.
func (c *Ceremony) MixEntropy(operator []byte) (EntropyInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepEntropy, "mixing entropy"); err != nil {
		return EntropyInfo{}, err
	}
	if len(operator) < MinOperatorEntropy {
		return EntropyInfo{}, newProblem(fmt.Sprintf("operator entropy is %d bytes; give at least %d (for example 50 dice rolls)", len(operator), MinOperatorEntropy), ErrEntropyTooShort)
	}
	fail := func(err error) (EntropyInfo, error) {
		err = fmt.Errorf("mix entropy: %w; check the token, then try again or abort", err)
		if rerr := c.record(StepEntropy, EventEntropyFailed, c.cfg.Operator, refusedData{Reason: err.Error()}); rerr != nil {
			return EntropyInfo{}, errors.Join(err, rerr)
		}
		return EntropyInfo{}, err
	}
	res, err := c.token.SeedRandom(operator)
	if err != nil {
		return fail(err)
	}
	sample, err := c.token.Random(hsmSampleBytes)
	if err != nil {
		return fail(err)
	}
	s := sha256.Sum256(sample)
	clear(sample)
	info := EntropyInfo{OperatorBytes: res.Bytes, OperatorSHA256: res.SHA256, Mixed: res.Mixed, NotMixedReason: res.Reason, HSMSampleSHA256: hex.EncodeToString(s[:])}
	if err := c.record(StepEntropy, EventEntropyMixed, c.cfg.Operator, entropyData{
		OperatorBytes: info.OperatorBytes, OperatorSHA256: info.OperatorSHA256, Mixed: info.Mixed, NotMixedReason: info.NotMixedReason,
		HSMSampleBytes: hsmSampleBytes, HSMSampleSHA256: info.HSMSampleSHA256,
	}); err != nil {
		return EntropyInfo{}, err
	}
	c.step = StepKey
	return info, nil
}
