package hsm

import (
	"encoding/binary"
	"errors"

	"github.com/miekg/pkcs11"
)

// findObjects returns every object matching template, always ending the
// search (C_FindObjectsFinal) so the session is left usable.
func findObjects(c Context, s pkcs11.SessionHandle, template []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := c.FindObjectsInit(s, template); err != nil {
		return nil, err
	}
	var out []pkcs11.ObjectHandle
	var ferr error
	for {
		hs, _, err := c.FindObjects(s, 64)
		if err != nil {
			ferr = err
			break
		}
		if len(hs) == 0 {
			break
		}
		out = append(out, hs...)
	}
	if err := c.FindObjectsFinal(s); err != nil && ferr == nil {
		ferr = err
	}
	if ferr != nil {
		return nil, ferr
	}
	return out, nil
}

// attrs reads the given attributes of one object; all must exist.
func attrs(c Context, s pkcs11.SessionHandle, h pkcs11.ObjectHandle, types ...uint) (map[uint][]byte, error) {
	q := make([]*pkcs11.Attribute, len(types))
	for i, t := range types {
		q[i] = pkcs11.NewAttribute(t, nil)
	}
	got, err := c.GetAttributeValue(s, h, q)
	if err != nil {
		return nil, err
	}
	m := make(map[uint][]byte, len(got))
	for _, a := range got {
		m[a.Type] = a.Value
	}
	return m, nil
}

// attrBool decodes a CK_BBOOL.
func attrBool(v []byte) bool { return len(v) > 0 && v[0] != 0 }

// attrUlong decodes a CK_ULONG (native byte order, as the module wrote it).
func attrUlong(v []byte) (uint, error) {
	switch len(v) {
	case 8:
		return uint(binary.NativeEndian.Uint64(v)), nil
	case 4:
		return uint(binary.NativeEndian.Uint32(v)), nil
	}
	return 0, errors.New("attribute is not a CK_ULONG")
}
