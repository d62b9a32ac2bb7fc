package ceremony

import (
	"os"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
)

// Aborting at every step leaves no master key on either token (checked with
// pkcs11-tool, a tool we did not write) and a transcript that verifies and
// says where and why the ceremony stopped.
func TestAbortAtEachStep(t *testing.T) {
	h := newHSM(t)
	seed := []byte("0123456789abcdef0123456789abcdef")
	cases := []struct {
		name      string
		at        Step
		partial   bool // one witness attested / the final message fixed and signed
		copyToBak bool // the key maker also puts the key on the backup token
		keyMade   bool
	}{
		{name: "request", at: StepRequest},
		{name: "offline", at: StepOffline},
		{name: "hsm", at: StepHSM},
		{name: "witnesses", at: StepWitnesses, partial: true},
		{name: "entropy", at: StepEntropy},
		{name: "key", at: StepKey},
		{name: "backup", at: StepBackup, keyMade: true},
		{name: "close", at: StepClose, copyToBak: true, keyMade: true},
		{name: "close after signing", at: StepClose, partial: true, copyToBak: true, keyMade: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var opts []envOpt
			var bak *hsm.Token
			if tc.copyToBak {
				opts = append(opts, importSeed(h.backup, seed))
				bak = h.backup
			}
			e := newEnv(t, h, opts...)
			e.driveTo(tc.at, bak)
			switch {
			case tc.partial && tc.at == StepWitnesses:
				p := must(e.c.AddWitness(sshSign(t, "bob", e.c.Challenge())))(t)
				if p.Done != 1 {
					t.Fatalf("progress %+v", p)
				}
			case tc.partial && tc.at == StepClose:
				e.signClose()
			}
			if tc.copyToBak {
				if out := h.listObjects(t, backupLabel, backupPIN); !strings.Contains(out, "plings_master_key_v1") {
					t.Fatalf("setup: the backup token holds no copy:\n%s", out)
				}
			}
			reason := "test: stopped at " + tc.name
			path, err := e.c.Abort("", reason)
			if err != nil {
				t.Fatal(err)
			}
			h.noMasterKey(t)

			data := must(os.ReadFile(path))(t)
			if containsAny(data, testPIN, backupPIN) {
				t.Error("the transcript contains a PIN")
			}
			sum := must(Verify(data))(t)
			if sum.Outcome != OutcomeAborted || sum.AbortedStep != tc.at.String() || sum.AbortReason != reason || sum.Completed() {
				t.Errorf("summary: outcome %s step %s reason %q", sum.Outcome, sum.AbortedStep, sum.AbortReason)
			}
			text := sum.String()
			if !strings.Contains(text, "ABORTED at step "+tc.at.String()+" because "+reason) {
				t.Errorf("summary text does not say where and why:\n%s", text)
			}
			if tc.keyMade && !strings.Contains(sum.AbortNote, "destroyed plings_master_key_v1 on token \"primary\" (checked gone)") {
				t.Errorf("abort note %q", sum.AbortNote)
			}
			if tc.copyToBak && !strings.Contains(sum.AbortNote, "copy of plings_master_key_v1 on backup token \"backup\" (checked gone)") {
				t.Errorf("abort note %q", sum.AbortNote)
			}
			if tc.at == StepRequest {
				// Stopped before a request was loaded: nothing for the
				// ledger to guard (the real one refuses a run without one).
				if n := len(e.ledger.runs); n != 0 {
					t.Errorf("the ledger recorded %d runs of a ceremony that loaded no request", n)
				}
			} else {
				run := e.ledger.last(t)
				if run.Outcome != OutcomeAborted || run.Step != tc.at.String() || run.Reason != reason || run.TranscriptPath != path {
					t.Errorf("ledger run %+v", run)
				}
			}
			_, err = sum.Import(data)
			wantErr(t, err, []error{ErrAborted}, "aborted at step "+tc.at.String())
			_, err = e.c.Abort("", "again")
			wantErr(t, err, []error{ErrFinished}, "already aborted")
			_, err = e.c.LoadRequest("x")
			wantErr(t, err, []error{ErrFinished})
		})
	}
}

// A lost HSM: the key cannot be destroyed, and the abort says so, with the
// command to do it by hand, in the transcript and in the error.
func TestAbortAfterLostHSM(t *testing.T) {
	h := newHSM(t)
	e := newEnv(t, h)
	e.driveTo(StepBackup, nil)
	noErr(t, h.m.Close()) // the module goes away under the ceremony

	path, err := e.c.Abort("", "HSM lost")
	wantErr(t, err, []error{ErrKeyNotDestroyed}, "could not be destroyed", "pkcs11-tool --module "+hsm.SoftHSMModule+" --token-label primary --login --delete-object --type privkey --label plings_master_key_v1")
	if path == "" {
		t.Fatal("no transcript written")
	}
	sum := must(Verify(must(os.ReadFile(path))(t)))(t)
	if sum.AbortedStep != "backup" || !strings.Contains(sum.AbortNote, "NOT DESTROYED") || !strings.Contains(sum.AbortNote, "pkcs11-tool") {
		t.Errorf("summary %+v", sum)
	}
	// Honest: the key is still there, as the transcript says.
	if out := h.listObjects(t, primaryLabel, testPIN); !strings.Contains(out, "plings_master_key_v1") {
		t.Errorf("expected the key to remain after a lost HSM:\n%s", out)
	}
}
