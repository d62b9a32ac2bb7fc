package ceremony

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
)

func withState(dir string) envOpt { return func(c *Config) { c.StateDir = dir } }

// Issue 10, point 14: the marker exists before the key is made and follows
// the transcript; a run that dies without aborting leaves it, and Recover
// destroys the leftover key (with the key label typed), writes the aborted
// transcript that continues the same chain, tells the ledger and removes
// the marker.
func TestUnfinishedCeremonyRecovered(t *testing.T) {
	h := newHSM(t)
	state := t.TempDir()
	var markerAtKeygen bool
	e := newEnv(t, h, withState(state), func(c *Config) {
		c.KeyMaker = func(tok *hsm.Token, label string) (*hsm.Key, error) {
			ms, _ := filepath.Glob(filepath.Join(state, "WKC-*"+UnfinishedSuffix))
			markerAtKeygen = len(ms) == 1
			return tok.GenerateKey(label, hsm.KeyOptions{})
		}
	})
	e.driveTo(StepKey, nil)
	if ms, _ := filepath.Glob(filepath.Join(state, "*")); len(ms) != 0 {
		t.Fatalf("a marker before the key step: %v", ms)
	}
	e.driveTo(StepBackup, nil)
	if !markerAtKeygen {
		t.Fatal("the marker was not on disk when the key was made")
	}
	marker := filepath.Join(state, e.c.ID()+UnfinishedSuffix)
	var m unfinishedFile
	if b, err := os.ReadFile(marker); err != nil || json.Unmarshal(b, &m) != nil {
		t.Fatalf("marker: %v", err)
	}
	if m.CeremonyID != e.c.ID() || m.RequestID != testRequest || m.TokenLabel != primaryLabel || m.KeyLabel != "plings_master_key_v1" ||
		m.Entries[len(m.Entries)-1].Event != EventKeyGenerated || m.TokenSerial == "" {
		t.Errorf("marker %+v", m)
	}
	// The run dies: no abort, the key stays on the token.
	e.c.closeTokens()
	if !strings.Contains(h.listObjects(t, primaryLabel, testPIN), "plings_master_key_v1") {
		t.Fatal("no key on the token to recover")
	}

	us, err := FindUnfinished(state)
	if err != nil || len(us) != 1 {
		t.Fatalf("FindUnfinished: %v %v", us, err)
	}
	u := us[0]
	for _, want := range []string{e.c.ID(), "plings_master_key_v1", `token "primary"`, "killed at step backup", testRequest, "after it made key"} {
		if !strings.Contains(u.String(), want) {
			t.Errorf("%q lacks %q", u.String(), want)
		}
	}
	out := t.TempDir()
	cfg := RecoverConfig{Module: h.m, PIN: []byte(testPIN), Confirm: "yes", Ledger: e.ledger, TranscriptDir: out, Operator: "oscar"}
	if _, err := u.Recover(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "type the key label plings_master_key_v1 to confirm") {
		t.Fatalf("recover without the label typed: %v", err)
	}
	if !strings.Contains(h.listObjects(t, primaryLabel, testPIN), "plings_master_key_v1") {
		t.Fatal("the key went without confirmation")
	}
	cfg.Confirm = "plings_master_key_v1"
	res, err := u.Recover(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if out := h.listObjects(t, primaryLabel, testPIN); strings.Contains(out, "plings_master_key") {
		t.Errorf("the key outlived the recovery:\n%s", out)
	}
	if res.TranscriptPath != filepath.Join(out, e.c.ID()+".json") || !strings.Contains(res.Note, "destroyed plings_master_key_v1") {
		t.Errorf("result %+v", res)
	}
	data := must(os.ReadFile(res.TranscriptPath))(t)
	sum := must(Verify(data))(t)
	if sum.Outcome != OutcomeAborted || sum.AbortedStep != "backup" ||
		sum.AbortReason != "interrupted: the previous run was killed at step backup; leftover key destroyed on the next run" ||
		sum.CeremonyID != e.c.ID() || sum.KeyLabel != "plings_master_key_v1" || sum.Fingerprint == "" {
		t.Errorf("summary %+v", sum)
	}
	run := e.ledger.last(t)
	if run.Outcome != OutcomeAborted || run.CeremonyID != e.c.ID() || run.RequestID != testRequest || run.TranscriptPath != res.TranscriptPath {
		t.Errorf("ledger %+v", run)
	}
	if _, err := os.Stat(marker); !os.IsNotExist(err) {
		t.Errorf("the marker is still there: %v", err)
	}
	if us, err := FindUnfinished(state); err != nil || len(us) != 0 {
		t.Errorf("after recovery: %v %v", us, err)
	}
}

// A ceremony that ends (aborted or completed) leaves no marker.
func TestUnfinishedMarkerRemoved(t *testing.T) {
	h := newHSM(t)
	state := t.TempDir()
	e := newEnv(t, h, withState(state))
	e.driveTo(StepBackup, nil)
	if ms, _ := filepath.Glob(filepath.Join(state, "*")); len(ms) != 1 {
		t.Fatalf("markers under way: %v", ms)
	}
	must(e.c.Abort("", "test"))(t)
	if ms, _ := filepath.Glob(filepath.Join(state, "*")); len(ms) != 0 {
		t.Fatalf("markers after the abort: %v", ms)
	}

	seed := []byte("0123456789abcdef0123456789abcdef")
	e = newEnv(t, h, withState(state), importSeed(h.backup, seed))
	e.driveTo(StepClose, h.backup)
	e.signClose()
	must(e.c.Close())(t)
	if ms, _ := filepath.Glob(filepath.Join(state, "*")); len(ms) != 0 {
		t.Fatalf("markers after the close: %v", ms)
	}
}

// A marker that cannot be read is said, never skipped.
func TestUnfinishedMarkerBroken(t *testing.T) {
	state := t.TempDir()
	p := filepath.Join(state, "WKC-20261121-000000-abcdef"+UnfinishedSuffix)
	if err := os.WriteFile(p, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := FindUnfinished(state)
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "pkcs11-tool --list-objects") {
		t.Errorf("a broken marker: %v", err)
	}
}
