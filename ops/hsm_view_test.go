package ops

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
)

// TestHSMViewSignTiming: the Health screen's signature timing signs in a
// real (SoftHSM) token with the Service's one timer key, reuses it from one
// refresh to the next (the inventory's measurement too), and Close leaves
// nothing on the token.
func TestHSMViewSignTiming(t *testing.T) {
	dir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(dir, "ops", "87654321", "123456")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	m, err := hsm.Open(hsm.SoftHSMModule)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := m.Token("ops")
	if err != nil {
		t.Fatal(err)
	}
	defer tok.Close()
	if err := tok.LoginString("123456"); err != nil {
		t.Fatal(err)
	}
	timerKeys := func() []string {
		t.Helper()
		ks, err := tok.Keys()
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, k := range ks {
			if strings.HasPrefix(k.Label, "console-health-") {
				if k.OnToken {
					t.Errorf("the timer key is a token object: %+v", k)
				}
				out = append(out, k.Label)
			}
		}
		return out
	}
	s := &Service{Token: tok, Module: hsm.SoftHSMModule}
	if (&Service{}).HSM() != nil {
		t.Errorf("a Service without a token has an HSM view")
	}
	v := s.HSM()
	if mod, label, in := v.Describe(); mod != hsm.SoftHSMModule || label != "ops" || !in {
		t.Errorf("Describe = %q %q %v", mod, label, in)
	}
	ctx := context.Background()
	if _, err := v.SignTiming(ctx); err != nil {
		t.Fatal(err)
	}
	first := timerKeys()
	if _, err := v.SignTiming(ctx); err != nil {
		t.Fatal(err)
	}
	if len(first) == 0 || strings.Join(timerKeys(), ",") != strings.Join(first, ",") {
		t.Errorf("second timing made another key: %v, then %v", first, timerKeys())
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := v.SignTiming(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if left := timerKeys(); len(left) != 0 {
		t.Errorf("timer keys left after Close: %v", left)
	}
}
