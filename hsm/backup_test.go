package hsm

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"testing"

	"github.com/miekg/pkcs11"
)

// Acceptance 4: SoftHSM2 2.6.1 will not wrap an Ed25519 key, and a generated
// key is not extractable anyway: both say so plainly.
func TestBackupNotWrappable(t *testing.T) {
	f := newFixture(t)
	src := f.token(t, primaryName, testPIN)
	dst := f.token(t, backupName, backupPIN)

	k, err := src.GenerateKey("plings_master_key_v1", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Backup(src, k.Label(), dst)
	wantErr(t, err, ErrBackupNotWrappable, "not extractable", "out of band", "vendor's own tools", "ProveBackup")

	// An extractable copy (a rehearsal import) reaches the module, which refuses.
	if _, err := src.ImportKey("rehearsal", bytes.Repeat([]byte{1}, 32), ImportOptions{Extractable: true}); err != nil {
		t.Fatal(err)
	}
	_, err = Backup(src, "rehearsal", dst)
	wantErr(t, err, ErrBackupNotWrappable, "CKR_KEY_NOT_WRAPPABLE", "out of band")
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_KEY_NOT_WRAPPABLE)) {
		t.Errorf("%v does not carry CKR_KEY_NOT_WRAPPABLE", err)
	}
	// Nothing was left behind on either token (transport keys are gone).
	for _, tok := range []*Token{src, dst} {
		ks, err := tok.Keys()
		if err != nil {
			t.Fatal(err)
		}
		for _, ki := range ks {
			if ki.Class == "secret" || ki.KeyType == "RSA" {
				t.Errorf("left on %s: %+v", tok.Label(), ki)
			}
			if tok == dst {
				t.Errorf("backup token holds %+v", ki)
			}
		}
	}

	_, err = Backup(src, "missing", dst)
	wantErr(t, err, ErrKeyNotFound)
	_, err = Backup(src, k.Label(), src)
	wantErr(t, err, ErrInvalidArgument)
}

// The transport half of Backup works on SoftHSM: an AES key made on one token
// reaches the other under RSA-OAEP, and a key wrapped under it on the first
// unwraps on the second to the same value.
func TestBackupTransport(t *testing.T) {
	f := newFixture(t)
	src := f.token(t, primaryName, testPIN)
	dst := f.token(t, backupName, backupPIN)
	transport, err := newTransportKey("test", src)
	if err != nil {
		t.Fatal(err)
	}
	tDst, err := shareTransportKey("test", src, transport, dst)
	if err != nil {
		t.Fatal(err)
	}
	secret := bytes.Repeat([]byte{0xA5}, 32)
	var h pkcs11.ObjectHandle
	if err := src.withSession("t", func(c Context, s pkcs11.SessionHandle) error {
		h, err = c.CreateObject(s, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
			pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, secret),
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	blob, err := wrapWith("t", src, transport, h)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(blob, secret) {
		t.Fatal("wrapped blob holds the plaintext")
	}
	got, err := unwrapWith("t", dst, tDst, blob, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, false),
		pkcs11.NewAttribute(pkcs11.CKA_EXTRACTABLE, true),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := dst.withSession("t", func(c Context, s pkcs11.SessionHandle) error {
		a, err := attrs(c, s, got, pkcs11.CKA_VALUE)
		if err != nil {
			return err
		}
		if !bytes.Equal(a[pkcs11.CKA_VALUE], secret) {
			t.Error("unwrapped value differs")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	destroyOn(src, transport, h)
	destroyOn(dst, tDst, got)
}

func TestProveBackup(t *testing.T) {
	f := newFixture(t)
	src := f.token(t, primaryName, testPIN)
	dst := f.token(t, backupName, backupPIN)
	seed := bytes.Repeat([]byte{0x5e}, 32)
	orig, err := src.ImportKey("plings_master_key_v1", seed, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ImportKey("plings_master_key_v1", seed, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ProveBackup(dst, "plings_master_key_v1", orig.Public()); err != nil {
		t.Fatal(err)
	}
	p, err := Prove(dst, "plings_master_key_v1", orig.Public())
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(orig.Public(), p.Challenge, p.Signature) || p.Fingerprint != orig.Fingerprint() || p.Token != backupName {
		t.Errorf("proof = %+v", p)
	}
	p2, _ := Prove(dst, "plings_master_key_v1", orig.Public())
	if bytes.Equal(p.Challenge, p2.Challenge) {
		t.Error("challenge is not fresh")
	}

	// The backup token holds another key under the label.
	if _, err := dst.ImportKey("plings_master_key_v2", bytes.Repeat([]byte{0x11}, 32), ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	err = ProveBackup(dst, "plings_master_key_v2", orig.Public())
	wantErr(t, err, ErrBackupMismatch, orig.Fingerprint(), "does not verify", "not hold a copy")

	err = ProveBackup(dst, "plings_master_key_v9", orig.Public())
	wantErr(t, err, ErrKeyNotFound)
	err = ProveBackup(dst, "plings_master_key_v1", orig.Public()[:3])
	wantErr(t, err, ErrInvalidArgument)
}
