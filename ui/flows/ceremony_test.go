package flows

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

// wizardRun drives a ceremony wizard without the App: every command it
// returns runs at once and its message goes back in.
type wizardRun struct {
	t *testing.T
	w Wizard
}

func newWizardRun(t *testing.T, cer common.Ceremony) *wizardRun {
	c := &common.Common{Width: 100, Height: 40, Styles: common.NewStyles(colorprofile.NoTTY), Keys: common.DefaultKeyMap(),
		Now: time.Now, Loc: time.UTC, Load: common.NewLoader(context.Background(), nil, nil, time.Second, 0, 0)}
	r := &wizardRun{t: t, w: NewCeremony(c, func(context.Context) (common.Ceremony, error) { return cer, nil })}
	r.do(r.w.Refresh())
	return r
}

func (r *wizardRun) do(cmd tea.Cmd) {
	for cmd != nil {
		cmd = r.w.Update(cmd())
	}
}

func (r *wizardRun) press(keys ...string) {
	for _, k := range keys {
		r.do(r.w.Update(uitest.KeyMsg(k)))
	}
}

func (r *wizardRun) typeText(s string) {
	for _, c := range s {
		r.do(r.w.Update(uitest.KeyMsg(string(c))))
	}
}

func (r *wizardRun) mustShow(want ...string) {
	r.t.Helper()
	v := r.w.View(100, 40)
	for _, s := range want {
		if !strings.Contains(v, s) {
			r.t.Fatalf("screen lacks %q:\n%s", s, v)
		}
	}
}

func (r *wizardRun) mustNotShow(no ...string) {
	r.t.Helper()
	v := r.w.View(100, 40)
	for _, s := range no {
		if strings.Contains(v, s) {
			r.t.Fatalf("screen shows %q:\n%s", s, v)
		}
	}
}

// declared renames every step and relabels every input: the wizard must
// follow the declarations, knowing no step by its name.
type declared struct{ *uitest.Ceremony }

func (d declared) Steps() []common.CeremonyStep {
	var out []common.CeremonyStep
	for i, st := range d.Ceremony.Steps() {
		st.Name = "s" + common.Itoa(i+1)
		st.Title = "Declared step " + common.Itoa(i+1)
		var in []model.CeremonyInput
		for _, x := range st.Inputs {
			x.Label, x.Hint = "my "+x.Label, "declared: "+x.Hint
			in = append(in, x)
		}
		st.Inputs = in
		if st.Override != nil {
			o := *st.Override
			o.Label = "my override"
			st.Override = &o
		}
		if st.SignWith != "" {
			st.SignWith = "signtool FILE"
		}
		out = append(out, st)
	}
	return out
}

// TestCeremonyFollowsDeclaredSteps: the form of each step is built from the
// step's inputs and running it calls its action, whatever the step is named.
func TestCeremonyFollowsDeclaredSteps(t *testing.T) {
	cer := &uitest.Ceremony{}
	r := newWizardRun(t, declared{cer})
	r.mustShow("step 1 of 8", "▶s1", "Declared step 1", "my request file", "declared: the file")
	r.typeText("/media/usb/r.json")
	r.press("enter")
	r.mustShow("step 2 of 8", "o: rehearsal override (recorded)")
	r.press("o")
	r.mustShow("my override")
	r.typeText("rehearsal on the lab laptop")
	r.press("enter")
	r.mustShow("step 3 of 8", "my PIN")
	r.typeText("87654321")
	r.press("enter")
	r.mustShow("step 4 of 8", "wallet-ceremony challenge", "sign it with: signtool FILE", "my signature")
	r.mustNotShow("87654321")
	for _, s := range []string{"/media/usb/w1.sig", "/media/usb/w2.sig", "/media/usb/w3.sig"} {
		r.typeText(s)
		r.press("enter")
	}
	r.mustShow("step 5 of 8", "my entropy")
	r.typeText("3141592653589793238462")
	r.press("enter")
	r.mustShow("step 6 of 8", "enter: run this step")
	r.press("enter")
	r.mustShow("step 7 of 8", "my backup token", "my backup PIN")
	r.typeText("spare")
	r.press("tab")
	r.typeText("1111")
	r.press("enter")
	r.mustShow("step 8 of 8", "final: 00ff", "my signature")
	for _, s := range []string{"/media/usb/f1.sig", "/media/usb/f2.sig", "/media/usb/f3.sig"} {
		r.typeText(s)
		r.press("enter")
	}
	r.mustShow("ceremony complete", "transcript written to /media/usb/WKC-20260314-093000-abc123.json")
	want := []string{"request /media/usb/r.json", "offline rehearsal on the lab laptop", "hsm",
		"witness /media/usb/w1.sig", "witness /media/usb/w2.sig", "witness /media/usb/w3.sig", "entropy", "key", "backup spare",
		"closing /media/usb/f1.sig", "closing /media/usb/f2.sig", "closing /media/usb/f3.sig", "close"}
	if got := strings.Join(cer.Calls, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	if len(cer.Secrets) != 2 || cer.Secrets[0] != "87654321" || cer.Secrets[1] != "3141592653589793238462" {
		t.Errorf("secrets passed %q", cer.Secrets)
	}
}

// shortEntropy refuses entropy shorter than 16 characters.
type shortEntropy struct{ *uitest.Ceremony }

func (s shortEntropy) MixEntropy(e []byte) (string, error) {
	if len(e) < 16 {
		s.Ceremony.Mu.Lock()
		s.Ceremony.Secrets = append(s.Ceremony.Secrets, string(e))
		s.Ceremony.Mu.Unlock()
		return "", errors.New("operator entropy too short: type at least 16 characters")
	}
	return s.Ceremony.MixEntropy(e)
}

// TestCeremonyRefusedEntropyKeepsNoSignature: a refused signature comes back
// into its field, but only in its own step: entropy refused after the
// witnesses step leaves the entropy field empty (it used to be refilled with
// the last witness's signature path, which enter then sent as entropy).
func TestCeremonyRefusedEntropyKeepsNoSignature(t *testing.T) {
	cer := &uitest.Ceremony{}
	r := newWizardRun(t, shortEntropy{cer})
	r.typeText("/media/usb/r.json")
	r.press("enter", "enter")
	r.typeText("87654321")
	r.press("enter")
	for _, s := range []string{"/media/usb/w1.sig", "/media/usb/w2.sig", "/media/usb/w3.sig"} {
		r.typeText(s)
		r.press("enter")
	}
	r.mustShow("step 5 of 8")
	r.typeText("1234")
	r.press("enter")
	r.mustShow("step 5 of 8", "entropy too short")
	r.mustNotShow("typed)") // the field is empty again
	r.press("enter")        // an empty required field is not sent
	for _, s := range cer.Secrets {
		if strings.HasSuffix(s, ".sig") {
			t.Fatalf("a signature path was sent as entropy: %q", cer.Secrets)
		}
	}
	r.typeText("3141592653589793238462")
	r.press("enter")
	r.mustShow("step 6 of 8")
	if len(cer.Secrets) != 3 || cer.Secrets[1] != "1234" || cer.Secrets[2] != "3141592653589793238462" {
		t.Errorf("secrets passed %q", cer.Secrets)
	}
}

// TestCeremonyRefusedSignatureComesBack: a refused witness signature comes
// back into its field to be corrected.
func TestCeremonyRefusedSignatureComesBack(t *testing.T) {
	cer := &uitest.Ceremony{}
	r := newWizardRun(t, cer)
	r.typeText("/media/usb/r.json")
	r.press("enter", "enter")
	r.typeText("87654321")
	r.press("enter")
	r.typeText("/media/usb/bad.sig")
	r.press("enter")
	r.mustShow("not on the roster", "> signature  /media/usb/bad.sig")
}
