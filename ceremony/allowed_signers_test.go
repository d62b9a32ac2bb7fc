package ceremony

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
)

func parsedKey(t *testing.T, name string) ssh.PublicKey {
	t.Helper()
	k, _, _, _, err := ssh.ParseAuthorizedKey([]byte(pubKey(t, name)))
	noErr(t, err)
	return k
}

// TestAllowedSignersParse: the OpenSSH format with comments, blank lines,
// CRLF, quoted principals, quoted options holding commas and spaces.
func TestAllowedSignersParse(t *testing.T) {
	alice, bob, carol := pubKey(t, "alice"), pubKey(t, "bob"), pubKey(t, "carol")
	file := "# the auditor's roster\n" +
		"\n" +
		"   # an indented comment\n" +
		"alice " + alice + "\r\n" +
		"bob,robert@example.com namespaces=\"file,wallet-ceremony@plings.io\",valid-after=\"20200101\" " + bob + "\n" +
		"\"carol,c*\" valid-before=\"20991231235959Z\" " + carol + " a comment with spaces\n" +
		"\t\n"
	a := must(ParseAllowedSigners("auditor", []byte(file)))(t)
	if len(a.Signers) != 3 || a.Signers[0].Line != 4 || a.Signers[1].Line != 5 || a.Signers[2].Line != 6 {
		t.Fatalf("signers %+v", a.Signers)
	}
	if got := strings.Join(a.Signers[1].Principals, "|"); got != "bob|robert@example.com" {
		t.Errorf("principals %q", got)
	}
	if got := strings.Join(a.Signers[1].Namespaces, "|"); got != "file|wallet-ceremony@plings.io" {
		t.Errorf("namespaces %q", got)
	}
	if !a.Signers[2].ValidBefore.Equal(time.Date(2099, 12, 31, 23, 59, 59, 0, time.UTC)) {
		t.Errorf("valid-before %v", a.Signers[2].ValidBefore)
	}
	now := time.Now()
	for _, c := range []struct {
		principal, key string
		ok             bool
		why            string
	}{
		{"alice", "alice", true, ""},
		{"alice", "bob", false, "does not list for alice"},
		{"bob", "bob", true, ""},
		{"robert@example.com", "bob", true, ""},
		{"carol", "carol", true, ""},
		{"cx", "carol", true, ""}, // the c* pattern
		{"mallory", "mallory", false, "does not list mallory at all"},
	} {
		ok, why := a.Permits(c.principal, parsedKey(t, c.key), Namespace, now)
		if ok != c.ok || !strings.Contains(why, c.why) {
			t.Errorf("Permits(%s, %s's key) = %v %q", c.principal, c.key, ok, why)
		}
	}
	if ok, why := a.Permits("bob", parsedKey(t, "bob"), "git", now); ok || !strings.Contains(why, "not for namespace git") {
		t.Errorf("another namespace: %v %q", ok, why)
	}
	if ok, why := a.Permits("bob", parsedKey(t, "bob"), Namespace, time.Date(2019, 1, 1, 0, 0, 0, 0, time.UTC)); ok || !strings.Contains(why, "only from") {
		t.Errorf("before valid-after: %v %q", ok, why)
	}
	neg := must(ParseAllowedSigners("neg", []byte("*,!mallory "+pubKey(t, "mallory")+"\n")))(t)
	if ok, _ := neg.Permits("mallory", parsedKey(t, "mallory"), Namespace, now); ok {
		t.Error("a negated principal was permitted")
	}
	if ok, _ := neg.Permits("anyone", parsedKey(t, "mallory"), Namespace, now); !ok {
		t.Error("the * principal was not permitted")
	}
}

// TestAllowedSignersRefused: what is not an allowed_signers file is refused
// with the line and what is wrong; a huge file or /dev/zero is refused by size.
func TestAllowedSignersRefused(t *testing.T) {
	alice := pubKey(t, "alice")
	for name, c := range map[string]struct{ file, frag string }{
		"no key":          {"alice\n", "line 1: a principal and no key"},
		"bad key":         {"# ok\nalice ssh-ed25519 AAAAnotbase64!!\n", "line 2: no OpenSSH public key"},
		"unknown option":  {"alice no-touch-required " + alice + "\n", `line 1: unknown option "no-touch-required"`},
		"unquoted value":  {"alice namespaces=file " + alice + "\n", "must be in double quotes"},
		"bad time":        {"alice valid-after=\"2020\" " + alice + "\n", `time "2020" is not YYYYMMDD`},
		"unclosed quote":  {"\"alice " + alice + "\n", "no closing quote"},
		"empty principal": {"alice,,bob " + alice + "\n", "empty principal"},
		"nothing":         {"# only comments\n\n", "lists no signer"},
		"binary":          {"alice \x00\x01", "is not text"},
	} {
		_, err := ParseAllowedSigners("f", []byte(c.file))
		wantErr(t, err, []error{ErrAllowedSigners}, c.frag)
		_ = name
	}
	big := filepath.Join(t.TempDir(), "big")
	noErr(t, os.WriteFile(big, []byte(strings.Repeat("# padding\n", MaxAllowedSignersSize/10+1)), 0o600))
	_, err := ReadAllowedSigners(big)
	wantErr(t, err, []error{ErrAllowedSigners}, "larger than 1048576 bytes")
	_, err = ReadAllowedSigners("/dev/zero")
	wantErr(t, err, []error{ErrAllowedSigners}, "larger than 1048576 bytes")
	_, err = ReadAllowedSigners(filepath.Join(t.TempDir(), "absent"))
	wantErr(t, err, []error{ErrAllowedSigners}, "no such file")
}
