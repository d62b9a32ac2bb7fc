package hsm

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/miekg/pkcs11"
)

// outOfBandHint is what an operator is told when wrapping cannot back a key up.
const outOfBandHint = "back the key up out of band with the HSM vendor's own tools (an HSM-to-HSM clone or backup within the same security domain), record that in the transcript, then prove the copy with ProveBackup"

// Proof is the evidence that a backup token holds the original key: a fresh
// random challenge, signed in the backup token, verified under the original
// public key.
type Proof struct {
	Token       string // backup token's label
	Label       string // key label on the backup token
	Fingerprint string // of the original public key
	Challenge   []byte
	Signature   []byte
}

// withSession runs f on the token's session under its lock.
func (t *Token) withSession(op string, f func(c Context, s pkcs11.SessionHandle) error) error {
	if err := t.lock(op, true); err != nil {
		return err
	}
	defer t.mu.Unlock()
	return f(t.ctx, t.sess)
}

// Backup copies the key labelled label from src to the backup token dst by
// wrapping, without the key ever being in plaintext outside an HSM: src makes
// an AES-256 transport key and wraps the private key under it
// (CKM_AES_KEY_WRAP_PAD); dst makes an RSA-3072 key pair, src wraps the
// transport key under its public half (RSA-OAEP), dst unwraps the transport
// key and then the private key, and the public key is created beside it.
// The copy is then proven with ProveBackup. Both tokens must be logged in;
// transport keys are session objects, destroyed before returning.
//
// A key that is not extractable — every key GenerateKey makes — cannot be
// wrapped by any module, and SoftHSM2 2.6.1 refuses to wrap Ed25519 private
// keys at all (CKR_KEY_NOT_WRAPPABLE): both give ErrBackupNotWrappable, whose
// message says an out-of-band backup with the vendor's tools is needed.
// TestWrapExperimentSoftHSM records why the master key is not made
// extractable for SoftHSM: even extractable + sensitive + wrap-with-trusted
// under an SO-trusted AES key, C_WrapKey answers CKR_KEY_NOT_WRAPPABLE, and
// C_UnwrapKey of an Ed25519 PKCS#8 blob answers CKR_FUNCTION_FAILED; making
// the key extractable would only weaken it.
func Backup(src *Token, label string, dst *Token) (*Proof, error) {
	op := fmt.Sprintf("back up key %q from token %q to token %q", label, src.label, dst.label)
	if src == dst {
		return nil, newError(op, ErrInvalidArgument, "source and backup token are the same", "open the backup token and pass it")
	}
	var k *Key
	var extractable bool
	err := src.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		if k, err = src.findKey(op, label, true); err != nil {
			return err
		}
		a, err := attrs(c, s, k.privHandle(), pkcs11.CKA_EXTRACTABLE)
		if err != nil {
			return p11Error(op, err)
		}
		extractable = attrBool(a[pkcs11.CKA_EXTRACTABLE])
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !extractable {
		return nil, newError(op, ErrBackupNotWrappable,
			"the private key is not extractable (CKA_EXTRACTABLE is false, as it must be for a master key), so no module will wrap it",
			outOfBandHint)
	}
	if err := dst.withSession(op, func(_ Context, _ pkcs11.SessionHandle) error {
		return dst.refuseExistingLabel(op, label)
	}); err != nil {
		return nil, err
	}

	// 1. A transport key on src, and the private key wrapped under it.
	transport, err := newTransportKey(op, src)
	if err != nil {
		return nil, err
	}
	defer destroyOn(src, transport)
	wrapped, err := wrapWith(op, src, transport, k.privHandle())
	if err != nil {
		return nil, notWrappable(op, err)
	}

	// 2. The transport key carried to dst under an RSA key of dst's.
	tDst, err := shareTransportKey(op, src, transport, dst)
	if err != nil {
		return nil, err
	}
	defer destroyOn(dst, tDst)

	// 3. dst unwraps the private key; the public key goes beside it.
	privDst, err := unwrapWith(op, dst, tDst, wrapped, privateTemplate(label, k.id, true, false))
	if err != nil {
		return nil, err
	}
	var pubDst pkcs11.ObjectHandle
	err = dst.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		pubDst, err = c.CreateObject(s, append(publicTemplate(label, k.id, true),
			pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, ecPointDER(k.public))))
		return p11Error(op+": create the public key on the backup token", err)
	})
	if err != nil {
		destroyOn(dst, privDst)
		return nil, err
	}

	// 4. Prove it; a copy that does not prove is removed.
	proof, err := Prove(dst, label, k.public)
	if err != nil {
		destroyOn(dst, privDst, pubDst)
		return nil, err
	}
	return proof, nil
}

// newTransportKey makes an AES-256 session key on t to wrap keys under. It is
// sensitive, and extractable only so that it can travel RSA-wrapped.
func newTransportKey(op string, t *Token) (pkcs11.ObjectHandle, error) {
	var h pkcs11.ObjectHandle
	err := t.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		h, err = c.GenerateKey(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_GEN, nil)}, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE_LEN, 32),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
			pkcs11.NewAttribute(pkcs11.CKA_WRAP, true),
			pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, "walletconsole transport"),
		})
		return p11Error(op+": generate a transport key on token "+t.label, err)
	})
	return h, err
}

// oaepSHA1 is RSA-OAEP with SHA-1 and MGF1-SHA-1, the variant every module
// (SoftHSM2 2.6.1 included) implements.
func oaepSHA1() []*pkcs11.Mechanism {
	return []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_OAEP,
		pkcs11.NewOAEPParams(pkcs11.CKM_SHA_1, pkcs11.CKG_MGF1_SHA1, pkcs11.CKZ_DATA_SPECIFIED, nil))}
}

// shareTransportKey gives dst a copy of src's transport key without it
// leaving an HSM in plaintext: dst makes an RSA-3072 session key pair, src
// wraps the transport key under the public half (RSA-OAEP), dst unwraps it.
// The RSA keys are destroyed before returning; the copy is a session key.
func shareTransportKey(op string, src *Token, transport pkcs11.ObjectHandle, dst *Token) (pkcs11.ObjectHandle, error) {
	var rsaPub, rsaPriv pkcs11.ObjectHandle
	var modulus, exponent []byte
	err := dst.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		rsaPub, rsaPriv, err = c.GenerateKeyPair(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)},
			[]*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
				pkcs11.NewAttribute(pkcs11.CKA_MODULUS_BITS, 3072),
				pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
				pkcs11.NewAttribute(pkcs11.CKA_WRAP, true),
			},
			[]*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
				pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
				pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
				pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
				pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, true),
			})
		if err != nil {
			return p11Error(op+": generate the receiving RSA key on token "+dst.label, err)
		}
		a, err := attrs(c, s, rsaPub, pkcs11.CKA_MODULUS, pkcs11.CKA_PUBLIC_EXPONENT)
		if err != nil {
			return p11Error(op+": read the receiving RSA key", err)
		}
		modulus, exponent = a[pkcs11.CKA_MODULUS], a[pkcs11.CKA_PUBLIC_EXPONENT]
		return nil
	})
	defer destroyOn(dst, rsaPub, rsaPriv)
	if err != nil {
		return 0, err
	}
	var rsaOnSrc pkcs11.ObjectHandle
	err = src.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		rsaOnSrc, err = c.CreateObject(s, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_WRAP, true),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, modulus),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, exponent),
		})
		return p11Error(op+": import the receiving RSA key to token "+src.label, err)
	})
	defer destroyOn(src, rsaOnSrc)
	if err != nil {
		return 0, err
	}
	blob, err := wrapWith(op, src, rsaOnSrc, transport, oaepSHA1()...)
	if err != nil {
		return 0, p11Error(op+": wrap the transport key", err)
	}
	return unwrapWith(op, dst, rsaPriv, blob, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, true),
	}, oaepSHA1()...)
}

// wrapWith wraps key under wrapping on t (CKM_AES_KEY_WRAP_PAD unless a
// mechanism is given). The error is the module's, unclassified.
func wrapWith(op string, t *Token, wrapping, key pkcs11.ObjectHandle, mech ...*pkcs11.Mechanism) ([]byte, error) {
	if len(mech) == 0 {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_WRAP_PAD, nil)}
	}
	var blob []byte
	err := t.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		blob, err = c.WrapKey(s, mech, wrapping, key)
		return err
	})
	return blob, err
}

// unwrapWith unwraps blob under unwrapping on t into a new object made from
// template (CKM_AES_KEY_WRAP_PAD unless a mechanism is given).
func unwrapWith(op string, t *Token, unwrapping pkcs11.ObjectHandle, blob []byte, template []*pkcs11.Attribute, mech ...*pkcs11.Mechanism) (pkcs11.ObjectHandle, error) {
	if len(mech) == 0 {
		mech = []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_KEY_WRAP_PAD, nil)}
	}
	var h pkcs11.ObjectHandle
	err := t.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		var err error
		h, err = c.UnwrapKey(s, mech, unwrapping, blob, template)
		return p11Error(op+": unwrap on token "+t.label, err)
	})
	return h, err
}

// destroyOn destroys objects on t, skipping zero handles and ignoring errors
// (clean-up paths).
func destroyOn(t *Token, hs ...pkcs11.ObjectHandle) {
	_ = t.withSession("clean up", func(c Context, s pkcs11.SessionHandle) error {
		for _, h := range hs {
			if h != 0 {
				_ = c.DestroyObject(s, h)
			}
		}
		return nil
	})
}

// notWrappable turns a refused C_WrapKey into ErrBackupNotWrappable where the
// module says the key cannot be wrapped.
func notWrappable(op string, err error) error {
	switch code := codeOf(err); code {
	case pkcs11.CKR_KEY_NOT_WRAPPABLE, pkcs11.CKR_KEY_UNEXTRACTABLE, pkcs11.CKR_MECHANISM_INVALID,
		pkcs11.CKR_KEY_TYPE_INCONSISTENT, pkcs11.CKR_FUNCTION_NOT_SUPPORTED, pkcs11.CKR_WRAPPING_KEY_TYPE_INCONSISTENT:
		return &Error{Op: op, Kind: ErrBackupNotWrappable, Code: code,
			Detail: "the module refuses to wrap this Ed25519 private key (SoftHSM2 2.6.1 wraps no Ed25519 private keys)",
			Hint:   outOfBandHint}
	}
	return p11Error(op+": wrap the key", err)
}

// ProveBackup has the backup token sign a fresh random challenge with its key
// labelled label and checks the signature under the original public key.
// ErrBackupMismatch if it does not verify (the backup holds another key);
// ErrKeyNotFound if there is no such key.
func ProveBackup(backup *Token, label string, originalPub ed25519.PublicKey) error {
	_, err := Prove(backup, label, originalPub)
	return err
}

// Prove is ProveBackup returning the evidence, for the transcript.
func Prove(backup *Token, label string, originalPub ed25519.PublicKey) (*Proof, error) {
	op := fmt.Sprintf("prove backup of key %q on token %q", label, backup.label)
	if len(originalPub) != ed25519.PublicKeySize {
		return nil, newError(op, ErrInvalidArgument, fmt.Sprintf("original public key of %d bytes", len(originalPub)), "")
	}
	nonce := make([]byte, 32)
	if _, err := rand.Read(nonce); err != nil {
		return nil, &Error{Op: op, Err: err}
	}
	challenge := append([]byte("walletconsole backup proof\n"), nonce...)
	var sig []byte
	var backupPub ed25519.PublicKey
	err := backup.withSession(op, func(c Context, s pkcs11.SessionHandle) error {
		k, err := backup.findKey(op, label, false)
		if err != nil {
			return err
		}
		backupPub = k.public
		if sig, err = signOn(c, s, k.privHandle(), challenge); err != nil {
			return p11Error(op+": sign the challenge", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !ed25519.Verify(originalPub, challenge, sig) {
		detail := fmt.Sprintf("the backup token's signature over a fresh challenge does not verify under the original key %s", Fingerprint(originalPub))
		if backupPub != nil {
			detail += fmt.Sprintf(" (the backup's key is %s)", Fingerprint(backupPub))
		}
		return nil, newError(op, ErrBackupMismatch, detail, "this token does not hold a copy of the key; do not count it as a backup")
	}
	return &Proof{Token: backup.label, Label: label, Fingerprint: Fingerprint(originalPub), Challenge: challenge, Signature: sig}, nil
}
