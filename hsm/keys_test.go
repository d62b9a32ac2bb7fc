package hsm

import (
	"bytes"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"
)

func TestGenerateKey(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("plings_master_key_v1", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if k.Label() != "plings_master_key_v1" || len(k.ID()) != IDLen || !k.OnToken() || k.Token() != tok {
		t.Errorf("key = %s %x %v", k.Label(), k.ID(), k.OnToken())
	}
	if len(k.Public()) != ed25519.PublicKeySize {
		t.Fatalf("public key of %d bytes", len(k.Public()))
	}
	sum := Fingerprint(k.Public())
	if k.Fingerprint() != sum || len(sum) != 64 {
		t.Errorf("fingerprint %q", k.Fingerprint())
	}
	msg := []byte("a message")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := k.Verify(msg, sig); err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(k.Public(), msg, sig) {
		t.Fatal("crypto/ed25519 rejects the signature")
	}
	wantErr(t, Verify(k.Public(), []byte("another"), sig), ErrVerifyFailed, k.Fingerprint())

	// The private key's value cannot be read.
	err = tok.withSession("read", func(c Context, s pkcs11.SessionHandle) error {
		_, err := c.GetAttributeValue(s, k.privHandle(), []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_VALUE, nil)})
		return err
	})
	if !errors.Is(err, pkcs11.Error(pkcs11.CKR_ATTRIBUTE_SENSITIVE)) {
		t.Errorf("reading CKA_VALUE: %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}

	// The same label again (any class) is refused, and the key is untouched.
	_, err = tok.GenerateKey("plings_master_key_v1", KeyOptions{})
	wantErr(t, err, ErrLabelExists, "plings_master_key_v1", "choose a new label")
	_, err = tok.ImportKey("plings_master_key_v1", make([]byte, 32), ImportOptions{})
	wantErr(t, err, ErrLabelExists)
	// … even if only a data object carries it.
	if err := tok.withSession("data", func(c Context, s pkcs11.SessionHandle) error {
		_, err := c.CreateObject(s, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_DATA),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, false),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, "taken"),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, []byte("x")),
		})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	_, err = tok.GenerateKey("taken", KeyOptions{})
	wantErr(t, err, ErrLabelExists)
	_, err = tok.GenerateKey("", KeyOptions{})
	wantErr(t, err, ErrInvalidArgument)

	found, err := tok.FindKey("plings_master_key_v1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(found.Public(), k.Public()) || found.IDHex() != k.IDHex() || !found.OnToken() {
		t.Error("FindKey gives another key")
	}
	sig2, err := found.Sign(msg)
	if err != nil || found.Verify(msg, sig2) != nil {
		t.Fatalf("found key signs: %v", err)
	}
	_, err = tok.FindKey("nope")
	wantErr(t, err, ErrKeyNotFound, `"nope"`)

	// Token keys outlive the session: a new Module sees it.
	tok.Close()
	tok = f.token(t, primaryName, testPIN)
	again, err := tok.FindKey("plings_master_key_v1")
	if err != nil || again.Fingerprint() != k.Fingerprint() {
		t.Fatalf("after reopening: %v", err)
	}
}

func TestSessionKey(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("ephemeral", KeyOptions{Session: true})
	if err != nil {
		t.Fatal(err)
	}
	if k.OnToken() {
		t.Error("session key reported on token")
	}
	if _, err := k.Sign([]byte("x")); err != nil {
		t.Fatal(err)
	}
	ks, err := tok.Keys()
	if err != nil {
		t.Fatal(err)
	}
	for _, ki := range ks {
		if ki.Label == "ephemeral" && ki.OnToken {
			t.Errorf("%+v is a token object", ki)
		}
	}
	tok.Close()
	tok = f.token(t, primaryName, testPIN)
	_, err = tok.FindKey("ephemeral")
	wantErr(t, err, ErrKeyNotFound)
}

func TestKeysAndDestroy(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	a, err := tok.GenerateKey("a", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tok.ImportKey("b", bytes.Repeat([]byte{7}, 32), ImportOptions{Session: true, Extractable: true}); err != nil {
		t.Fatal(err)
	}
	ks, err := tok.Keys()
	if err != nil {
		t.Fatal(err)
	}
	want := []KeyInfo{
		{Label: "a", IDHex: a.IDHex(), Class: "private", KeyType: "EC_EDWARDS", OnToken: true, Sensitive: true},
		{Label: "a", IDHex: a.IDHex(), Class: "public", KeyType: "EC_EDWARDS", OnToken: true},
		{Label: "b", Class: "private", KeyType: "EC_EDWARDS", Sensitive: true, Extractable: true},
		{Label: "b", Class: "public", KeyType: "EC_EDWARDS"},
	}
	if len(ks) != len(want) {
		t.Fatalf("keys = %+v", ks)
	}
	for i := range want {
		if want[i].IDHex == "" {
			want[i].IDHex = ks[i].IDHex
		}
		if ks[i] != want[i] {
			t.Errorf("key %d = %+v, want %+v", i, ks[i], want[i])
		}
	}

	if err := tok.DestroyKey("a"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sign([]byte("x")); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("sign with destroyed key: %v", err)
	}
	wantErr(t, tok.DestroyKey("a"), ErrKeyNotFound)
	ks, _ = tok.Keys()
	if len(ks) != 2 || ks[0].Label != "b" {
		t.Errorf("after destroy: %+v", ks)
	}
	// The label is free again.
	if _, err := tok.GenerateKey("a", KeyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestImportKey(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	seed := bytes.Repeat([]byte{0x42}, 32)
	want := ed25519.NewKeyFromSeed(seed)
	k, err := tok.ImportKey("imported", seed, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k.Public(), want.Public().(ed25519.PublicKey)) {
		t.Fatal("imported public key differs")
	}
	msg := []byte("deterministic")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sig, ed25519.Sign(want, msg)) { // Ed25519 is deterministic
		t.Error("token's signature differs from crypto/ed25519's")
	}
	_, err = tok.ImportKey("short", seed[:31], ImportOptions{})
	wantErr(t, err, ErrInvalidArgument, "31 bytes")
}

func TestParseECPoint(t *testing.T) {
	pub := bytes.Repeat([]byte{9}, 32)
	for name, in := range map[string][]byte{
		"raw": pub,
		"der": append([]byte{0x04, 0x20}, pub...),
	} {
		got, err := ParseECPoint(in)
		if err != nil || !bytes.Equal(got, pub) {
			t.Errorf("%s: %x, %v", name, got, err)
		}
	}
	for _, bad := range [][]byte{nil, pub[:31], append([]byte{0x04, 0x21}, pub...), append([]byte{0x03, 0x20}, pub...)} {
		if _, err := ParseECPoint(bad); err == nil {
			t.Errorf("%x accepted", bad)
		}
	}
}

func TestPEM(t *testing.T) {
	pub := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	p, err := PublicKeyPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(p)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		t.Fatalf("PEM = %s", p)
	}
	back, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil || !bytes.Equal(back.(ed25519.PublicKey), pub) {
		t.Fatalf("round trip: %v", err)
	}
	_, err = PublicKeyPEM(pub[:5])
	wantErr(t, err, ErrInvalidArgument)
}

// Acceptance 1: OpenSC's pkcs11-tool, an independent implementation, sees the
// key with its label, ID and type, sensitive and never extractable, and will
// not read the private key out.
func TestPkcs11ToolSeesKey(t *testing.T) {
	tool, err := exec.LookPath("pkcs11-tool")
	if err != nil {
		t.Skip("pkcs11-tool (opensc) not installed")
	}
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("plings_master_key_v7", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) (string, string, error) {
		cmd := exec.Command(tool, append([]string{"--module", SoftHSMModule, "--token-label", primaryName, "--login", "--pin", testPIN}, args...)...)
		cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+f.conf)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.String(), stderr.String(), err
	}
	out, stderr, err := run("--list-objects")
	if err != nil {
		t.Fatalf("pkcs11-tool --list-objects: %v\n%s", err, stderr)
	}
	t.Logf("pkcs11-tool --list-objects:\n%s", out)
	blocks := regexp.MustCompile(`(?m)^(?:Private|Public) Key Object`).FindAllStringIndex(out, -1)
	var priv, pub string
	for i, b := range blocks {
		end := len(out)
		if i+1 < len(blocks) {
			end = blocks[i+1][0]
		}
		block := out[b[0]:end]
		if !strings.Contains(block, "label:      plings_master_key_v7") {
			continue
		}
		if strings.HasPrefix(block, "Private") {
			priv = block
		} else {
			pub = block
		}
	}
	if priv == "" || pub == "" {
		t.Fatalf("pkcs11-tool does not list both halves:\n%s", out)
	}
	for _, want := range []string{"Private Key Object; EC_EDWARDS", "ID:         " + k.IDHex(), "Usage:      sign\n", "sensitive", "always sensitive", "never extractable", "local"} {
		if !strings.Contains(priv, want) {
			t.Errorf("private key block lacks %q:\n%s", want, priv)
		}
	}
	if strings.Contains(priv, "Access:     extractable") || strings.Contains(priv, ", extractable") {
		t.Errorf("private key listed as extractable:\n%s", priv)
	}
	ecPoint := "EC_POINT:   " + hex.EncodeToString(ecPointDER(k.Public()))
	for _, want := range []string{"Public Key Object; EC_EDWARDS", "ID:         " + k.IDHex(), ecPoint, "130c656477617264733235353139", "Usage:      verify\n"} {
		if !strings.Contains(pub, want) {
			t.Errorf("public key block lacks %q:\n%s", want, pub)
		}
	}

	// Reading the private key out must yield nothing. (OpenSC 0.23 refuses
	// with "sorry, reading private keys not (yet) supported" and exit 0; a
	// module-level refusal, CKR_ATTRIBUTE_SENSITIVE, is checked in TestGenerateKey.)
	keyFile := filepath.Join(t.TempDir(), "priv.der")
	out, stderr, err = run("--read-object", "--type", "privkey", "--label", "plings_master_key_v7", "--output-file", keyFile)
	t.Logf("pkcs11-tool --read-object --type privkey: err=%v stdout=%q stderr=%q", err, out, stderr)
	if st, serr := os.Stat(keyFile); serr == nil && st.Size() > 0 {
		t.Errorf("pkcs11-tool wrote %d bytes of private key", st.Size())
	}
	if err == nil && !strings.Contains(stderr, "not") {
		t.Errorf("pkcs11-tool read the private key without complaint: %q %q", out, stderr)
	}
	if strings.TrimSpace(out) != "" {
		t.Errorf("pkcs11-tool printed private key material: %q", out)
	}

	// Its public key export matches ours.
	pubFile := filepath.Join(t.TempDir(), "pub.der")
	if _, stderr, err := run("--read-object", "--type", "pubkey", "--label", "plings_master_key_v7", "--output-file", pubFile); err != nil {
		t.Fatalf("read public key: %v %s", err, stderr)
	}
	raw, _ := os.ReadFile(pubFile)
	if blk, _ := pem.Decode(raw); blk != nil {
		raw = blk.Bytes
	}
	theirs, err := x509.ParsePKIXPublicKey(raw)
	if err != nil {
		t.Fatalf("parse pkcs11-tool's public key: %v", err)
	}
	if !bytes.Equal(theirs.(ed25519.PublicKey), k.Public()) {
		t.Error("pkcs11-tool's public key differs from ours")
	}
}

// Acceptance 2: openssl verifies a signature made through the package
// against the PEM it exported; a changed message fails.
func TestOpenSSLVerifies(t *testing.T) {
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		t.Skip("openssl not installed")
	}
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	k, err := tok.GenerateKey("k", KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	msg := []byte("transfer 1 BTC to the cold wallet\n")
	sig, err := k.Sign(msg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pubPath, sigPath := write("pub.pem", p), write("sig", sig)
	verify := func(msgPath string) (string, error) {
		out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", pubPath, "-rawin", "-in", msgPath, "-sigfile", sigPath).CombinedOutput()
		return string(out), err
	}
	out, err := verify(write("msg", msg))
	if err != nil || !strings.Contains(out, "Signature Verified Successfully") {
		t.Fatalf("openssl rejects a good signature: %v %s", err, out)
	}
	changed := bytes.Clone(msg)
	changed[9] = '2'
	out, err = verify(write("changed", changed))
	if err == nil || !strings.Contains(out, "Signature Verification Failure") {
		t.Fatalf("openssl accepts a changed message: %v %s", err, out)
	}
}

// A key whose checks fail is destroyed: here the module hands back a public
// key that is not the key's, so the test signature does not verify.
func TestGenerateKeyCheckFailsDestroysKey(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	other := ecPointDER(ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey))
	f.hook.getAttr = func(as []*pkcs11.Attribute) []*pkcs11.Attribute {
		for _, a := range as {
			if a.Type == pkcs11.CKA_EC_POINT {
				a.Value = other
			}
		}
		return as
	}
	_, err := tok.GenerateKey("doomed", KeyOptions{})
	wantErr(t, err, ErrVerifyFailed, "test signature", "destroyed")
	f.hook.getAttr = nil
	ks, err := tok.Keys()
	if err != nil {
		t.Fatal(err)
	}
	if len(ks) != 0 {
		t.Errorf("left behind: %+v", ks)
	}

	// A template the module did not honour is caught too.
	f.hook.getAttr = func(as []*pkcs11.Attribute) []*pkcs11.Attribute {
		for _, a := range as {
			if a.Type == pkcs11.CKA_EXTRACTABLE {
				a.Value = []byte{1}
			}
		}
		return as
	}
	_, err = tok.GenerateKey("doomed", KeyOptions{})
	wantErr(t, err, ErrVerifyFailed, "CKA_EXTRACTABLE", "did not honour")
	f.hook.getAttr = nil
	if ks, _ := tok.Keys(); len(ks) != 0 {
		t.Errorf("left behind: %+v", ks)
	}
}

func TestGenerateKeyUnsupported(t *testing.T) {
	f := newFixture(t)
	tok := f.token(t, primaryName, testPIN)
	f.hook.genPair = func() error { return pkcs11.Error(pkcs11.CKR_MECHANISM_INVALID) }
	_, err := tok.GenerateKey("k", KeyOptions{})
	wantErr(t, err, ErrMechanismNotSupported, "CKR_MECHANISM_INVALID", "Ed25519")
}
