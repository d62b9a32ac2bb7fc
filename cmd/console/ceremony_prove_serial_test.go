package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// seedKey imports an Ed25519 key from seed to a token of the store conf
// points at (standing in for the ceremony's key and an out-of-band copy of
// it) and returns the public key PEM, its fingerprint and the token's info.
func seedKey(t *testing.T, conf, token, pin, label string, seed []byte) (string, string, hsm.TokenInfo) {
	t.Helper()
	t.Setenv("SOFTHSM2_CONF", conf)
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.Token(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.LoginString(pin); err != nil {
		t.Fatal(err)
	}
	k, err := tok.ImportKey(label, seed, hsm.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pemb, err := k.PEM()
	if err != nil {
		t.Fatal(err)
	}
	ti, err := tok.Info()
	if err != nil {
		t.Fatal(err)
	}
	return string(pemb), k.Fingerprint(), ti
}

// Issue 10, point 9: a backup proof must come from a token whose serial
// differs from the ceremony token's. The ceremony token itself and a copy of
// its token directory (cp -a: same label, same key, same serial) are
// refused; a separate backup token holding the key is accepted, and the
// proof names its serial and model.
func TestCeremonyProveBackupRefusesCeremonyToken(t *testing.T) {
	ctx := context.Background()
	name := pgtest.NewDatabase(t)
	as := func(login string) string { return pgtest.DSNAs(t, name, login) }
	open := func(dsn string) *store.DB {
		t.Helper()
		db, err := store.Open(ctx, store.Options{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	admin, alice, bob, carol := open(pgtest.DSN(t, name)), open(as("alice")), open(as("bob")), open(as("carol"))

	const pin = "123456"
	const label = "plings_master_key_v1"
	seed := sha256.Sum256([]byte("the ceremony's key, for the serial test"))
	dir := t.TempDir()

	// The ceremony token, with the key, alone in its store first so that its
	// token directory is the only one there.
	conf, err := hsm.NewSoftHSMToken(dir, "ceremony", "so-87654321", pin)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, fingerprint, ceremonyTI := seedKey(t, conf, "ceremony", pin, label, seed[:])
	if ceremonyTI.Serial == "" {
		t.Fatal("SoftHSM reported no serial for the ceremony token")
	}
	tokDirs, err := filepath.Glob(filepath.Join(dir, "tokens", "*"))
	if err != nil || len(tokDirs) != 1 {
		t.Fatalf("token directories %v, %v", tokDirs, err)
	}
	// A copy of the ceremony token's directory, in a store of its own.
	copyDir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(copyDir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", tokDirs[0], filepath.Join(copyDir, "tokens")+"/").CombinedOutput(); err != nil {
		t.Fatalf("cp -a: %v %s", err, out)
	}
	copyConf := filepath.Join(copyDir, hsm.SoftHSMConfName)
	if err := os.WriteFile(copyConf, []byte(fmt.Sprintf("directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n",
		filepath.Join(copyDir, "tokens"))), 0o600); err != nil {
		t.Fatal(err)
	}
	// The copy is the ceremony token as far as the module can tell: same
	// label, same serial, same key.
	t.Setenv("SOFTHSM2_CONF", copyConf)
	if m, err := hsm.Open(hsm.SoftHSMModule); err != nil {
		t.Fatal(err)
	} else {
		tok, err := m.Token("ceremony")
		var ti hsm.TokenInfo
		if err == nil {
			ti, err = tok.Info()
		}
		if err == nil && ti.Serial != ceremonyTI.Serial {
			err = fmt.Errorf("the copy reports serial %s, the ceremony token %s", ti.Serial, ceremonyTI.Serial)
		}
		if err == nil {
			err = tok.LoginString(pin)
		}
		if err == nil {
			err = hsm.ProveBackup(tok, label, mustPub(t, pubPEM))
		}
		m.Close()
		if err != nil {
			t.Fatalf("the copied token directory: %v", err)
		}
	}
	// The real backup token: the same key (an out-of-band copy), another serial.
	if _, err := hsm.NewSoftHSMToken(dir, "backup", "so-87654321", pin); err != nil {
		t.Fatal(err)
	}
	_, _, backupTI := seedKey(t, conf, "backup", pin, label, seed[:])
	if backupTI.Serial == ceremonyTI.Serial {
		t.Fatalf("the backup token has the ceremony token's serial %s", backupTI.Serial)
	}
	pinFile := filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte(pin+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// An approved, exported request and the ceremony's import, naming the
	// ceremony token's serial as the transcript's hsm login event does.
	var roster []model.Witness
	var signers []string
	for _, w := range []string{"wanda", "walter", "wilma"} {
		line, err := os.ReadFile(witnessKeyFile(t, dir, w))
		if err != nil {
			t.Fatal(err)
		}
		roster = append(roster, model.Witness{Name: w, PublicKey: strings.TrimSpace(string(line))})
		signers = append(signers, w)
		if err := alice.AddWitness(ctx, roster[len(roster)-1], "alice"); err != nil {
			t.Fatal(err)
		}
	}
	id, err := alice.FileRequest(ctx, model.NewRequest{RequesterEmail: "alice@plings.io", Environment: model.EnvironmentTesting,
		Purpose: "capacity_expansion", SecurityLevel: model.SecurityLevelHigh, EstimatedLifespan: "2 years",
		Reason: "backup serial test", RiskLevel: "medium", HSMRequirements: "SoftHSM2"}, "alice")
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
	if err != nil || next != 1 {
		t.Fatalf("export: next %d, %v", next, err)
	}
	in := model.CeremonyImport{CeremonyID: "WKC-serial-test", RequestID: id, ApprovalID: r.ApprovalID, Version: 1,
		KeyLabel: label, PublicKey: pubPEM, Fingerprint: fingerprint, TranscriptSHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("t"))),
		WitnessCount: 3, Signers: signers, Roster: roster, AuditHead: head,
		TokenSerial: ceremonyTI.Serial, TokenModel: ceremonyTI.Model}
	if created, err := admin.ImportCeremony(ctx, in, "admin"); err != nil || !created {
		t.Fatalf("import: %v %v", created, err)
	}
	proven := func() bool {
		_, _, _, p, err := admin.CeremonyKey(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	prove := func(conf, token string) result {
		t.Helper()
		return console(t, []string{"SOFTHSM2_CONF=" + conf}, "ceremony", "prove-backup", "v1", "--backup-token", token,
			"--pin-file", pinFile, "--dsn", as("alice"), "--operator", "alice", "--data-dir", t.TempDir())
	}

	// STORE-SIDE REFUSAL. The console cannot learn the ceremony token's
	// serial on the connected side except from the store, which compares the
	// proof's serial with key_ceremonies.ceremony_token_serial (the store and
	// migration rewrite of issue 10). Until that column exists the two
	// refusals cannot hold, and proving with the ceremony token would use up
	// the one proof, so they are not tried; once it exists they are asserted.
	var storeKeepsSerial bool
	if err := admin.Pool().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM information_schema.columns
		WHERE table_name = 'key_ceremonies' AND column_name = 'ceremony_token_serial')`).Scan(&storeKeepsSerial); err != nil {
		t.Fatal(err)
	}
	if !storeKeepsSerial {
		t.Logf("STORE-SIDE REFUSAL NOT CHECKED: key_ceremonies.ceremony_token_serial does not exist yet; the refusal of the ceremony token and of a copy of its directory is the store's (run this test again once the store's rewrite is merged)")
	} else {
		for _, tc := range []struct{ what, conf string }{
			{"the ceremony token itself", conf},
			{"a cp -a copy of the ceremony token's directory", copyConf},
		} {
			res := prove(tc.conf, "ceremony")
			if res.code == 0 {
				t.Errorf("%s: accepted as the backup: %q", tc.what, res.stdout)
			}
			for _, want := range []string{"ceremony prove-backup v1: REFUSED", "backup token ceremony (serial " + ceremonyTI.Serial + ") is refused as the ceremony token or a copy of its files"} {
				if !strings.Contains(res.stderr, want) {
					t.Errorf("%s: %q; want it to say %q", tc.what, res.stderr, want)
				}
			}
			if proven() {
				t.Fatalf("%s: the backup is recorded as proven", tc.what)
			}
			t.Logf("%s: %s", tc.what, strings.TrimSpace(res.stderr))
		}
	}

	// The separate backup token is accepted, and the proof names its serial.
	res := prove(conf, "backup")
	if res.code != 0 {
		t.Fatalf("prove-backup on the backup token: %d %q %q", res.code, res.stdout, res.stderr)
	}
	want := fmt.Sprintf("backup proven: token backup (serial %s, model %s) signed a fresh challenge", backupTI.Serial, backupTI.Model)
	if !strings.Contains(res.stdout, want) {
		t.Errorf("prove-backup said %q; want %q", res.stdout, want)
	}
	if strings.Contains(res.stdout+res.stderr, pin) {
		t.Error("the PIN appears in the output")
	}
	t.Logf("the backup token: %s", strings.TrimSpace(res.stdout))
	if !proven() {
		t.Error("the backup is not recorded as proven")
	}
}

func mustPub(t *testing.T, pemText string) []byte {
	t.Helper()
	pub, err := model.ParsePublicKeyPEM(pemText)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}
