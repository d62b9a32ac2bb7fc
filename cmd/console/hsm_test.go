package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/hsm"
)

func softToken(t *testing.T) (env []string, pinFile string) {
	t.Helper()
	dir := t.TempDir()
	conf, err := hsm.NewSoftHSMToken(dir, "ops", "87654321", "123456")
	if err != nil {
		t.Fatal(err)
	}
	pinFile = filepath.Join(dir, "pin")
	if err := os.WriteFile(pinFile, []byte("123456\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return []string{"SOFTHSM2_CONF=" + conf}, pinFile
}

func TestHSMSelftestLeavesNothingBehind(t *testing.T) {
	env, pin := softToken(t)
	r := console(t, env, "hsm", "info", "--data-dir", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "ops") || !strings.Contains(r.stdout, "SoftHSM") {
		t.Fatalf("hsm info: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, env, "hsm", "selftest", "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "1000 signatures verified outside the HSM") || !strings.Contains(r.stdout, "selftest PASS") {
		t.Fatalf("selftest: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, "123456") {
		t.Errorf("the PIN appears in the output")
	}
	// An independent look at the token: nothing left on it.
	if _, err := exec.LookPath("pkcs11-tool"); err == nil {
		cmd := exec.Command("pkcs11-tool", "--module", hsm.SoftHSMModule, "--token-label", "ops", "--login", "--pin", "123456", "--list-objects")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pkcs11-tool: %v %s", err, out)
		}
		if strings.Contains(string(out), "Object;") {
			t.Errorf("selftest left objects on the token:\n%s", out)
		}
	}
	r = console(t, env, "hsm", "keys", "--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "holds no keys") {
		t.Errorf("hsm keys after selftest: %q %q", r.stdout, r.stderr)
	}
}

func TestHSMRefusalsAreClear(t *testing.T) {
	env, pin := softToken(t)
	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("000000\n"), 0o600)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"hsm", "keys", "--token", "ops", "--pin-file", bad}, "PIN incorrect"},
		{[]string{"hsm", "keys", "--token", "nosuch", "--pin-file", pin}, `token "nosuch"`},
		{[]string{"hsm", "info", "--pkcs11-module", "/nonexistent/libvendor.so"}, "PKCS#11 module not found"},
		{[]string{"hsm", "info", "--pkcs11-module", "/lib/x86_64-linux-gnu/libz.so.1"}, "not a PKCS#11 module"},
		{[]string{"hsm", "keys", "--pin-file", pin}, "--token LABEL"},
	} {
		r := console(t, env, append(tc.args, "--data-dir", t.TempDir())...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: %d %q; want it to say %q", tc.args, r.code, r.stderr, tc.want)
		}
		if strings.Contains(r.stderr, "000000") || strings.Contains(r.stderr, "123456") {
			t.Errorf("%v: a PIN appears in the message", tc.args)
		}
	}
}
