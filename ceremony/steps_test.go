package ceremony

import (
	"testing"

	"github.com/plings/walletconsole/model"
)

// TestStepsDeclareTheirInputs: every step declares what running it calls,
// each action once; the PIN, the entropy and the backup PIN are secret; the
// two signing steps show a text and take one signature (file or paste) at a
// time; only the offline step has an override.
func TestStepsDeclareTheirInputs(t *testing.T) {
	seen := map[model.CeremonyAction]Step{}
	for _, s := range Steps() {
		m := s.Model()
		if m.Name != s.String() || m.Title != s.Title() || m.Describe != s.Describe() {
			t.Errorf("%s: model %+v", s, m)
		}
		if m.Action == model.ActNone {
			t.Errorf("%s declares no action", s)
		}
		if o, ok := seen[m.Action]; ok {
			t.Errorf("%s and %s both declare %s", o, s, m.Action)
		}
		seen[m.Action] = s
		for _, in := range m.Inputs {
			if in.Label == "" || in.Hint == "" {
				t.Errorf("%s: input %+v lacks a label or a hint", s, in)
			}
		}
		if (m.Signs != model.SignNothing) != (m.SignWith != "") {
			t.Errorf("%s: signs %s with %q", s, m.Signs, m.SignWith)
		}
		if m.Signs != model.SignNothing && (len(m.Inputs) != 1 || m.Inputs[0].Kind != model.InputFileOrPaste) {
			t.Errorf("%s signs %s but takes %+v", s, m.Signs, m.Inputs)
		}
		if (m.Override != nil) != (s == StepOffline) {
			t.Errorf("%s: override %+v", s, m.Override)
		}
	}
	if StepDone.Action() != model.ActNone || StepDone.Inputs() != nil {
		t.Error("StepDone declares something to run")
	}
	secret := func(s Step, label string) {
		t.Helper()
		for _, in := range s.Inputs() {
			if in.Label == label {
				if in.Kind != model.InputSecret {
					t.Errorf("%s: %s is %s, not secret", s, label, in.Kind)
				}
				return
			}
		}
		t.Errorf("%s has no input %s", s, label)
	}
	secret(StepHSM, "PIN")
	secret(StepEntropy, "entropy")
	secret(StepBackup, "backup PIN")
	if StepWitnesses.Signs() != model.SignChallenge || StepClose.Signs() != model.SignFinal {
		t.Error("the witnesses step must show the challenge and the close step the final message")
	}
}
