package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/store/pgtest"
)

// `console demo --token` makes each demo wallet's master key on the token
// and records that key's fingerprint: pkcs11-tool finds the keys, and `hsm
// keys` shows the fingerprints `show --json` names.
func TestDemoKeysOnTheToken(t *testing.T) {
	env, pin := softToken(t)
	dsn := pgtest.DSN(t, pgtest.NewDatabase(t))
	r := console(t, env, "demo", "--dsn", dsn, "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir())
	if r.code != 0 {
		t.Fatalf("demo --token: %d %q %q", r.code, r.stdout, r.stderr)
	}
	cmd := exec.Command("pkcs11-tool", "--module", hsm.SoftHSMModule, "--token-label", "ops", "--login", "--pin", "123456", "--list-objects", "--type", "privkey")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("pkcs11-tool: %v %s", err, out)
	}
	// The keys' public halves, read back from the token.
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
	for _, v := range []string{"v1", "v3", "v4", "v6"} {
		if !strings.Contains(string(out), "label:      plings_master_key_"+v) {
			t.Errorf("pkcs11-tool finds no plings_master_key_%s on the token:\n%s", v, out)
		}
		show := console(t, nil, "show", v, "--json", "--dsn", dsn)
		var doc struct {
			Wallet struct {
				Fingerprint string `json:"fingerprint"`
			} `json:"wallet"`
		}
		if err := json.Unmarshal([]byte(show.stdout), &doc); err != nil || len(doc.Wallet.Fingerprint) != 64 {
			t.Fatalf("show %s --json: %v (no fingerprint)", v, err)
		}
		k, err := tok.FindKey("plings_master_key_" + v)
		if err != nil {
			t.Fatal(err)
		}
		if k.Fingerprint() != doc.Wallet.Fingerprint {
			t.Errorf("%s's recorded fingerprint %s is not its key's on the token (%s)", v, doc.Wallet.Fingerprint, k.Fingerprint())
		}
	}
	if strings.Contains(r.stdout+r.stderr, "123456") {
		t.Error("the PIN appears in the output")
	}
}
