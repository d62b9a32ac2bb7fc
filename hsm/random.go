package hsm

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/miekg/pkcs11"
)

// Random draws n bytes from the token's random generator (C_GenerateRandom).
func (t *Token) Random(n int) ([]byte, error) {
	op := fmt.Sprintf("draw %d random bytes from token %q", n, t.label)
	if n <= 0 {
		return nil, newError(op, ErrInvalidArgument, "count must be positive", "")
	}
	if err := t.lock(op, false); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	b, err := t.ctx.GenerateRandom(t.sess, n)
	if err != nil {
		return nil, p11Error(op, err)
	}
	if len(b) != n {
		return nil, newError(op, ErrVerifyFailed, fmt.Sprintf("got %d bytes", len(b)), "")
	}
	return b, nil
}

// SeedResult says what became of operator-supplied entropy. It carries the
// entropy's size and SHA-256 digest (for the ceremony transcript), never the
// entropy itself.
type SeedResult struct {
	Mixed  bool   // the token accepted the entropy into its generator
	Bytes  int    // how much entropy was offered
	SHA256 string // hex digest of the entropy
	// Reason says why the token did not mix it in (empty when Mixed), with the
	// PKCS#11 code in Code.
	Reason string
	Code   uint
}

// SeedRandom mixes operator-supplied entropy (dice rolls, say) into the
// token's random generator (C_SeedRandom). A token that cannot be seeded
// (CKR_RANDOM_SEED_NOT_SUPPORTED, CKR_RANDOM_NO_RNG, CKR_FUNCTION_NOT_SUPPORTED)
// is not an error: the result says so, and the token's generator is used
// as is. The caller owns entropy and may zero it afterwards.
func (t *Token) SeedRandom(entropy []byte) (SeedResult, error) {
	op := fmt.Sprintf("seed the random generator of token %q", t.label)
	sum := sha256.Sum256(entropy)
	res := SeedResult{Bytes: len(entropy), SHA256: hex.EncodeToString(sum[:])}
	if len(entropy) == 0 {
		return res, newError(op, ErrInvalidArgument, "no entropy given", "")
	}
	if err := t.lock(op, false); err != nil {
		return res, err
	}
	defer t.mu.Unlock()
	err := t.ctx.SeedRandom(t.sess, entropy)
	switch code := codeOf(err); {
	case err == nil:
		res.Mixed = true
		return res, nil
	case code == pkcs11.CKR_RANDOM_SEED_NOT_SUPPORTED:
		res.Code, res.Reason = code, "the token does not accept seeding (CKR_RANDOM_SEED_NOT_SUPPORTED); its own generator is used as is"
		return res, nil
	case code == pkcs11.CKR_RANDOM_NO_RNG:
		res.Code, res.Reason = code, "the token has no random generator to seed (CKR_RANDOM_NO_RNG)"
		return res, nil
	case code == pkcs11.CKR_FUNCTION_NOT_SUPPORTED:
		res.Code, res.Reason = code, "the module does not implement C_SeedRandom (CKR_FUNCTION_NOT_SUPPORTED); the token's own generator is used as is"
		return res, nil
	default:
		return res, p11Error(op, err)
	}
}
