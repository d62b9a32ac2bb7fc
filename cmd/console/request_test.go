package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// witnessKeyFile writes a witness's .pub file: made by ssh-keygen where it
// is installed (the real format), else in the same format here.
func witnessKeyFile(t *testing.T, dir, name string) string {
	t.Helper()
	priv := filepath.Join(dir, name)
	if _, err := exec.LookPath("ssh-keygen"); err == nil {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name+"@witness", "-f", priv).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v %s", err, out)
		}
		return priv + ".pub"
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	var blob []byte
	for _, part := range [][]byte{[]byte("ssh-ed25519"), pub} {
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(part)))
		blob = append(blob, part...)
	}
	line := "ssh-ed25519 " + base64.StdEncoding.EncodeToString(blob) + " " + name + "@witness\n"
	if err := os.WriteFile(priv+".pub", []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return priv + ".pub"
}

// File as alice, approve as bob and carol, add witnesses, export: each as
// its own database login, through the built binary.
func TestRequestApproveAndExport(t *testing.T) {
	name := pgtest.NewDatabase(t)
	as := func(login string) string { return pgtest.DSNAs(t, name, login) }
	dir := t.TempDir()
	ctx := context.Background()
	admin, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	logRows := func(typ string) int {
		var n int
		if err := admin.Pool().QueryRow(ctx, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = $1", typ).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Refused before the database: missing fields, a flag of another verb.
	r := console(t, nil, "request", "new", "--environment", "testing", "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "request new needs --purpose, --security-level, --lifespan, --reason") {
		t.Errorf("new without fields: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "request", "new", "--role", "security", "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "request new does not take --role") {
		t.Errorf("new --role: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "request", "new", "--environment", "staging", "--purpose", "capacity_expansion", "--security-level", "high",
		"--lifespan", "2 years", "--reason", "room", "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, `unknown environment "staging"`) || !strings.Contains(r.stderr, "production, testing, development") {
		t.Errorf("new --environment staging: %d %q", r.code, r.stderr)
	}

	r = console(t, nil, "request", "new", "--environment", "testing", "--purpose", "capacity_expansion",
		"--security-level", "high", "--lifespan", "2 years", "--reason", "v3 is 80% allocated",
		"--email", "alice@plings.io", "--hsm-requirements", "SoftHSM2", "--dsn", as("alice"), "--operator", "alice@plings.io")
	if r.code != 0 {
		t.Fatalf("request new: %d %q", r.code, r.stderr)
	}
	id := regexp.MustCompile(`WCR-\d{4}-\d{2}-\d{2}-\d{3}`).FindString(r.stdout)
	if id == "" || !strings.Contains(r.stdout, "it needs approvals from: security, operations") ||
		!strings.Contains(r.stdout, "console request approve "+id+" --role security") {
		t.Fatalf("request new said %q", r.stdout)
	}

	// alice, even as an approver, cannot approve her own request: the
	// database's words reach her.
	if _, err := admin.Pool().Exec(ctx, "GRANT wallet_approver TO alice"); err != nil {
		t.Fatal(err)
	}
	r = console(t, nil, "request", "approve", id, "--role", "security", "--dsn", as("alice"))
	admin.Pool().Exec(ctx, "REVOKE wallet_approver FROM alice")
	if r.code != 1 || !strings.Contains(r.stderr, "two-person rule: alice filed request "+id+" and cannot approve it") {
		t.Errorf("self-approval: %d %q", r.code, r.stderr)
	}

	r = console(t, nil, "request", "approve", id, "--role", "security", "--dsn", as("bob"))
	if r.code != 0 || !strings.Contains(r.stdout, id+" approved as security by bob") || !strings.Contains(r.stdout, "waiting for: operations") {
		t.Errorf("bob approves: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "request", "show", id, "--dsn", as("viewer"))
	for _, want := range []string{id + "  pending  testing", "filed by alice (alice@plings.io)", "capacity_expansion",
		"SoftHSM2", "approvals needed: security, operations", "security  approved  bob", "waiting for: operations"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = console(t, nil, "request", "reject", id, "--role", "operations", "--dsn", as("carol"))
	if r.code != 1 || !strings.Contains(r.stderr, "request reject needs --reason") {
		t.Errorf("reject without a reason: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "request", "approve", id, "--role", "operations", "--reason", "capacity reviewed", "--dsn", as("carol"))
	if r.code != 0 || !strings.Contains(r.stdout, "approved: approval WAP-") {
		t.Errorf("carol approves: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "request", "show", id, "--json", "--dsn", as("viewer"))
	var shown model.CreationRequest
	if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil || shown.Status != "approved" || len(shown.Approvals) != 2 {
		t.Errorf("show --json: %v %+v", err, shown)
	}
	r = console(t, nil, "request", "list", "--dsn", as("viewer"))
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "approval "+shown.ApprovalID) {
		t.Errorf("list: %d %q %q", r.code, r.stdout, r.stderr)
	}

	// The roster: three witnesses with ssh-keygen keys.
	out := filepath.Join(dir, "request.json")
	r = console(t, nil, "request", "export", id, out, "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "the roster has 0 witnesses; a ceremony needs 3: console witness add NAME KEYFILE") {
		t.Errorf("export without witnesses: %d %q", r.code, r.stderr)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("a refused export wrote %s", out)
	}
	for _, w := range []string{"wanda", "walter", "wilma"} {
		r = console(t, nil, "witness", "add", w, witnessKeyFile(t, dir, w), "--dsn", as("alice"))
		if r.code != 0 || !strings.Contains(r.stdout, "witness "+w+" added to the roster: ssh-ed25519 SHA256:") {
			t.Errorf("witness add %s: %d %q %q", w, r.code, r.stdout, r.stderr)
		}
	}
	r = console(t, nil, "witness", "add", "wendy", filepath.Join(dir, "wanda.pub"), "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "already on the roster as witness wanda") {
		t.Errorf("a key twice: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "witness", "add", "wendy", filepath.Join(dir, "wanda"), "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "is a private key; give the .pub file") {
		t.Errorf("a private key file: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "witness", "add", "two words", filepath.Join(dir, "wanda.pub"), "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, "cannot be an ssh principal") {
		t.Errorf("a name with a blank: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "witness", "list", "--dsn", as("viewer"))
	if r.code != 0 || !strings.Contains(r.stdout, "walter") || !strings.Contains(r.stdout, "wanda@witness") ||
		strings.Count(r.stdout, "SHA256:") != 3 {
		t.Errorf("witness list: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if fp, err := exec.Command("ssh-keygen", "-l", "-E", "sha256", "-f", filepath.Join(dir, "wanda.pub")).Output(); err == nil {
		if f := strings.Fields(string(fp)); len(f) > 1 && !strings.Contains(r.stdout, f[1]) {
			t.Errorf("witness list does not show ssh-keygen's fingerprint %s:\n%s", f[1], r.stdout)
		}
	}

	r = console(t, nil, "request", "export", id, out, "--dsn", as("alice"))
	if r.code != 0 || !strings.Contains(r.stdout, "wrote "+out) || !strings.Contains(r.stdout, "the new wallet will be v1") {
		t.Fatalf("export: %d %q %q", r.code, r.stdout, r.stderr)
	}
	rf, err := ceremony.ReadRequestFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if rf.Request.ID != id || rf.Request.ApprovalID != shown.ApprovalID || len(rf.Witnesses) != 3 || rf.Required != 3 ||
		rf.NextVersion != 1 || len(rf.AuditHead) != 64 || len(rf.Request.Approvals) != 2 {
		t.Errorf("request file: %+v", rf)
	}
	written, _ := os.ReadFile(out)

	// Never over an existing file, and a refused export is not logged.
	exports := logRows("creation_request_export")
	r = console(t, nil, "request", "export", id, out, "--dsn", as("alice"))
	if r.code != 1 || !strings.Contains(r.stderr, out+" already exists and is never overwritten") {
		t.Errorf("export over a file: %d %q", r.code, r.stderr)
	}
	if again, _ := os.ReadFile(out); string(again) != string(written) {
		t.Errorf("the export file was changed")
	}
	if n := logRows("creation_request_export"); n != exports {
		t.Errorf("a refused export was logged (%d → %d)", exports, n)
	}

	// The viewer reads but decides nothing.
	r = console(t, nil, "request", "approve", id, "--role", "executive", "--dsn", as("viewer"))
	if r.code != 1 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("viewer approves: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "request", "show", "WCR-1999-01-01-001", "--dsn", as("viewer"))
	if r.code != 1 || !strings.Contains(r.stderr, "creation request WCR-1999-01-01-001: not found") || !strings.Contains(r.stderr, "console request list") {
		t.Errorf("show unknown: %d %q", r.code, r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", as("viewer")); r.code != 0 {
		t.Errorf("audit verify: %q", r.stderr)
	}
}
