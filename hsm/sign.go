package hsm

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"

	"github.com/miekg/pkcs11"
)

// mechEdDSA is CKM_EDDSA without parameters (pure Ed25519); built once and
// only read, so the hot path allocates nothing of its own.
var mechEdDSA = []*pkcs11.Mechanism{pkcs11.NewMechanism(CKM_EDDSA, nil)}

// signOn signs msg with the private key h on session s.
func signOn(c Context, s pkcs11.SessionHandle, h pkcs11.ObjectHandle, msg []byte) ([]byte, error) {
	if err := c.SignInit(s, mechEdDSA, h); err != nil {
		return nil, err
	}
	return c.Sign(s, msg)
}

// Sign signs msg (pure Ed25519, CKM_EDDSA) in the token, on a session borrowed
// from the token's pool, so several goroutines can sign at once. The key's
// handle is cached; if the module has invalidated it (SoftHSM2 drops private
// objects' handles at logout) the key is found again by label and CKA_ID and
// the signature retried once. The signature is not verified here (Verify does
// that, outside the token).
func (k *Key) Sign(msg []byte) ([]byte, error) {
	sig, err := k.signPooled(msg)
	if err != nil {
		switch codeOf(err) {
		case pkcs11.CKR_OBJECT_HANDLE_INVALID, pkcs11.CKR_KEY_HANDLE_INVALID:
			found, ferr := k.refind()
			if ferr != nil {
				return nil, ferr
			}
			if !found {
				return nil, newError(k.signOp(), ErrKeyNotFound, "the key is no longer on the token (destroyed, or a session key whose token was closed)", "")
			}
			sig, err = k.signPooled(msg)
		}
		if err != nil {
			return nil, k.signError(err)
		}
	}
	if len(sig) != ed25519.SignatureSize {
		return nil, newError(k.signOp(), ErrVerifyFailed, fmt.Sprintf("token returned a %d-byte signature, want %d", len(sig), ed25519.SignatureSize), "")
	}
	return sig, nil
}

// errNoPool means the token has no signing pool: logged out or closed.
var errNoPool = errors.New("no signing pool")

// signPooled is the hot path: borrow a session, sign, give it back.
func (k *Key) signPooled(msg []byte) ([]byte, error) {
	p := k.t.pool.Load()
	if p == nil {
		return nil, errNoPool
	}
	s, ok := p.get()
	if !ok {
		return nil, errNoPool
	}
	sig, err := signOn(p.ctx, s, k.privHandle(), msg)
	p.put(s)
	return sig, err
}

func (k *Key) signOp() string {
	return fmt.Sprintf("sign with key %q on token %q", k.label, k.t.label)
}

// signError explains a failed Sign (kept off the hot path).
func (k *Key) signError(err error) error {
	if err != errNoPool {
		return p11Error(k.signOp(), err)
	}
	k.t.mu.Lock()
	closed := k.t.closed
	k.t.mu.Unlock()
	if closed {
		return newError(k.signOp(), ErrClosed, fmt.Sprintf("token %q is closed", k.t.label), "open it again")
	}
	return newError(k.signOp(), ErrNotLoggedIn, fmt.Sprintf("token %q", k.t.label), "log in to the token first")
}

// Verify checks sig over msg under the key's public key, outside the token.
func (k *Key) Verify(msg, sig []byte) error { return Verify(k.public, msg, sig) }

// Verify checks an Ed25519 signature with crypto/ed25519; ErrVerifyFailed if
// it does not verify.
func Verify(pub ed25519.PublicKey, msg, sig []byte) error {
	if len(pub) != ed25519.PublicKeySize {
		return newError("verify signature", ErrInvalidArgument, fmt.Sprintf("public key of %d bytes", len(pub)), "")
	}
	if !ed25519.Verify(pub, msg, sig) {
		return newError("verify signature", ErrVerifyFailed, "signature does not verify under key "+Fingerprint(pub), "")
	}
	return nil
}

// Signer returns the key as a crypto.Signer (pure Ed25519: opts must be
// crypto.Hash(0); the message is signed as is, not a digest).
func (k *Key) Signer() crypto.Signer { return signer{k} }

type signer struct{ k *Key }

func (s signer) Public() crypto.PublicKey { return s.k.Public() }

func (s signer) Sign(_ io.Reader, msg []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts != nil && opts.HashFunc() != crypto.Hash(0) {
		return nil, newError(s.k.signOp(), ErrInvalidArgument, "Ed25519ph/ctx is not supported", "pass crypto.Hash(0) and the whole message")
	}
	return s.k.Sign(msg)
}
