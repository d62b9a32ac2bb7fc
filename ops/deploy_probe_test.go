package ops_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/ops"
)

// deploy run --token: the live probe signs with the new wallet's key on the
// HSM and verifies outside it; a token without the key is a failed probe.
func TestKeyProbe(t *testing.T) {
	conf, err := hsm.NewSoftHSMToken(t.TempDir(), "ops", "so-12345678", "user-1234")
	if err != nil {
		t.Skipf("SoftHSM: %v", err)
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
	if err := tok.Login([]byte("user-1234")); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.KeyProbe(tok, 4)(context.Background()); err == nil || !strings.Contains(err.Error(), "plings_master_key_v4") {
		t.Errorf("probe without the key: %v", err)
	}
	if _, err := tok.GenerateKey("plings_master_key_v4", hsm.KeyOptions{Session: true}); err != nil {
		t.Fatal(err)
	}
	d, err := ops.KeyProbe(tok, 4)(context.Background())
	if err != nil || d <= 0 {
		t.Errorf("probe with the key: %v %v", d, err)
	}
}
