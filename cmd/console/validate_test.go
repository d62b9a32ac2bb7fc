package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
	"github.com/plings/walletconsole/ui"
)

const valPIN = "123456"

// valFixture is a database with an active wallet v1 (Plings registered, so
// the overlap rule and the allocation timing have somewhere to run) and a
// created wallet v2 imported from a ceremony whose key was generated on the
// SoftHSM token "ops" (as the ceremony makes it: sensitive, never
// extractable); with proof, its backup proven from another serial. Token
// "spare" holds nothing.
type valFixture struct {
	name          string
	admin, alice  *store.DB
	conf, pinFile string
	env           []string
	fingerprint   string
}

const valVersion = 2

func newValFixture(t *testing.T, withProof bool) *valFixture {
	t.Helper()
	ctx := context.Background()
	f := &valFixture{name: pgtest.NewDatabase(t)}
	open := func(login string) *store.DB {
		t.Helper()
		dsn := pgtest.DSN(t, f.name)
		if login != "" {
			dsn = pgtest.DSNAs(t, f.name, login)
		}
		db, err := store.Open(ctx, store.Options{DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(db.Close)
		return db
	}
	f.admin, f.alice = open(""), open("alice")
	bob, carol := open("bob"), open("carol")

	if err := f.admin.CreateWallet(ctx, store.NewWallet{Version: 1, Description: "the serving wallet"}, "tester"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed, model.StatusActive} {
		if err := f.admin.SetStatus(ctx, 1, s, store.Op{Type: "wallet_" + string(s), Actor: "tester"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.admin.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: 1, Index: 1, Name: "Plings"}, "tester"); err != nil {
		t.Fatal(err)
	}
	// Allocations whose stored HD prefixes the derivation test samples.
	for _, p := range []string{"1.2.3", "1.2.4", "1.7"} {
		if _, err := f.alice.Allocate(ctx, store.AllocationRequest{Wallet: 1, Path: p, Quantity: 10, Actor: "alice"}); err != nil {
			t.Fatal(err)
		}
	}

	dir := t.TempDir()
	var err error
	if f.conf, err = hsm.NewSoftHSMToken(dir, "ops", "so-87654321", valPIN); err != nil {
		t.Fatal(err)
	}
	if _, err := hsm.NewSoftHSMToken(dir, "spare", "so-87654321", valPIN); err != nil {
		t.Fatal(err)
	}
	f.pinFile = filepath.Join(dir, "pin")
	if err := os.WriteFile(f.pinFile, []byte(valPIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f.env = []string{"SOFTHSM2_CONF=" + f.conf}
	t.Setenv("SOFTHSM2_CONF", f.conf)

	label := fmt.Sprintf("plings_master_key_v%d", valVersion)
	challenge := sha256.Sum256([]byte("backup challenge"))
	var pubPEM []byte
	var serial, tokenModel string
	var sig []byte
	f.onToken(t, "ops", func(tok *hsm.Token) {
		key, err := tok.GenerateKey(label, hsm.KeyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if pubPEM, err = key.PEM(); err != nil {
			t.Fatal(err)
		}
		f.fingerprint = key.Fingerprint()
		// The proof's signature as the backup token, holding the same
		// key, would make it (SoftHSM cannot copy a generated key).
		if sig, err = key.Sign(challenge[:]); err != nil {
			t.Fatal(err)
		}
		ti, err := tok.Info()
		if err != nil {
			t.Fatal(err)
		}
		serial, tokenModel = ti.Serial, ti.Model
	})

	witnesses := []string{"wanda", "walter", "wilma"}
	var roster []model.Witness
	for _, w := range witnesses {
		line, err := os.ReadFile(witnessKeyFile(t, dir, w))
		if err != nil {
			t.Fatal(err)
		}
		roster = append(roster, model.Witness{Name: w, PublicKey: strings.TrimSpace(string(line))})
		if err := f.alice.AddWitness(ctx, roster[len(roster)-1], "alice"); err != nil {
			t.Fatal(err)
		}
	}
	id, err := f.alice.FileRequest(ctx, model.NewRequest{RequesterEmail: "alice@plings.io", Environment: model.EnvironmentTesting,
		Purpose: "capacity_expansion", SecurityLevel: model.SecurityLevelHigh, EstimatedLifespan: "2 years",
		Reason: "validation test", RiskLevel: "medium", HSMRequirements: "SoftHSM2"}, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.DecideRequest(ctx, id, "security", "approved", "", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, err := carol.DecideRequest(ctx, id, "operations", "approved", "", "carol"); err != nil {
		t.Fatal(err)
	}
	r, _, next, head, err := f.alice.ExportRequest(ctx, id, "alice")
	if err != nil || next != valVersion {
		t.Fatalf("export: next %d, %v", next, err)
	}
	transcript := sha256.Sum256([]byte("validation transcript"))
	in := model.CeremonyImport{CeremonyID: "WKC-validation-test", RequestID: id, ApprovalID: r.ApprovalID, Version: valVersion,
		KeyLabel: label, PublicKey: string(pubPEM), Fingerprint: f.fingerprint, TranscriptSHA256: fmt.Sprintf("%x", transcript),
		TokenSerial: serial, TokenModel: tokenModel, WitnessCount: 3, Signers: witnesses, Roster: roster, AuditHead: head,
		CompletedAt: time.Now().UTC()}
	if withProof {
		in.BackupProven = true
		in.BackupProof = &model.BackupProof{Token: "backup", TokenSerial: "backup-serial-1", TokenModel: "SoftHSM v2", Label: label,
			Fingerprint: f.fingerprint, Challenge: challenge[:], Signature: sig}
	}
	if created, err := f.alice.ImportCeremony(ctx, in, "alice"); err != nil || !created {
		t.Fatalf("import: %v %v", created, err)
	}
	return f
}

// onToken opens the module in this process, logs in to label, runs fn and
// closes it all (the console opens it again in its own process).
func (f *valFixture) onToken(t *testing.T, label string, fn func(*hsm.Token)) {
	t.Helper()
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.Token(label)
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	if err := tok.LoginString(valPIN); err != nil {
		t.Fatal(err)
	}
	fn(tok)
}

func (f *valFixture) validate(t *testing.T, args ...string) result {
	t.Helper()
	return console(t, f.env, append(append([]string{"validate"}, args...),
		"--pin-file", f.pinFile, "--dsn", pgtest.DSNAs(t, f.name, "alice"), "--operator", "alice", "--data-dir", t.TempDir())...)
}

// written counts what a validation writes: runs, results, its audit rows
// and the wallet's status.
func (f *valFixture) written(t *testing.T) string {
	t.Helper()
	var runs, results, rows int
	var status string
	if err := f.admin.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM validation_runs),
		(SELECT count(*) FROM validation_results), (SELECT count(*) FROM wallet_operations_log),
		(SELECT status FROM wallet_versions WHERE version_id = $1)`, valVersion).Scan(&runs, &results, &rows, &status); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%d runs, %d results, %d log rows, v%d %s", runs, results, rows, valVersion, status)
}

// The suite through the built binary: all seven pass on SoftHSM with the
// default settings, well under 30 s; the run, its seven results, its
// baseline and the audit row are recorded and v2 is validated; `show`
// prints the baseline; wallet_transition no longer validates; a second run
// is refused.
func TestValidatePasses(t *testing.T) {
	ctx := context.Background()
	f := newValFixture(t, true)
	if _, err := f.alice.Transition(ctx, valVersion, model.StatusValidated, "", "alice"); err == nil ||
		!strings.Contains(err.Error(), "use console validate v2") {
		t.Errorf("validating through wallet_transition: %v", err)
	}
	start := time.Now()
	res := f.validate(t, "v2", "--token", "ops")
	took := time.Since(start)
	if res.code != 0 {
		t.Fatalf("validate: %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	t.Logf("validate took %s:\n%s", took.Round(time.Millisecond), res.stdout)
	if took > 30*time.Second {
		t.Errorf("validate took %s, more than 30 s", took)
	}
	for _, want := range []string{"1/7 HSM connectivity", "7/7 Backup and recovery", "3 allocations sampled, 0 prefix mismatches", "v2 validated: all 7 tests passed",
		"signatures/s on 4 sessions", "allocation p50", "(wallet_validation)"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("validate said %q; want %q", res.stdout, want)
		}
	}
	if strings.Contains(res.stdout+res.stderr, valPIN) {
		t.Error("the PIN appears in the output")
	}
	if got := f.written(t); !strings.HasPrefix(got, "1 runs, 7 results") || !strings.HasSuffix(got, "v2 validated") {
		t.Errorf("after validate: %s", got)
	}
	var by, baseline string
	var logged int
	if err := f.admin.Pool().QueryRow(ctx, `SELECT r.validated_by, r.baseline::text,
		(SELECT count(*) FROM wallet_operations_log l WHERE l.operation_type = 'wallet_validation' AND l.wallet_version = r.wallet_version
		   AND l.db_user = 'alice' AND l.operation_details->>'run_id' = r.run_id::text)
		FROM validation_runs r WHERE r.wallet_version = $1 AND r.passed`, valVersion).Scan(&by, &baseline, &logged); err != nil {
		t.Fatal(err)
	}
	var b ops.ValidationBaseline
	if err := json.Unmarshal([]byte(baseline), &b); err != nil || by != "alice" || logged != 1 || b.SignaturesPerSecond <= 0 ||
		b.AllocationSamples != 50 || b.AllocationWallet != "v1" {
		t.Errorf("the stored run: by %s, %d audit rows, baseline %s (%v)", by, logged, baseline, err)
	}
	t.Logf("stored baseline: %s", baseline)
	if r := console(t, nil, "show", "v2", "--dsn", pgtest.DSNAs(t, f.name, "viewer")); r.code != 0 ||
		!strings.Contains(r.stdout, "validated ") || !strings.Contains(r.stdout, "by alice") || !strings.Contains(r.stdout, "signatures/s") {
		t.Errorf("show v2: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", pgtest.DSNAs(t, f.name, "viewer")); r.code != 0 {
		t.Errorf("audit verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	again := f.validate(t, "v2", "--token", "ops")
	if again.code != exitValidation || !strings.Contains(again.stderr, "v2 is validated; only a created wallet is validated") {
		t.Errorf("validate again: %d %q", again.code, again.stderr)
	}
	if r := f.validate(t, "--token", "ops"); r.code != exitValidation {
		t.Errorf("validate without a version: %d %q", r.code, r.stderr)
	}
}

// Issue 11, point 4: validating against a token without the key is
// refused with which test, why and what to do, exit 1, and nothing is
// written; the --json report is snake_case all the way down.
func TestValidateRefusedWithoutKey(t *testing.T) {
	f := newValFixture(t, true)
	before := f.written(t)
	res := f.validate(t, "v2", "--token", "spare")
	if res.code != exitTestFailed {
		t.Fatalf("validate on spare: %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	for _, want := range []string{"HSM connectivity (critical) FAILED", "plings_master_key_v2 is not on token spare (no private key carries that label)",
		"what to do: use the token that holds v2's key"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("validate said %q; want %q", res.stdout, want)
		}
	}
	if !strings.Contains(res.stderr, "v2 NOT validated") || !strings.Contains(res.stderr, "nothing changed") {
		t.Errorf("stderr %q", res.stderr)
	}
	t.Logf("%s%s", res.stdout, res.stderr)
	if after := f.written(t); after != before {
		t.Errorf("a refused validation wrote: %s → %s", before, after)
	}
	js := f.validate(t, "v2", "--token", "spare", "--json")
	var v any
	if err := json.Unmarshal([]byte(js.stdout), &v); js.code != exitTestFailed || err != nil {
		t.Fatalf("validate --json: %d %v %q", js.code, err, js.stdout)
	}
	checkSnake(t, "validate", "", v)
}

// Acceptance 5: a key under the label that is not the wallet's fails the
// connectivity test (the fingerprint), through the binary.
func TestValidateWrongKeyOnToken(t *testing.T) {
	f := newValFixture(t, true)
	f.onToken(t, "spare", func(tok *hsm.Token) {
		other := sha256.Sum256([]byte("another key"))
		if _, err := tok.ImportKey("plings_master_key_v2", other[:], hsm.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	before := f.written(t)
	res := f.validate(t, "v2", "--token", "spare")
	if res.code != exitTestFailed || !strings.Contains(res.stdout, "HSM connectivity (critical) FAILED") ||
		!strings.Contains(res.stdout, "the database records "+f.fingerprint) || !strings.Contains(res.stdout, "never validate another key") {
		t.Errorf("validate with another key: %d\n%s\n%s", res.code, res.stdout, res.stderr)
	}
	if after := f.written(t); after != before {
		t.Errorf("wrote: %s → %s", before, after)
	}
}

// runSuite runs the suite in this process against token "ops".
func (f *valFixture) runSuite(t *testing.T, opt ops.ValidateOptions) ops.ValidationReport {
	t.Helper()
	var rep ops.ValidationReport
	var err error
	before := f.written(t)
	f.onToken(t, "ops", func(tok *hsm.Token) {
		s := ops.New(f.alice)
		s.Token, s.Actor = tok, "alice"
		defer s.Close()
		opt.Duration = 10 * time.Second
		rep, err = s.Validate(context.Background(), valVersion, opt)
	})
	if !errors.Is(err, ops.ErrValidationFailed) {
		t.Fatalf("validate: %v (want a failed test)", err)
	}
	if after := f.written(t); after != before {
		t.Errorf("a failed validation wrote: %s → %s", before, after)
	}
	return rep
}

// wantOnlyFailed checks that exactly the named test failed, saying want.
func wantOnlyFailed(t *testing.T, rep ops.ValidationReport, name, want string) {
	t.Helper()
	if !slices.Equal(rep.Failed, []string{name}) {
		t.Errorf("failed %v, want only %s", rep.Failed, name)
	}
	for _, tt := range rep.Tests {
		if tt.Name == name {
			if !strings.Contains(strings.Join(tt.Problems, "\n"), want) || tt.Fix == "" {
				t.Errorf("%s: problems %q, fix %q; want %q", name, tt.Problems, tt.Fix, want)
			}
			t.Logf("%s: %s; what to do: %s", name, strings.Join(tt.Problems, "; "), tt.Fix)
		}
	}
}

// flipKAT is an HSM whose Ed25519 signature is off by one bit.
type flipKAT struct{ real ops.KnownAnswerSigner }

func (k flipKAT) SignKnownAnswer(seed, msg []byte) ([]byte, []byte, error) {
	sig, pub, err := k.real.SignKnownAnswer(seed, msg)
	if len(sig) > 0 {
		sig[10] ^= 1
	}
	return sig, pub, err
}

// ed25519Soft signs in software: the right answers, for the fake to spoil.
type ed25519Soft struct{}

func (ed25519Soft) SignKnownAnswer(seed, msg []byte) ([]byte, []byte, error) {
	k := ed25519.NewKeyFromSeed(seed)
	return ed25519.Sign(k, msg), k.Public().(ed25519.PublicKey), nil
}

// Acceptance 5: a wrong known-answer signature fails the cryptographic test.
func TestValidateWrongKATSignature(t *testing.T) {
	f := newValFixture(t, true)
	rep := f.runSuite(t, ops.ValidateOptions{KAT: flipKAT{ed25519Soft{}}})
	wantOnlyFailed(t, rep, ops.TestCryptoOperations, "RFC 8032 TEST 1: the HSM signed")
}

// Acceptance 5: an altered SLIP-0010 vector fails the derivation test.
func TestValidateAlteredDerivationVector(t *testing.T) {
	f := newValFixture(t, true)
	vectors := slices.Clone(model.SLIP10Vectors)
	vectors[4].ChainCode = "00" + vectors[4].ChainCode[2:]
	rep := f.runSuite(t, ops.ValidateOptions{SLIP10Vectors: vectors})
	wantOnlyFailed(t, rep, ops.TestPathDerivation, "vector 1 m/0'/1'/2'/2': chain code")
}

// Acceptance 5: a write granted to the viewer fails the security test.
func TestValidateViewerGrant(t *testing.T) {
	f := newValFixture(t, true)
	if _, err := f.admin.Pool().Exec(context.Background(), "GRANT INSERT ON path_registry TO wallet_viewer"); err != nil {
		t.Fatal(err)
	}
	rep := f.runSuite(t, ops.ValidateOptions{})
	wantOnlyFailed(t, rep, ops.TestSecurityControls, "the viewer role can write: INSERT on table path_registry")
}

// Acceptance 5: no backup proof fails the backup test.
func TestValidateNoBackupProof(t *testing.T) {
	f := newValFixture(t, false)
	rep := f.runSuite(t, ops.ValidateOptions{})
	wantOnlyFailed(t, rep, ops.TestBackupRecovery, "v2 has no backup proof")
}

// The validation flow on the flow runner (`:validate v2`): its plan checks
// the token and the key, the run is the same suite as a background job, and
// its result names the audit row; the wallet is validated.
func TestValidateFlow(t *testing.T) {
	f := newValFixture(t, true)
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.Token("ops")
	if err != nil {
		t.Fatal(err)
	}
	if err := tok.LoginString(valPIN); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s := ops.New(f.alice)
	s.Token, s.Actor = tok, "alice"
	defer s.Close()
	app := ui.NewApp(ui.Options{Source: s, Refresh: -1, Profile: colorprofile.NoTTY, Context: ctx, Allocator: s, Validator: s, Location: time.UTC})
	d := &appDriver{t: t, m: app}
	d.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	d.drain(app.Init())
	d.colon("validate v2")
	d.press("ctrl+s")
	d.mustShow("PASS", "the key is on the token", "Backup and recovery", "enter: continue")
	d.press("enter")
	d.mustShow("go ahead? y/N")
	d.press("y")
	d.mustShow("[result]", "v2 validated: all 7 tests passed", "audit rows: #")
	if got := f.written(t); !strings.HasSuffix(got, "v2 validated") {
		t.Errorf("after the flow: %s", got)
	}
}
