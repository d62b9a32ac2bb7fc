package hsm

import (
	"fmt"

	"github.com/miekg/pkcs11"
)

// KeyProtection is what a token says about the objects carrying a label
// and how the private half is protected (read from its attributes, for the
// validation suite's security controls).
type KeyProtection struct {
	Label string
	// Objects carrying the label, by class: a key pair is one private and
	// one public object and nothing else.
	PrivateObjects, PublicObjects, OtherObjects int
	// The private key's attributes (when there is exactly one).
	Private, Sensitive, Extractable, AlwaysSensitive, NeverExtractable bool
}

// KeyProtection counts the objects labelled label on the token and reads
// the protection attributes of its private key, when there is exactly one.
func (t *Token) KeyProtection(label string) (KeyProtection, error) {
	op := fmt.Sprintf("read the protection of key %q on token %q", label, t.label)
	p := KeyProtection{Label: label}
	if err := t.lock(op, true); err != nil {
		return p, err
	}
	defer t.mu.Unlock()
	hs, err := findObjects(t.ctx, t.sess, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_LABEL, label)})
	if err != nil {
		return p, p11Error(op, err)
	}
	var priv pkcs11.ObjectHandle
	for _, h := range hs {
		a, err := attrs(t.ctx, t.sess, h, pkcs11.CKA_CLASS)
		if err != nil {
			return p, p11Error(op, err)
		}
		switch c, _ := attrUlong(a[pkcs11.CKA_CLASS]); c {
		case pkcs11.CKO_PRIVATE_KEY:
			p.PrivateObjects++
			priv = h
		case pkcs11.CKO_PUBLIC_KEY:
			p.PublicObjects++
		default:
			p.OtherObjects++
		}
	}
	if p.PrivateObjects != 1 {
		return p, nil
	}
	a, err := attrs(t.ctx, t.sess, priv, pkcs11.CKA_PRIVATE, pkcs11.CKA_SENSITIVE, pkcs11.CKA_EXTRACTABLE,
		pkcs11.CKA_ALWAYS_SENSITIVE, pkcs11.CKA_NEVER_EXTRACTABLE)
	if err != nil {
		return p, p11Error(op, err)
	}
	p.Private = attrBool(a[pkcs11.CKA_PRIVATE])
	p.Sensitive = attrBool(a[pkcs11.CKA_SENSITIVE])
	p.Extractable = attrBool(a[pkcs11.CKA_EXTRACTABLE])
	p.AlwaysSensitive = attrBool(a[pkcs11.CKA_ALWAYS_SENSITIVE])
	p.NeverExtractable = attrBool(a[pkcs11.CKA_NEVER_EXTRACTABLE])
	return p, nil
}
