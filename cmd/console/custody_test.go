package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 10, smaller holes: a file the console reads is bounded. /dev/zero
// never ends; the console must say so instead of dying out of memory.
func TestOversizedFilesRefused(t *testing.T) {
	check := func(what string, r result) {
		t.Helper()
		all := r.stdout + r.stderr
		if r.code == 0 {
			t.Errorf("%s: exit 0 for /dev/zero: %q", what, all)
		}
		if !strings.Contains(all, "/dev/zero is larger than") || !strings.Contains(all, "is it the right file?") {
			t.Errorf("%s: want the size refusal, got %d %q", what, r.code, all)
		}
		if strings.Contains(all, "out of memory") || strings.Contains(all, "goroutine ") {
			t.Errorf("%s: a Go crash instead of a refusal: %.300q", what, all)
		}
	}
	check("ceremony verify /dev/zero", console(t, nil, "ceremony", "verify", "/dev/zero"))
	env, _ := softToken(t)
	check("hsm keys --pin-file /dev/zero", console(t, env, "hsm", "keys", "--token", "ops", "--pin-file", "/dev/zero", "--data-dir", t.TempDir()))
}

// Issue 10, smaller holes: --json escapes what a terminal would obey (a
// right-to-left override, a C1 control) and decodes to the same text.
func TestJSONEscapesInvisibleCharacters(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	desc := "evil \u202eformat\u202c and csi \u009b31m red"
	if err := db.CreateWallet(ctx, store.NewWallet{Version: 1, Description: "plain"}, "tester"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Pool().Exec(ctx, "UPDATE wallet_versions SET description = $1 WHERE version_id = 1", desc); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status", "--json"}, {"show", "v1", "--json"}} {
		r := console(t, nil, append(args, "--dsn", dsn)...)
		what := strings.Join(args, " ")
		if r.code != 0 {
			t.Fatalf("%s: %d %q", what, r.code, r.stderr)
		}
		if strings.Contains(r.stdout, "\u202e") || strings.Contains(r.stdout, "\u009b") || strings.Contains(r.stdout, "\u202c") {
			t.Errorf("%s: raw U+202E / U+009B / U+202C in the output:\n%s", what, r.stdout)
		}
		if !strings.Contains(r.stdout, `\u202e`) || !strings.Contains(r.stdout, `\u009b`) {
			t.Errorf("%s: want the \\u202e and \\u009b escapes:\n%s", what, r.stdout)
		}
		if !strings.Contains(decodedStrings(t, r.stdout), desc) {
			t.Errorf("%s: the description does not decode back to %q:\n%s", what, desc, r.stdout)
		}
	}
}

// decodedStrings is every string value of a JSON document, joined.
func decodedStrings(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, doc)
	}
	var b strings.Builder
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			b.WriteString(x + "\n")
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return b.String()
}

// Issue 10, smaller holes: a password with an escaped space is masked whole
// in the error of a DSN that does not parse.
func TestDSNPasswordMaskedWhole(t *testing.T) {
	for _, dsn := range []string{
		`host=/nonexistent user=alice password=pre\ S3cretTAIL port=abc`,
		`host=/nonexistent password='pre S3cretTAIL' port=abc`,
		`postgres://alice:pre%20S3cretTAIL@localhost:abc/wallets`,
		`postgres://alice@localhost:abc/wallets?password=pre%20S3cretTAIL`,
	} {
		r := console(t, nil, "status", "--dsn", dsn)
		all := r.stdout + r.stderr
		if r.code == 0 {
			t.Errorf("%s: exit 0", dsn)
		}
		if strings.Contains(all, "S3cret") || strings.Contains(all, "TAIL") {
			t.Errorf("%s: the password shows in %q", dsn, all)
		}
		if !strings.Contains(all, "not valid") {
			t.Errorf("%s: want the invalid-DSN message, got %q", dsn, all)
		}
	}
}

// A backup proof whose signature has the right shape but does not verify
// (the database cannot tell) makes `audit verify` fail loudly, by wallet.
func TestAuditVerifyReVerifiesBackupProofs(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	ctx := context.Background()
	db := openStore(t, dsn, false)
	pub, _, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	fp := model.Fingerprint(pub)
	if err := db.CreateWallet(ctx, store.NewWallet{Version: 1, Fingerprint: fp, RequestID: "WCR-2026-01-01-001"}, "owner"); err != nil {
		t.Fatal(err)
	}
	// The owner writes what a forger would need a function for.
	for _, st := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO wallet_creation_requests (request_id, environment, purpose, reason) VALUES ('WCR-2026-01-01-001', 'testing', 'capacity', 'x')`, nil},
		{`INSERT INTO key_ceremonies (ceremony_id, request_id, wallet_version, transcript_sha256, master_public_key, public_key_fingerprint, witness_count, key_label)
		 VALUES ('WKC-forged', 'WCR-2026-01-01-001', 1, repeat('1', 64), $1, $2, 3, 'plings_master_key_v1')`, []any{model.PublicKeyPEM(pub), fp}},
		{`INSERT INTO key_ceremony_backup_proofs (ceremony_id, wallet_version, backup_token, key_label, public_key_fingerprint, challenge, signature, backup_token_serial)
		 VALUES ('WKC-forged', 1, 'backup', 'plings_master_key_v1', $1, decode(repeat('11', 32), 'hex'), decode(repeat('ab', 64), 'hex'), 'serial-9')`, []any{fp}},
		{`UPDATE key_ceremonies SET backup_proven = true WHERE ceremony_id = 'WKC-forged'`, nil},
	} {
		if _, err := db.Pool().Exec(ctx, st.sql, st.args...); err != nil {
			t.Fatalf("%s: %v", st.sql, err)
		}
	}
	r := console(t, nil, "audit", "verify", "--dsn", dsn)
	if r.code != 1 || !strings.Contains(r.stdout, "audit chain OK") ||
		!strings.Contains(r.stdout, `KEY PROBLEM: v1: the backup proof from token "backup" does NOT verify under the master public key`) ||
		!strings.Contains(r.stderr, "1 of 1 ceremony key records do NOT verify") {
		t.Errorf("audit verify over a forged proof: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "audit", "verify", "--json", "--dsn", dsn)
	if r.code != 1 || !strings.Contains(r.stdout, `"ok": false`) || !strings.Contains(r.stdout, `"key_problems"`) || !strings.Contains(r.stdout, `"keys_checked": 1`) {
		t.Errorf("audit verify --json over a forged proof: %d\n%s", r.code, r.stdout)
	}
}
