package ceremony

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

const (
	testSOPIN    = "so-secret-9"
	testPIN      = "ceremony-pin-4711"
	backupPIN    = "backup-pin-0815"
	primaryLabel = "primary"
	backupLabel  = "backup"
	testRequest  = "WCR-2026-11-20-001"
	testApproval = "WAP-20261120093000"
)

// witnessDir holds ssh-keygen keys made once for the package's tests:
// alice, bob, carol and dave are on the roster, mallory is not.
var (
	witnessDir  string
	rosterNames = []string{"alice", "bob", "carol", "dave"}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ceremony-witnesses-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	witnessDir = dir
	// The offline fixtures stand for the machine's own /proc and /sys,
	// except in TestFixtureRootIsARehearsal.
	netRootIsMachine = true
	for _, n := range append(rosterNames, "mallory") {
		out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", n+"@witness", "-f", filepath.Join(dir, n)).CombinedOutput()
		if err != nil {
			fmt.Fprintf(os.Stderr, "ssh-keygen: %v: %s\n", err, out)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// pubKey is a witness's authorized_keys line.
func pubKey(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(witnessDir, name+".pub"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// roster is the test roster (alice, bob, carol, dave).
func roster(t testing.TB) []model.Witness {
	var ws []model.Witness
	for _, n := range rosterNames {
		ws = append(ws, model.Witness{Name: n, PublicKey: pubKey(t, n)})
	}
	return ws
}

// sshSign signs msg as witness name with the real ssh-keygen -Y sign.
func sshSign(t testing.TB, name string, msg []byte, extra ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "msg.txt")
	if err := os.WriteFile(f, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-Y", "sign", "-f", filepath.Join(witnessDir, name), "-n", Namespace}, extra...)
	if out, err := exec.Command("ssh-keygen", append(args, f)...).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v: %s", err, out)
	}
	sig, err := os.ReadFile(f + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// sshSignNS signs in another namespace.
func sshSignNS(t testing.TB, name, ns string, msg []byte) []byte {
	t.Helper()
	dir := t.TempDir()
	f := filepath.Join(dir, "msg.txt")
	if err := os.WriteFile(f, msg, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", filepath.Join(witnessDir, name), "-n", ns, f).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen -Y sign: %v: %s", err, out)
	}
	sig, err := os.ReadFile(f + ".sig")
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// fakeLedger is an in-memory Ledger.
type fakeLedger struct {
	mu   sync.Mutex
	used map[string]bool
	runs []model.CeremonyRun
	err  error
}

func newLedger() *fakeLedger { return &fakeLedger{used: map[string]bool{}} }

func (l *fakeLedger) CeremonyUsed(_ context.Context, id string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.used[id], l.err
}

func (l *fakeLedger) RecordCeremony(_ context.Context, r model.CeremonyRun) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.RequestID == "" {
		return errors.New("record ceremony: no request id") // as store.RecordCeremony
	}
	l.runs = append(l.runs, r)
	if r.Outcome == OutcomeCompleted {
		l.used[r.RequestID] = true
	}
	return nil
}

func (l *fakeLedger) last(t testing.TB) model.CeremonyRun {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.runs) == 0 {
		t.Fatal("the ledger recorded no ceremony")
	}
	return l.runs[len(l.runs)-1]
}

// requestFile is an approved export for version 1, valid for a week.
func requestFile(t testing.TB) *RequestFile {
	now := time.Now().UTC()
	return &RequestFile{
		ExportedAt: now, ExportedBy: "exporter",
		Request: model.CreationRequest{
			NewRequest: model.NewRequest{
				RequesterEmail: "req@plings.io", Environment: model.EnvironmentTesting, Purpose: "ceremony test",
				SecurityLevel: "high", RiskLevel: "low",
			},
			ID: testRequest, RequestedBy: "requester", RequestDate: now.Add(-time.Hour),
			RequiredApprovals: []string{model.RoleSecurity, model.RoleOperations},
			Status:            "approved", ApprovalID: testApproval, ApprovedAt: now.Add(-time.Minute),
			ValidUntil: now.Add(7 * 24 * time.Hour),
			Approvals: []model.Approval{
				{Role: model.RoleSecurity, Approver: "sec", Decision: "approved", DecidedAt: now.Add(-30 * time.Minute), ValidUntil: now.Add(7 * 24 * time.Hour)},
				{Role: model.RoleOperations, Approver: "ops", Decision: "approved", DecidedAt: now.Add(-time.Minute), ValidUntil: now.Add(7 * 24 * time.Hour)},
			},
		},
		Witnesses:   roster(t),
		Required:    3,
		NextVersion: 1,
		AuditHead:   strings.Repeat("ab", 32),
	}
}

// writeRequest writes a request file, changed by mutate, and returns its path.
func writeRequest(t testing.TB, mutate func(*RequestFile)) string {
	t.Helper()
	rf := requestFile(t)
	if mutate != nil {
		mutate(rf)
	}
	path := filepath.Join(t.TempDir(), "request.json")
	if err := WriteRequestFile(path, rf); err != nil {
		t.Fatal(err)
	}
	return path
}

// testHSM is a SoftHSM store of the test's own with a primary and a backup
// token, the module open and the backup token logged in.
type testHSM struct {
	dir, conf string
	m         *hsm.Module
	backup    *hsm.Token
}

func newHSM(t testing.TB) *testHSM {
	t.Helper()
	dir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(dir, primaryLabel, testSOPIN, testPIN)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hsm.NewSoftHSMToken(dir, backupLabel, testSOPIN, backupPIN); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	h := &testHSM{dir: dir, conf: conf, m: m}
	t.Cleanup(func() { _ = m.Close() })
	h.backup, err = m.Token(backupLabel)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.backup.LoginString(backupPIN); err != nil {
		t.Fatal(err)
	}
	return h
}

// listObjects runs pkcs11-tool --list-objects on a token, as an operator would.
func (h *testHSM) listObjects(t testing.TB, token, pin string) string {
	t.Helper()
	cmd := exec.Command("pkcs11-tool", "--module", hsm.SoftHSMModule, "--token-label", token, "--login", "--pin", pin, "--list-objects")
	cmd.Env = append(os.Environ(), "SOFTHSM2_CONF="+h.conf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool --list-objects: %v: %s", err, out)
	}
	return string(out)
}

// noMasterKey checks with pkcs11-tool that neither token holds a master key.
func (h *testHSM) noMasterKey(t testing.TB) {
	t.Helper()
	for _, tok := range []struct{ label, pin string }{{primaryLabel, testPIN}, {backupLabel, backupPIN}} {
		if out := h.listObjects(t, tok.label, tok.pin); strings.Contains(out, "plings_master_key") {
			t.Errorf("token %s still holds a master key:\n%s", tok.label, out)
		}
	}
}

// env is one ceremony under test.
type env struct {
	t      testing.TB
	h      *testHSM
	c      *Ceremony
	ledger *fakeLedger
	out    string
}

type envOpt func(*Config)

func withNet(fixture string) envOpt {
	return func(c *Config) { c.NetRoot = filepath.Join("testdata", "net", fixture) }
}

// importSeed is a KeyMaker that imports one known seed into the main token
// and into the backup token, standing in for a vendor's out-of-band backup.
func importSeed(backup *hsm.Token, seed []byte) envOpt {
	return func(c *Config) {
		c.KeyMaker = func(tok *hsm.Token, label string) (*hsm.Key, error) {
			k, err := tok.ImportKey(label, seed, hsm.ImportOptions{})
			if err != nil {
				return nil, err
			}
			if _, err := backup.ImportKey(label, seed, hsm.ImportOptions{}); err != nil {
				return nil, err
			}
			return k, nil
		}
	}
}

func newEnv(t testing.TB, h *testHSM, opts ...envOpt) *env {
	t.Helper()
	e := &env{t: t, h: h, ledger: newLedger(), out: t.TempDir()}
	cfg := Config{
		TokenLabel: primaryLabel, Operator: "olivia", TranscriptDir: e.out,
		NetRoot: filepath.Join("testdata", "net", "offline"), Ledger: e.ledger,
	}
	if h != nil {
		cfg.Module = h.m
	}
	for _, o := range opts {
		o(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.c = c
	return e
}

// must(f())(t) is f's value, failing the test if f returned an error.
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// noErr fails the test on err.
func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// driveTo runs the ceremony's steps, in order, until it stands at step (for
// StepClose: with the final message fixed and all closing signatures in
// when closeSigned). backup is passed to the backup step.
func (e *env) driveTo(step Step, backup *hsm.Token) {
	t := e.t
	t.Helper()
	c := e.c
	for c.Current() < step {
		switch c.Current() {
		case StepRequest:
			must(c.LoadRequest(writeRequest(t, nil)))(t)
		case StepOffline:
			must(c.CheckOffline(""))(t)
		case StepHSM:
			must(c.OpenHSM([]byte(testPIN)))(t)
		case StepWitnesses:
			ch := c.Challenge()
			for _, n := range rosterNames[:c.Need()] {
				must(c.AddWitness(sshSign(t, n, ch)))(t)
			}
		case StepEntropy:
			must(c.MixEntropy([]byte("3 1 4 1 5 9 2 6 5 3 5 8 9 7 9 3 2 3 8 4 6 2 6 4 3")))(t)
		case StepKey:
			must(c.GenerateKey())(t)
		case StepBackup:
			must(c.Backup(backup))(t)
		default:
			t.Fatalf("cannot drive from %s", c.Current())
		}
	}
}

// signClose fixes the final message and has every attested witness sign it.
func (e *env) signClose() []byte {
	t := e.t
	t.Helper()
	msg := must(e.c.FinalMessage())(t)
	for _, n := range e.c.Attested() {
		must(e.c.AddClosingSignature(sshSign(t, n, msg)))(t)
	}
	return msg
}

// wantErr checks errors.Is for every kind, and that the message holds every fragment.
func wantErr(t testing.TB, err error, kinds []error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %v", kinds)
	}
	for _, k := range kinds {
		if !errors.Is(err, k) {
			t.Errorf("error %q is not %v", err, k)
		}
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q lacks %q", err, f)
		}
	}
}

// lastEntry is the ceremony's last transcript entry.
func (e *env) lastEntry() Entry {
	es := e.c.Entries()
	return es[len(es)-1]
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

func itoa(n int) string { return strconv.Itoa(n) }

func containsAny(b []byte, subs ...string) bool {
	for _, s := range subs {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
