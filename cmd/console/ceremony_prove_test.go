package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// One Ed25519 key on a SoftHSM backup token (imported from a known seed, as
// an out-of-band backup would put it there), a ceremony imported with that
// key and its backup not proven: `console ceremony prove-backup` refuses a
// token without the key and an unknown version, then proves it on the
// backup token and records it; proving again changes nothing.
func TestCeremonyProveBackup(t *testing.T) {
	ctx := context.Background()
	name := pgtest.NewDatabase(t)
	as := func(login string) string { return pgtest.DSNAs(t, name, login) }
	open := func(login string) *store.DB {
		t.Helper()
		dsn := pgtest.DSN(t, name)
		if login != "" {
			dsn = as(login)
		}
		db, err := store.Open(ctx, store.Options{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	admin, alice, bob, carol := open(""), open("alice"), open("bob"), open("carol")

	// Two tokens in one store: "backup" gets the key, "spare" does not.
	dir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(dir, "backup", "so-87654321", "123456")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hsm.NewSoftHSMToken(dir, "spare", "so-87654321", "123456"); err != nil {
		t.Fatal(err)
	}
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("123456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"SOFTHSM2_CONF=" + conf}
	t.Setenv("SOFTHSM2_CONF", conf)
	const version = 1
	label := fmt.Sprintf("plings_master_key_v%d", version)
	seed := sha256.Sum256([]byte("a known seed for the backup proof test"))
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Token("backup")
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	if err := tok.LoginString("123456"); err != nil {
		m.Close()
		t.Fatal(err)
	}
	key, err := tok.ImportKey(label, seed[:], hsm.ImportOptions{})
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	pubPEM, err := key.PEM()
	if err != nil {
		m.Close()
		t.Fatal(err)
	}
	fingerprint := key.Fingerprint()
	m.Close() // the console opens the module in its own process

	// Witnesses, an approved and exported request, and the ceremony's
	// import, backup not proven.
	witnesses := []string{"wanda", "walter", "wilma"}
	var roster []model.Witness
	for _, w := range witnesses {
		line, err := os.ReadFile(witnessKeyFile(t, dir, w))
		if err != nil {
			t.Fatal(err)
		}
		roster = append(roster, model.Witness{Name: w, PublicKey: strings.TrimSpace(string(line))})
		if err := alice.AddWitness(ctx, roster[len(roster)-1], "alice"); err != nil {
			t.Fatal(err)
		}
	}
	id, err := alice.FileRequest(ctx, model.NewRequest{RequesterEmail: "alice@plings.io", Environment: model.EnvironmentTesting,
		Purpose: "capacity_expansion", SecurityLevel: model.SecurityLevelHigh, EstimatedLifespan: "2 years",
		Reason: "backup proof test", RiskLevel: "medium", HSMRequirements: "SoftHSM2"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.DecideRequest(ctx, id, "security", "approved", "", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.DecideRequest(ctx, id, "operations", "approved", "", "carol"); err != nil {
		t.Fatal(err)
	}
	r, _, next, head, err := alice.ExportRequest(ctx, id, "alice")
	if err != nil || next != version {
		t.Fatalf("export: next %d, %v", next, err)
	}
	transcript := sha256.Sum256([]byte("transcript"))
	in := model.CeremonyImport{CeremonyID: "WKC-prove-backup-test", RequestID: id, ApprovalID: r.ApprovalID, Version: version,
		KeyLabel: label, PublicKey: string(pubPEM), Fingerprint: fingerprint, TranscriptSHA256: fmt.Sprintf("%x", transcript),
		WitnessCount: 3, BackupProven: false, Signers: witnesses, Roster: roster, AuditHead: head}
	if created, err := admin.ImportCeremony(ctx, in, "admin"); err != nil || !created {
		t.Fatalf("import: %v %v", created, err)
	}
	proofs := func() int {
		var n int
		if err := admin.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM key_ceremony_backup_proofs)
			+ (SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'backup_proof')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	prove := func(args ...string) result {
		t.Helper()
		return console(t, env, append(append([]string{"ceremony", "prove-backup"}, args...),
			"--pin-file", pinFile, "--dsn", as("alice"), "--operator", "alice", "--data-dir", t.TempDir())...)
	}
	for _, tc := range []struct {
		what string
		args []string
		want []string
	}{
		{"a token without the key", []string{"v1", "--backup-token", "spare"},
			[]string{"ceremony prove-backup v1: REFUSED: backup token spare holds no key plings_master_key_v1, so it is no backup of v1's master key", "key not found"}},
		{"an unknown version", []string{"v9", "--backup-token", "backup"},
			[]string{"ceremony prove-backup v9: REFUSED: wallet v9 is not in this database: not found"}},
		{"no backup token", []string{"v1"}, []string{"give the backup token with --backup-token LABEL"}},
		{"no version", []string{"--backup-token", "backup"}, []string{"ceremony prove-backup takes VERSION (the wallet version the ceremony made, e.g. v7)"}},
		{"an unknown token", []string{"v1", "--backup-token", "nosuch"}, []string{"open the backup token nosuch", "token not found"}},
	} {
		res := prove(tc.args...)
		if res.code == 0 {
			t.Errorf("%s: accepted: %q", tc.what, res.stdout)
		}
		for _, want := range tc.want {
			if !strings.Contains(res.stderr, want) {
				t.Errorf("%s: %q; want it to say %q", tc.what, res.stderr, want)
			}
		}
		if strings.Contains(res.stdout+res.stderr, "123456") {
			t.Errorf("%s: the PIN appears in the output", tc.what)
		}
		t.Logf("%s: %s", tc.what, strings.TrimSpace(res.stderr))
	}
	// A token holding another key under the master key's label.
	m, err = hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	spare, err := m.Token("spare")
	if err == nil {
		err = spare.LoginString("123456")
	}
	if err == nil {
		other := sha256.Sum256([]byte("another seed"))
		_, err = spare.ImportKey(label, other[:], hsm.ImportOptions{})
	}
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	res := prove("v1", "--backup-token", "spare")
	if res.code == 0 || !strings.Contains(res.stderr, "REFUSED: the key plings_master_key_v1 on backup token spare is not v1's master key") ||
		!strings.Contains(res.stderr, "backup does not hold the original key") {
		t.Errorf("a token with another key: %d %q", res.code, res.stderr)
	}
	t.Logf("a token with another key: %s", strings.TrimSpace(res.stderr))
	if n := proofs(); n != 0 {
		t.Fatalf("refusals recorded %d proof or audit rows", n)
	}
	if _, _, _, proven, err := admin.CeremonyKey(ctx, version); err != nil || proven {
		t.Fatalf("before the proof: proven %v, %v", proven, err)
	}

	res = prove("v1", "--backup-token", "backup")
	if res.code != 0 {
		t.Fatalf("prove-backup: %d %q %q", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"backup proven: token backup (serial ", "signed a fresh challenge", "with key plings_master_key_v1",
		"verifies under v1's master public key (fingerprint " + fingerprint + ")", "v1 may now be activated"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("prove-backup said %q; want %q", res.stdout, want)
		}
	}
	t.Logf("prove-backup: %s", strings.TrimSpace(res.stdout))
	if _, _, _, proven, err := admin.CeremonyKey(ctx, version); err != nil || !proven {
		t.Errorf("after the proof: proven %v, %v", proven, err)
	}
	if n := proofs(); n != 2 {
		t.Errorf("%d proof and audit rows, want 1 of each", n)
	}

	res = prove("v1", "--backup-token", "backup")
	if res.code != 0 || !strings.Contains(res.stdout, "already proven; nothing changed") {
		t.Errorf("second prove-backup: %d %q %q", res.code, res.stdout, res.stderr)
	}
	if n := proofs(); n != 2 {
		t.Errorf("a second proof changed rows: %d", n)
	}

	// The proof is what lets the wallet be activated.
	// (Validation and deployment are the lifecycle issue's: the owner walks
	// the wallet there; the operator activates through the database's
	// function, which the console guards by verifying the proof again.)
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := admin.SetStatus(ctx, version, s, store.Op{Type: "wallet_" + string(s), Actor: "owner"}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	// What activation asks of the lifecycle before it, as the owner (a
	// rollout takes its traffic from another wallet: v99 stands for it).
	if err := admin.CreateWallet(ctx, store.NewWallet{Version: 99}, "fixture"); err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		`INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed)
		 SELECT '00000000-0000-0000-0000-00000000000a', $1, 'test ' || g, 'critical', true FROM generate_series(1, 7) g`,
		`INSERT INTO wallet_rollouts (wallet_version, from_wallet, step_weights, step_dwells, measure_interval, failure_limit,
		on_failure, gate_timeout, max_error_rate, max_allocation_ms, max_signature_ms, current_step, state, reason,
		go_approved_by, promotion_approved_by, started_by, finished_at)
		SELECT $1, coalesce((SELECT version_id FROM wallet_versions WHERE is_default), (SELECT min(version_id) FROM wallet_versions WHERE version_id <> $1)),
		'{1,100}', '{1 second,1 second}', '1 second', 2, 'rollback', '1 day', 0.1, 500, 10, 2, 'completed', 'completed (test fixture)',
		'carol', 'carol', 'bob', now()`,
		`WITH z AS (UPDATE wallet_traffic_share SET traffic_percentage = 0 WHERE wallet_version <> $1)
		INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES ($1, 100)
		ON CONFLICT (wallet_version) DO UPDATE SET traffic_percentage = 100`,
	} {
		if _, err := admin.Pool().Exec(ctx, sql, version); err != nil {
			t.Fatal(err)
		}
	}
	if r := console(t, nil, "activate", model.VersionName(version), "--default", "--dsn", as("alice")); r.code != 0 ||
		!strings.Contains(r.stdout, "✓ the backup of its master key is proven") || !strings.Contains(r.stdout, "is active") {
		t.Fatalf("activate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", as("viewer")); r.code != 0 || !strings.Contains(r.stdout, "audit chain OK") ||
		!strings.Contains(r.stdout, "ceremony keys OK: 1 checked") {
		t.Errorf("audit verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
}
