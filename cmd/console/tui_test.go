package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/hsm"
)

// TestHSMSourceSignTiming: the health screen's signature timing signs in a
// real (SoftHSM) token with a session key of its own, reuses it from one
// refresh to the next, and leaves nothing on the token.
func TestHSMSourceSignTiming(t *testing.T) {
	env, _ := softToken(t)
	t.Setenv("SOFTHSM2_CONF", strings.TrimPrefix(env[0], "SOFTHSM2_CONF="))
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
	ctx := context.Background()
	keys := func() []hsm.KeyInfo {
		t.Helper()
		ks, err := tok.Keys()
		if err != nil {
			t.Fatal(err)
		}
		return ks
	}
	before := len(keys())

	probe := &signProbe{}
	src := hsmSource{module: hsm.SoftHSMModule, t: tok, probe: probe}
	avg, err := src.SignTiming(ctx)
	if err != nil || avg <= 0 || avg > time.Second {
		t.Fatalf("sign timing: %v %v", avg, err)
	}
	label := probe.key.Label()
	if _, err := src.SignTiming(ctx); err != nil || probe.key.Label() != label {
		t.Errorf("second timing: %v; key %q, want the same %q", err, probe.key.Label(), label)
	}
	for _, k := range keys() {
		if k.Label == label && k.OnToken {
			t.Errorf("the probe key is a token object: %+v", k)
		}
	}
	probe.close()
	if _, err := tok.FindKey(label); !errors.Is(err, hsm.ErrKeyNotFound) {
		t.Errorf("probe key still there after close: %v", err)
	}

	// Without a probe: a key for the one measurement, destroyed after it.
	if _, err := (hsmSource{module: hsm.SoftHSMModule, t: tok}).SignTiming(ctx); err != nil {
		t.Fatal(err)
	}
	if n := len(keys()); n != before {
		t.Errorf("%d keys on the token, %d before", n, before)
	}

	// A cancelled call ends early with the context's error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := src.SignTiming(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	probe.close()

	// Logged out, signing fails: the health check shows it as failed.
	if err := tok.Logout(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.SignTiming(ctx); err == nil {
		t.Errorf("signing while logged out succeeded")
	}
}
