package hsm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"

	"github.com/miekg/pkcs11"

	"github.com/plings/walletconsole/model"
)

// PKCS#11 3.0 values that miekg/pkcs11 v1.1.2 has no names for.
const (
	CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055
	CKM_EDDSA                   = 0x1057
	CKK_EC_EDWARDS              = 0x40
)

// IDLen is the length of the CKA_ID given to new keys (from the token's RNG).
const IDLen = 16

// edwards25519Params is CKA_EC_PARAMS for Ed25519 as SoftHSM2 takes it: the
// DER printable string "edwards25519".
var edwards25519Params = []byte{0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9'}

// Key is an Ed25519 key pair on a token: the handles of both halves (found
// once, valid in every session of this process), and the public key read back.
type Key struct {
	t       *Token
	label   string
	id      []byte
	privH   atomic.Uint64 // private key handle; refreshed if the module invalidates it
	pub     pkcs11.ObjectHandle
	public  ed25519.PublicKey
	onToken bool
}

func newKey(t *Token, label string, id []byte, priv, pub pkcs11.ObjectHandle, onToken bool) *Key {
	k := &Key{t: t, label: label, id: id, pub: pub, onToken: onToken}
	k.privH.Store(uint64(priv))
	return k
}

// privHandle is the private key's object handle.
func (k *Key) privHandle() pkcs11.ObjectHandle { return pkcs11.ObjectHandle(k.privH.Load()) }

// refind looks the private key up again by class, label and CKA_ID, after
// the module invalidated its handle (SoftHSM2 does so for private objects at
// logout). It reports whether the key is still there.
func (k *Key) refind() (bool, error) {
	t := k.t
	op := fmt.Sprintf("find key %q on token %q again", k.label, t.label)
	if err := t.lock(op, true); err != nil {
		return false, err
	}
	defer t.mu.Unlock()
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, CKK_EC_EDWARDS),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, k.label),
	}
	if len(k.id) > 0 {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))
	}
	hs, err := findObjects(t.ctx, t.sess, tmpl)
	if err != nil {
		return false, p11Error(op, err)
	}
	if len(hs) != 1 {
		return false, nil
	}
	k.privH.Store(uint64(hs[0]))
	return true, nil
}

// Label is the key's CKA_LABEL.
func (k *Key) Label() string { return k.label }

// ID is the key's CKA_ID.
func (k *Key) ID() []byte { return bytes.Clone(k.id) }

// IDHex is the key's CKA_ID in lower-case hex (as pkcs11-tool prints it).
func (k *Key) IDHex() string { return hex.EncodeToString(k.id) }

// Public is the public key read back from the token.
func (k *Key) Public() ed25519.PublicKey { return bytes.Clone(k.public) }

// OnToken reports whether the key is a token object (false: a session key,
// gone when the token is closed).
func (k *Key) OnToken() bool { return k.onToken }

// Token is the token holding the key.
func (k *Key) Token() *Token { return k.t }

// Fingerprint is the hex SHA-256 of the 32-byte public key.
func (k *Key) Fingerprint() string { return Fingerprint(k.public) }

// PEM is the public key as a PKIX "PUBLIC KEY" PEM block.
func (k *Key) PEM() ([]byte, error) { return PublicKeyPEM(k.public) }

// Fingerprint is the hex SHA-256 of a 32-byte Ed25519 public key.
func Fingerprint(pub ed25519.PublicKey) string { return model.Fingerprint(pub) }

// PublicKeyPEM encodes pub as a PKIX "PUBLIC KEY" PEM block (what
// `openssl pkeyutl -pubin -inkey` reads).
func PublicKeyPEM(pub ed25519.PublicKey) ([]byte, error) {
	if len(pub) != ed25519.PublicKeySize {
		return nil, newError("encode public key", ErrInvalidArgument, fmt.Sprintf("%d bytes, want %d", len(pub), ed25519.PublicKeySize), "")
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, &Error{Op: "encode public key", Err: err}
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParseECPoint decodes CKA_EC_POINT of an Ed25519 public key, given either as
// a DER octet string (04 20 + 32 bytes, what SoftHSM2 returns) or raw 32 bytes.
func ParseECPoint(v []byte) (ed25519.PublicKey, error) {
	switch {
	case len(v) == ed25519.PublicKeySize:
		return ed25519.PublicKey(bytes.Clone(v)), nil
	case len(v) == ed25519.PublicKeySize+2 && v[0] == 0x04 && v[1] == ed25519.PublicKeySize:
		return ed25519.PublicKey(bytes.Clone(v[2:])), nil
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(v, &raw); err == nil && len(rest) == 0 && len(raw) == ed25519.PublicKeySize {
		return ed25519.PublicKey(raw), nil
	}
	return nil, fmt.Errorf("CKA_EC_POINT of %d bytes is neither a DER octet string of 32 bytes nor 32 raw bytes", len(v))
}

// ecPointDER is the DER octet string form of an Ed25519 public key.
func ecPointDER(pub ed25519.PublicKey) []byte {
	return append([]byte{0x04, byte(len(pub))}, pub...)
}

// KeyOptions adjusts key generation.
type KeyOptions struct {
	// Session makes a session key (CKA_TOKEN false): it lives only until the
	// token is closed. The default is a token (persistent) key.
	Session bool
}

// newID draws a CKA_ID from the token's random generator.
func (t *Token) newID(op string) ([]byte, error) {
	id, err := t.ctx.GenerateRandom(t.sess, IDLen)
	if err != nil {
		return nil, p11Error(op+": draw CKA_ID from the token's RNG", err)
	}
	if len(id) != IDLen {
		return nil, newError(op, ErrVerifyFailed, fmt.Sprintf("token's RNG returned %d bytes for CKA_ID, want %d", len(id), IDLen), "")
	}
	return id, nil
}

// publicTemplate is the public half of every Ed25519 key the console makes:
// it verifies and does nothing else.
func publicTemplate(label string, id []byte, onToken bool) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, CKK_EC_EDWARDS),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, onToken),
		pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
		pkcs11.NewAttribute(pkcs11.CKA_ENCRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_WRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, edwards25519Params),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
}

// privateTemplate is the private half: private, sensitive, signs and does
// nothing else (SoftHSM would otherwise allow decrypt, unwrap and derive).
func privateTemplate(label string, id []byte, onToken, extractable bool) []*pkcs11.Attribute {
	return []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, CKK_EC_EDWARDS),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, onToken),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, extractable),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_DECRYPT, false),
		pkcs11.NewAttribute(pkcs11.CKA_UNWRAP, false),
		pkcs11.NewAttribute(pkcs11.CKA_DERIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
	}
}

// GenerateKey generates an Ed25519 key pair inside the token, labelled label,
// with a 16-byte CKA_ID from the token's random generator; the private half
// is sensitive, not extractable, private and can sign and nothing else
// (CKA_DECRYPT, CKA_UNWRAP, CKA_DERIVE false; the public half only verifies). It refuses a label
// already on the token (any object class). Every output is checked at once:
// the attributes are read back, the public key is read back and a test
// signature made in the token is verified outside it with crypto/ed25519. If a
// check fails the new key is destroyed.
func (t *Token) GenerateKey(label string, opts KeyOptions) (*Key, error) {
	op := fmt.Sprintf("generate Ed25519 key %q on token %q", label, t.label)
	if label == "" {
		return nil, newError(op, ErrInvalidArgument, "empty label", "give the key a label")
	}
	if err := t.lock(op, true); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if err := t.refuseExistingLabel(op, label); err != nil {
		return nil, err
	}
	id, err := t.newID(op)
	if err != nil {
		return nil, err
	}
	onToken := !opts.Session
	pubT := publicTemplate(label, id, onToken)
	privT := privateTemplate(label, id, onToken, false)
	mech := []*pkcs11.Mechanism{pkcs11.NewMechanism(CKM_EC_EDWARDS_KEY_PAIR_GEN, nil)}
	pub, priv, err := t.ctx.GenerateKeyPair(t.sess, mech, pubT, privT)
	if err != nil {
		return nil, p11Error(op, err)
	}
	k := newKey(t, label, id, priv, pub, onToken)
	if err := t.checkNewKey(op, k, false); err != nil {
		t.destroyHandles(priv, pub)
		return nil, err
	}
	return k, nil
}

// ImportOptions adjusts ImportKey.
type ImportOptions struct {
	Session     bool // a session key instead of a token key
	Extractable bool // CKA_EXTRACTABLE true (to exercise wrapping in rehearsals)
}

// ImportKey creates an Ed25519 key pair on the token from a 32-byte seed
// (C_CreateObject: the private key with CKA_VALUE = seed, the public key with
// CKA_EC_POINT), for tests and the ceremony's rehearsals — it lets one key sit
// on two tokens. The private half is sensitive; the label must be new; the
// result is checked like GenerateKey's.
func (t *Token) ImportKey(label string, seed []byte, opts ImportOptions) (*Key, error) {
	op := fmt.Sprintf("import Ed25519 key %q to token %q", label, t.label)
	if label == "" {
		return nil, newError(op, ErrInvalidArgument, "empty label", "give the key a label")
	}
	if len(seed) != ed25519.SeedSize {
		return nil, newError(op, ErrInvalidArgument, fmt.Sprintf("seed of %d bytes, want %d", len(seed), ed25519.SeedSize), "")
	}
	if err := t.lock(op, true); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	if err := t.refuseExistingLabel(op, label); err != nil {
		return nil, err
	}
	id, err := t.newID(op)
	if err != nil {
		return nil, err
	}
	pubKey := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	onToken := !opts.Session
	privT := append(privateTemplate(label, id, onToken, opts.Extractable),
		pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, edwards25519Params),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, seed))
	pubT := append(publicTemplate(label, id, onToken),
		pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, ecPointDER(pubKey)))
	priv, err := t.ctx.CreateObject(t.sess, privT)
	if err != nil {
		return nil, p11Error(op+": create private key", err)
	}
	pub, err := t.ctx.CreateObject(t.sess, pubT)
	if err != nil {
		t.destroyHandles(priv)
		return nil, p11Error(op+": create public key", err)
	}
	k := newKey(t, label, id, priv, pub, onToken)
	if err := t.checkNewKey(op, k, opts.Extractable); err != nil {
		t.destroyHandles(priv, pub)
		return nil, err
	}
	if !bytes.Equal(k.public, pubKey) {
		t.destroyHandles(priv, pub)
		return nil, newError(op, ErrVerifyFailed, "public key read back differs from the one derived from the seed", "")
	}
	return k, nil
}

// refuseExistingLabel fails with ErrLabelExists if any object (any class)
// carries label. The caller holds t.mu.
func (t *Token) refuseExistingLabel(op, label string) error {
	hs, err := findObjects(t.ctx, t.sess, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, label)})
	if err != nil {
		return p11Error(op+": look for the label", err)
	}
	if len(hs) > 0 {
		return newError(op, ErrLabelExists, fmt.Sprintf("%d object(s) on token %q already carry label %q", len(hs), t.label, label),
			"choose a new label (e.g. the next version number); the existing key is left untouched")
	}
	return nil
}

// checkNewKey reads a new key's attributes and public key back and has it sign
// a test message, verified with crypto/ed25519. It fills k.public. The caller
// holds t.mu.
func (t *Token) checkNewKey(op string, k *Key, extractable bool) error {
	a, err := attrs(t.ctx, t.sess, k.privHandle(),
		pkcs11.CKA_CLASS, pkcs11.CKA_KEY_TYPE, pkcs11.CKA_TOKEN, pkcs11.CKA_PRIVATE,
		pkcs11.CKA_SENSITIVE, pkcs11.CKA_EXTRACTABLE, pkcs11.CKA_SIGN, pkcs11.CKA_LABEL, pkcs11.CKA_ID,
		pkcs11.CKA_DECRYPT, pkcs11.CKA_UNWRAP, pkcs11.CKA_DERIVE)
	if err != nil {
		return p11Error(op+": read private key attributes back", err)
	}
	class, _ := attrUlong(a[pkcs11.CKA_CLASS])
	ktype, _ := attrUlong(a[pkcs11.CKA_KEY_TYPE])
	var bad []string
	check := func(ok bool, what string) {
		if !ok {
			bad = append(bad, what)
		}
	}
	check(class == pkcs11.CKO_PRIVATE_KEY, "CKA_CLASS")
	check(ktype == CKK_EC_EDWARDS, "CKA_KEY_TYPE")
	check(attrBool(a[pkcs11.CKA_TOKEN]) == k.onToken, "CKA_TOKEN")
	check(attrBool(a[pkcs11.CKA_PRIVATE]), "CKA_PRIVATE")
	check(attrBool(a[pkcs11.CKA_SENSITIVE]), "CKA_SENSITIVE")
	check(attrBool(a[pkcs11.CKA_EXTRACTABLE]) == extractable, "CKA_EXTRACTABLE")
	check(attrBool(a[pkcs11.CKA_SIGN]), "CKA_SIGN")
	check(!attrBool(a[pkcs11.CKA_DECRYPT]), "CKA_DECRYPT")
	check(!attrBool(a[pkcs11.CKA_UNWRAP]), "CKA_UNWRAP")
	check(!attrBool(a[pkcs11.CKA_DERIVE]), "CKA_DERIVE")
	check(string(a[pkcs11.CKA_LABEL]) == k.label, "CKA_LABEL")
	check(bytes.Equal(a[pkcs11.CKA_ID], k.id), "CKA_ID")
	if len(bad) > 0 {
		return newError(op, ErrVerifyFailed, fmt.Sprintf("private key attributes read back wrong: %v", bad), "the module did not honour the template; do not use this module for the ceremony")
	}
	pub, err := t.readPublic(k.pub)
	if err != nil {
		return p11Error(op+": read public key back", err)
	}
	k.public = pub
	return t.selfTest(op, k)
}

// selfTest signs a fresh random message in the token and verifies it outside.
func (t *Token) selfTest(op string, k *Key) error {
	msg := make([]byte, 32)
	if _, err := rand.Read(msg); err != nil {
		return &Error{Op: op, Err: err}
	}
	msg = append([]byte("walletconsole key self-test\n"), msg...)
	sig, err := signOn(t.ctx, t.sess, k.privHandle(), msg)
	if err != nil {
		return p11Error(op+": sign a test message", err)
	}
	if !ed25519.Verify(k.public, msg, sig) {
		return newError(op, ErrVerifyFailed, "the test signature made in the token does not verify under the public key read back", "do not use this key; it has been destroyed")
	}
	return nil
}

// readPublic reads CKA_EC_POINT of a public key object. The caller holds t.mu.
func (t *Token) readPublic(h pkcs11.ObjectHandle) (ed25519.PublicKey, error) {
	a, err := attrs(t.ctx, t.sess, h, pkcs11.CKA_EC_POINT)
	if err != nil {
		return nil, err
	}
	return ParseECPoint(a[pkcs11.CKA_EC_POINT])
}

// destroyHandles destroys objects, ignoring errors (used on failure paths).
func (t *Token) destroyHandles(hs ...pkcs11.ObjectHandle) {
	for _, h := range hs {
		_ = t.ctx.DestroyObject(t.sess, h)
	}
}

// FindKey finds the Ed25519 key pair labelled label (its private and public
// halves) and reads the public key. ErrKeyNotFound if there is none,
// ErrKeyAmbiguous if the label is on more than one private key.
func (t *Token) FindKey(label string) (*Key, error) {
	op := fmt.Sprintf("find key %q on token %q", label, t.label)
	if err := t.lock(op, true); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	return t.findKey(op, label, true)
}

// findKey does FindKey's work; with needPublic false a missing public half is
// not an error (Key.public stays nil). The caller holds t.mu.
func (t *Token) findKey(op, label string, needPublic bool) (*Key, error) {
	privs, err := findObjects(t.ctx, t.sess, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	})
	if err != nil {
		return nil, p11Error(op, err)
	}
	switch len(privs) {
	case 0:
		return nil, newError(op, ErrKeyNotFound, fmt.Sprintf("no private key labelled %q", label), "check the label (list the token's keys)")
	case 1:
	default:
		return nil, newError(op, ErrKeyAmbiguous, fmt.Sprintf("%d private keys labelled %q", len(privs), label), "remove or relabel the duplicates with the token's tool")
	}
	a, err := attrs(t.ctx, t.sess, privs[0], pkcs11.CKA_KEY_TYPE, pkcs11.CKA_ID, pkcs11.CKA_TOKEN)
	if err != nil {
		return nil, p11Error(op, err)
	}
	if kt, _ := attrUlong(a[pkcs11.CKA_KEY_TYPE]); kt != CKK_EC_EDWARDS {
		return nil, newError(op, ErrKeyNotFound, fmt.Sprintf("the key labelled %q is %s, not Ed25519", label, keyTypeName(kt)), "")
	}
	k := newKey(t, label, a[pkcs11.CKA_ID], privs[0], 0, attrBool(a[pkcs11.CKA_TOKEN]))
	tmpl := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
	}
	if len(k.id) > 0 {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, k.id))
	}
	pubs, err := findObjects(t.ctx, t.sess, tmpl)
	if err != nil {
		return nil, p11Error(op, err)
	}
	if len(pubs) != 1 {
		if !needPublic {
			return k, nil
		}
		return nil, newError(op, ErrKeyNotFound, fmt.Sprintf("%d public keys labelled %q with the private key's CKA_ID, want 1", len(pubs), label), "the key pair is incomplete on this token")
	}
	k.pub = pubs[0]
	if k.public, err = t.readPublic(k.pub); err != nil {
		return nil, p11Error(op+": read public key", err)
	}
	return k, nil
}

// KeyInfo describes one key object on a token.
type KeyInfo struct {
	Label   string
	IDHex   string
	Class   string // "private", "public", "secret"
	KeyType string // "EC_EDWARDS", "RSA", "EC", "AES", …
	OnToken bool   // token object (false: session object)
	// Sensitive and Extractable apply to private and secret keys only; they
	// are false for public keys.
	Sensitive   bool
	Extractable bool
}

// Keys lists the key objects on the token (private, public and secret),
// sorted by label, then class.
func (t *Token) Keys() ([]KeyInfo, error) {
	op := fmt.Sprintf("list keys on token %q", t.label)
	if err := t.lock(op, true); err != nil {
		return nil, err
	}
	defer t.mu.Unlock()
	var out []KeyInfo
	for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY, pkcs11.CKO_SECRET_KEY} {
		hs, err := findObjects(t.ctx, t.sess, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class)})
		if err != nil {
			return nil, p11Error(op, err)
		}
		for _, h := range hs {
			types := []uint{pkcs11.CKA_LABEL, pkcs11.CKA_ID, pkcs11.CKA_KEY_TYPE, pkcs11.CKA_TOKEN}
			if class != pkcs11.CKO_PUBLIC_KEY {
				types = append(types, pkcs11.CKA_SENSITIVE, pkcs11.CKA_EXTRACTABLE)
			}
			a, err := attrs(t.ctx, t.sess, h, types...)
			if err != nil {
				return nil, p11Error(op, err)
			}
			kt, _ := attrUlong(a[pkcs11.CKA_KEY_TYPE])
			out = append(out, KeyInfo{
				Label:       string(a[pkcs11.CKA_LABEL]),
				IDHex:       hex.EncodeToString(a[pkcs11.CKA_ID]),
				Class:       className(class),
				KeyType:     keyTypeName(kt),
				OnToken:     attrBool(a[pkcs11.CKA_TOKEN]),
				Sensitive:   attrBool(a[pkcs11.CKA_SENSITIVE]),
				Extractable: attrBool(a[pkcs11.CKA_EXTRACTABLE]),
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Label != out[j].Label {
			return out[i].Label < out[j].Label
		}
		return out[i].Class < out[j].Class
	})
	return out, nil
}

// DestroyKey destroys the key pair labelled label: every private and public
// key object with that label. ErrKeyNotFound if there is none. Afterwards it
// checks that none is left. Key values for it stop working.
func (t *Token) DestroyKey(label string) error {
	op := fmt.Sprintf("destroy key %q on token %q", label, t.label)
	if err := t.lock(op, true); err != nil {
		return err
	}
	defer t.mu.Unlock()
	find := func() ([]pkcs11.ObjectHandle, error) {
		var all []pkcs11.ObjectHandle
		for _, class := range []uint{pkcs11.CKO_PRIVATE_KEY, pkcs11.CKO_PUBLIC_KEY} {
			hs, err := findObjects(t.ctx, t.sess, []*pkcs11.Attribute{
				pkcs11.NewAttribute(pkcs11.CKA_CLASS, class),
				pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			})
			if err != nil {
				return nil, err
			}
			all = append(all, hs...)
		}
		return all, nil
	}
	hs, err := find()
	if err != nil {
		return p11Error(op, err)
	}
	if len(hs) == 0 {
		return newError(op, ErrKeyNotFound, fmt.Sprintf("no key labelled %q", label), "check the label (list the token's keys)")
	}
	var errs []error
	for _, h := range hs {
		if err := t.ctx.DestroyObject(t.sess, h); err != nil {
			errs = append(errs, p11Error(op, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	left, err := find()
	if err != nil {
		return p11Error(op+": check", err)
	}
	if len(left) > 0 {
		return newError(op, ErrVerifyFailed, fmt.Sprintf("%d object(s) still carry the label after destruction", len(left)), "destroy them with the token's tool")
	}
	return nil
}

func className(c uint) string {
	switch c {
	case pkcs11.CKO_PRIVATE_KEY:
		return "private"
	case pkcs11.CKO_PUBLIC_KEY:
		return "public"
	case pkcs11.CKO_SECRET_KEY:
		return "secret"
	}
	return fmt.Sprintf("class 0x%x", c)
}

func keyTypeName(kt uint) string {
	switch kt {
	case CKK_EC_EDWARDS:
		return "EC_EDWARDS"
	case pkcs11.CKK_RSA:
		return "RSA"
	case pkcs11.CKK_EC:
		return "EC"
	case pkcs11.CKK_AES:
		return "AES"
	case pkcs11.CKK_GENERIC_SECRET:
		return "GENERIC_SECRET"
	case pkcs11.CKK_DES3:
		return "DES3"
	}
	return fmt.Sprintf("key type 0x%x", kt)
}
