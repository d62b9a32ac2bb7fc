package ceremony

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
)

// AllowedSigners writes what ssh-keygen -Y verify reads, and the roster
// checks a signature the way ssh-keygen does.
func TestAllowedSignersAndVerify(t *testing.T) {
	ws := roster(t)
	as := AllowedSigners(append(ws, model.Witness{Name: "bad name", PublicKey: "x"}))
	lines := strings.Split(strings.TrimSpace(string(as)), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], `alice namespaces="wallet-ceremony@plings.io" ssh-ed25519 AAAA`) ||
		strings.Contains(lines[0], "@witness") || !strings.HasPrefix(lines[4], "# skipped") {
		t.Fatalf("allowed signers:\n%s", as)
	}
	dir := t.TempDir()
	allowed := filepath.Join(dir, "allowed_signers")
	noErr(t, os.WriteFile(allowed, as, 0o600))
	msg := []byte("hello witnesses\n")
	sig := sshSign(t, "carol", msg)
	sshVerify(t, allowed, "carol", msg, string(sig))

	r := must(NewRoster(testRequest, ws))(t)
	att := must(r.Verify(msg, sig))(t)
	if att.Witness.Name != "carol" || att.HashAlgorithm != "sha512" || !strings.HasPrefix(att.Witness.Fingerprint, "SHA256:") {
		t.Errorf("attestation %+v", att)
	}
	// Stored signatures take ssh-keygen's exact armor, whatever was pasted.
	if att.Armored != string(sig) {
		t.Errorf("armor differs from ssh-keygen's:\n%s\nvs\n%s", att.Armored, sig)
	}
	pasted := append([]byte("$ cat msg.txt.sig\r\n"), bytes.ReplaceAll(sig, []byte("\n"), []byte("\r\n"))...)
	if att2 := must(r.Verify(msg, pasted))(t); att2.Armored != string(sig) {
		t.Error("a pasted signature with CRLF and a prompt was not normalised")
	}
	// Pasted into a one-line field, the line breaks are gone.
	flat := bytes.ReplaceAll(sig, []byte("\n"), nil)
	if att3 := must(r.Verify(msg, flat))(t); att3.Armored != string(sig) {
		t.Error("a signature pasted without its line breaks was not read")
	}

	_, err := r.Verify(msg, sshSign(t, "mallory", msg))
	wantErr(t, err, []error{ErrNotOnRoster}, "not on the roster of request "+testRequest)
	_, err = r.Verify([]byte("hello witnesses"), sig)
	wantErr(t, err, []error{ErrBadSignature}, "does not verify")
	_, err = r.Verify(msg, sshSignNS(t, "carol", "git", msg))
	wantErr(t, err, []error{ErrBadSignature}, `namespace "git"`)
	_, err = r.Verify(msg, []byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	wantErr(t, err, []error{ErrBadSignature}, "not an SSH signature")
	att3 := must(r.Verify(msg, sshSign(t, "carol", msg, "-O", "hashalg=sha256")))(t)
	if att3.HashAlgorithm != "sha256" {
		t.Errorf("hash %s", att3.HashAlgorithm)
	}
}

// The entry hash is exactly the documented byte form, and the challenge and
// final message texts are exactly as documented.
func TestDocumentedForms(t *testing.T) {
	e := Entry{Seq: 1, Step: "request", Event: "ceremony_started", Actor: "olivia", Time: "2026-11-21T02:15:00Z",
		Data: []byte(`{ "z": "<&>", "a": [1, {"y": true, "b": null}] }`), Prev: GenesisPrev}
	body := `{"actor":"olivia","data":{"a":[1,{"b":null,"y":true}],"z":"<&>"},"event":"ceremony_started","seq":1,"step":"request","time":"2026-11-21T02:15:00Z"}`
	sum := sha256.Sum256([]byte(GenesisPrev + "\n" + body))
	if got := must(EntryHash(e))(t); got != hex.EncodeToString(sum[:]) {
		t.Errorf("EntryHash %s, want sha256(prev + \"\\n\" + %s)", got, body)
	}
	if got := string(ChallengeText("WKC-1", "WCR-2", "WAP-3", "ab")); got != "wallet-ceremony witness attestation\nceremony: WKC-1\nrequest: WCR-2\napproval: WAP-3\ntranscript: ab\n" {
		t.Errorf("challenge %q", got)
	}
	if got := string(FinalMessageText("WKC-1", "WCR-2", "WAP-3", "plings_master_key_v4", "fp", "cd")); got != "wallet-ceremony final\nceremony: WKC-1\nrequest: WCR-2\napproval: WAP-3\nkey: plings_master_key_v4 fp\nfinal: cd\n" {
		t.Errorf("final message %q", got)
	}
	for i, s := range Steps() {
		if s.Number() != i+1 || s.Title() == "" || s.Describe() == "" {
			t.Errorf("step %d: %s %q %q", i, s, s.Title(), s.Describe())
		}
		if p, ok := ParseStep(s.String()); !ok || p != s {
			t.Errorf("ParseStep(%s)", s)
		}
	}
}
