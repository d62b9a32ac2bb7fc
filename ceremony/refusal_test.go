package ceremony

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// Every bad request is refused with its own message, recorded, and leaves
// the ceremony at the request step; a good file then loads. No HSM needed.
func TestLoadRequestRefusals(t *testing.T) {
	e := newEnv(t, nil)
	c := e.c
	cases := []struct {
		name   string
		mutate func(*RequestFile)
		path   string // instead of a written file
		kinds  []error
		frag   []string
	}{
		{"expired approval", func(rf *RequestFile) { rf.Request.ValidUntil = time.Now().Add(-time.Hour) },
			"", []error{ErrRequestRefused, ErrApprovalExpired}, []string{"approval " + testApproval + " of request " + testRequest + " expired at", "have the request approved again"}},
		{"approval of one role expired", func(rf *RequestFile) { rf.Request.Approvals[1].ValidUntil = time.Now().Add(-time.Minute) },
			"", []error{ErrApprovalExpired}, []string{"the operations approval by ops expired"}},
		{"status pending", func(rf *RequestFile) { rf.Request.Status = "pending" },
			"", []error{ErrRequestRefused, ErrNotApproved}, []string{`status is "pending", not approved`}},
		{"status used", func(rf *RequestFile) { rf.Request.Status = "used"; rf.Request.WalletVersion = 4 },
			"", []error{ErrRequestRefused, ErrRequestUsed}, []string{"already made wallet version 4"}},
		{"no approval id", func(rf *RequestFile) { rf.Request.ApprovalID = "" },
			"", []error{ErrNotApproved}, []string{"no approval id"}},
		{"self-approval", func(rf *RequestFile) { rf.Request.Approvals[0].Approver = rf.Request.RequestedBy },
			"", []error{ErrNotApproved}, []string{"two-person rule"}},
		{"a role not approved", func(rf *RequestFile) { rf.Request.Approvals = rf.Request.Approvals[:1] },
			"", []error{ErrNotApproved}, []string{"no operations approval"}},
		{"too few witnesses", func(rf *RequestFile) { rf.Required = 5 },
			"", []error{ErrInvalidRoster}, []string{"the roster has 4 witness(es) but 5 must attest"}},
		{"default of 3 witnesses", func(rf *RequestFile) { rf.Required = 0; rf.Witnesses = rf.Witnesses[:2] },
			"", []error{ErrInvalidRoster}, []string{"2 witness(es) but 3 must attest"}},
		{"witness name not a principal", func(rf *RequestFile) { rf.Witnesses[1].Name = "bob smith" },
			"", []error{ErrInvalidRoster}, []string{`"bob smith" cannot be an allowed-signers principal`}},
		{"witness key twice", func(rf *RequestFile) { rf.Witnesses[1].PublicKey = rf.Witnesses[0].PublicKey },
			"", []error{ErrInvalidRoster}, []string{"alice and bob have the same key SHA256:"}},
		{"witness key garbage", func(rf *RequestFile) { rf.Witnesses[2].PublicKey = "ssh-ed25519 notbase64" },
			"", []error{ErrInvalidRoster}, []string{"witness carol", "not an OpenSSH public key"}},
		{"no next version", func(rf *RequestFile) { rf.NextVersion = 0 },
			"", []error{ErrRequestRefused}, []string{"next_version is 0"}},
		{"missing file", nil, filepath.Join(t.TempDir(), "nope.json"), []error{ErrRequestRefused}, []string{"does not exist; check the path on the removable media"}},
		{"not a request file", nil, writeFile(t, "x.json", `{"format":"something/else"}`), []error{ErrRequestRefused}, []string{`format "something/else"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.path
			if path == "" {
				path = writeRequest(t, tc.mutate)
			}
			_, err := c.LoadRequest(path)
			wantErr(t, err, tc.kinds, tc.frag...)
			if c.Current() != StepRequest {
				t.Fatalf("a refused request moved the ceremony to %s", c.Current())
			}
			last := e.lastEntry()
			var d refusedData
			noErr(t, decodeData(last, &d))
			if last.Event != EventRequestRefused || !strings.Contains(d.Reason, tc.frag[0]) {
				t.Errorf("refusal not recorded: %s %s", last.Event, last.Data)
			}
		})
	}

	t.Run("used on this machine", func(t *testing.T) {
		e.ledger.used[testRequest] = true
		defer delete(e.ledger.used, testRequest)
		_, err := c.LoadRequest(writeRequest(t, nil))
		wantErr(t, err, []error{ErrRequestRefused, ErrRequestUsed}, "request "+testRequest+" was already used by a ceremony on this machine")
	})

	// A good file after all that loads, and the transcript with every refusal verifies.
	must(c.LoadRequest(writeRequest(t, nil)))(t)
	path := must(c.Abort("", "test: refusals done"))(t)
	sum := must(Verify(must(os.ReadFile(path))(t)))(t)
	if sum.Outcome != OutcomeAborted || sum.AbortedStep != "offline" || sum.RequestID != testRequest {
		t.Errorf("summary %+v", sum)
	}
	if n := strings.Count(sum.String(), "request_refused"); n != len(cases)+1 {
		t.Errorf("%d refusals in the summary, want %d", n, len(cases)+1)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	noErr(t, os.WriteFile(p, []byte(content), 0o600))
	return p
}

// An online machine is refused; an override is recorded and marks the
// transcript a rehearsal, which verifies but never imports. On the way: a
// backup token without a copy is refused, a backup with its proof pending is
// recorded, and Close never overwrites a file (O_EXCL).
func TestRehearsalOverrideAndProofPending(t *testing.T) {
	h := newHSM(t)
	for _, fixture := range []string{"default_route", "interface_up"} {
		e := newEnv(t, h, withNet(fixture))
		e.driveTo(StepOffline, nil)
		_, err := e.c.CheckOffline("")
		wantErr(t, err, []error{ErrOnline}, "check again", "for a rehearsal only")
		if e.c.Current() != StepOffline || e.lastEntry().Event != EventOfflineRefused {
			t.Fatalf("%s: online machine not refused in place (%s, %s)", fixture, e.c.Current(), e.lastEntry().Event)
		}
		path := must(e.c.Abort("", "machine online"))(t)
		sum := must(Verify(must(os.ReadFile(path))(t)))(t)
		if sum.AbortedStep != "offline" || !strings.Contains(sum.String(), "offline_refused") {
			t.Errorf("%s: summary %+v", fixture, sum)
		}
	}

	e := newEnv(t, h, withNet("default_route"))
	c := e.c
	e.driveTo(StepOffline, nil)
	_, err := c.CheckOffline("")
	wantErr(t, err, []error{ErrOnline}, "default route via 10.0.0.1 on eth0")
	rep := must(c.CheckOffline("rehearsal on the training laptop"))(t)
	if rep.Offline || !c.Rehearsal() || c.Current() != StepHSM {
		t.Fatalf("override: report %+v rehearsal %v step %s", rep, c.Rehearsal(), c.Current())
	}
	e.driveTo(StepBackup, nil)

	_, err = c.Backup(h.backup) // the key was generated in the HSM: no copy on the backup token
	wantErr(t, err, []error{ErrBackupFailed, hsm.ErrKeyNotFound}, "does not hold a copy yet")
	if c.Current() != StepBackup {
		t.Fatal("a failed backup moved on")
	}
	bi := must(c.Backup(nil))(t)
	if bi.Method != BackupOutOfBand || bi.Proven || !strings.Contains(bi.Note, "proof pending") {
		t.Errorf("backup info %+v", bi)
	}
	e.signClose()

	// Something already at the transcript's path is never overwritten.
	path := filepath.Join(e.out, c.ID()+".json")
	noErr(t, os.WriteFile(path, []byte("precious"), 0o600))
	_, err = c.Close()
	wantErr(t, err, nil, "already exists and is never overwritten")
	if b := must(os.ReadFile(path))(t); string(b) != "precious" {
		t.Fatal("Close overwrote an existing file")
	}
	if err := writeNew(path, []byte("again")); err == nil {
		t.Fatal("writeNew overwrote an existing file")
	}
	noErr(t, os.Remove(path))
	got := must(c.Close())(t)
	if got != path {
		t.Errorf("path %s, want %s", got, path)
	}

	data := must(os.ReadFile(path))(t)
	sum := must(Verify(data))(t)
	if !sum.Rehearsal || sum.OverrideReason != "rehearsal on the training laptop" || sum.BackupProven || sum.Outcome != OutcomeCompleted {
		t.Errorf("summary %+v", sum)
	}
	text := sum.String()
	for _, want := range []string{"*** REHEARSAL ***", "must never create a wallet", "PROOF PENDING", "offline_override", "NOT offline: default route via 10.0.0.1 on eth0"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	_, err = sum.Import(data)
	wantErr(t, err, []error{ErrRehearsal}, "a rehearsal never creates a wallet")
	if containsAny(data, testPIN, backupPIN) {
		t.Error("the transcript contains a PIN")
	}
	// A rehearsal never leaves its key on the token, and never uses up the
	// real request on this machine.
	tok := must(h.m.Token(primaryLabel))(t)
	noErr(t, tok.LoginString(testPIN))
	if _, err := tok.FindKey("plings_master_key_v1"); !errors.Is(err, hsm.ErrKeyNotFound) {
		t.Errorf("the rehearsal's key is still on the token (%v)", err)
	}
	noErr(t, tok.Close())
	run := e.ledger.last(t)
	if run.Outcome == OutcomeCompleted || !strings.Contains(run.Reason, "rehearsal") {
		t.Errorf("the ledger recorded the rehearsal as %+v", run)
	}
	if used, _ := e.ledger.CeremonyUsed(context.Background(), run.RequestID); used {
		t.Error("a rehearsal used up the real request")
	}
}

// A token that already holds the new key's label is refused at the HSM step,
// and aborting then leaves that (foreign) key alone.
func TestOpenHSMRefusesExistingLabel(t *testing.T) {
	h := newHSM(t)
	tok := must(h.m.Token(primaryLabel))(t)
	noErr(t, tok.LoginString(testPIN))
	must(tok.GenerateKey("plings_master_key_v1", hsm.KeyOptions{}))(t)
	noErr(t, tok.Close())

	e := newEnv(t, h)
	e.driveTo(StepHSM, nil)
	_, err := e.c.OpenHSM([]byte(testPIN))
	wantErr(t, err, []error{ErrHSMRefused, hsm.ErrLabelExists}, `token "primary" already holds a private key labelled plings_master_key_v1`)
	if e.c.Current() != StepHSM {
		t.Fatal("moved on")
	}
	path := must(e.c.Abort("", "label taken"))(t)
	sum := must(Verify(must(os.ReadFile(path))(t)))(t)
	if sum.AbortedStep != "hsm" || !strings.Contains(sum.AbortNote, "no key had been made") {
		t.Errorf("summary %+v", sum)
	}
	if out := h.listObjects(t, primaryLabel, testPIN); !strings.Contains(out, "plings_master_key_v1") {
		t.Error("abort destroyed a key the ceremony did not make")
	}
}

// Roster models round-trip (used by the importer to compare rosters).
func TestRosterModels(t *testing.T) {
	r := must(NewRoster(testRequest, roster(t)))(t)
	ms := r.Models()
	if len(ms) != 4 || ms[0].Name != "alice" || strings.Contains(ms[0].PublicKey, "@witness") {
		t.Errorf("models %+v", ms)
	}
	if _, err := NewRoster(testRequest, []model.Witness{{Name: "x", PublicKey: `from="10.0.0.1" ` + pubKey(t, "alice")}}); err == nil {
		t.Error("a key with options was accepted")
	}
}
