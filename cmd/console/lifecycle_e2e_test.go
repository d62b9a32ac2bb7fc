package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 11, acceptance 1, through the binary: on the demo with its keys on
// a SoftHSM token, the created v6 is validated, deployed in second-long
// steps against simulated healthy traffic with both gates passed by a
// second login, and activated with --default: the default moved, the shares
// are 100/0, Plings is manufacturer 1 in v6, and audit verify passes.
func TestLifecycleEndToEnd(t *testing.T) {
	env, pin := softToken(t)
	name := pgtest.NewDatabase(t)
	owner, alice, bob := pgtest.DSN(t, name), pgtest.DSNAs(t, name, "alice"), pgtest.DSNAs(t, name, "bob")
	hsmArgs := []string{"--token", "ops", "--pin-file", pin, "--data-dir", t.TempDir()}
	run := func(dsn string, args ...string) string {
		t.Helper()
		r := console(t, env, append(append(args, "--dsn", dsn), hsmArgsFor(args, hsmArgs)...)...)
		if r.code != 0 {
			t.Fatalf("console %s: exit %d\n%s\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
		}
		return r.stdout
	}
	run(owner, "demo")

	// Activation is refused before anything, naming each thing missing.
	if r := console(t, env, "activate", "v6", "--default", "--dsn", alice); r.code == 0 ||
		!strings.Contains(r.stdout, "✗ it is deployed: v6 is created") || !strings.Contains(r.stderr, "activate v6: REFUSED") {
		t.Fatalf("activate before validation: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	out := run(alice, "validate", "v6")
	if !strings.Contains(out, "7/7") {
		t.Logf("validate:\n%s", out)
	}
	run(alice, "deploy", "start", "v6", "--steps", "1:1s,5:1s,25:1s,50:1s,100", "--interval", "300ms", "--failure-limit", "2")
	run(alice, "demo", "traffic", "v6", "--error-rate", "0", "--for", "10m")
	if r := console(t, env, "deploy", "approve", "v6", "--gate", "go", "--dsn", alice); r.code == 0 {
		t.Fatalf("the starter passed its own go gate:\n%s", r.stdout)
	}
	run(bob, "deploy", "approve", "v6", "--gate", "go", "--reason", "validated yesterday")
	ctl := startConsole(t, "deploy", "run", "v6", "--dsn", alice, "--poll", "300ms")
	waitFor(t, 60*time.Second, "the promotion gate", func() bool {
		s := status(t, alice, "v6")
		return s.Rollout.State == "waiting_for_gate" && s.Rollout.Step > 0
	})
	if s := status(t, alice, "v6"); s.share("v6") != 50 || s.share("v1") != 50 {
		t.Errorf("at the promotion gate the shares are v1 %v, v6 %v; want 50/50", s.share("v1"), s.share("v6"))
	}
	// Activation before 100 % is refused.
	if r := console(t, env, "activate", "v6", "--default", "--dsn", alice); r.code == 0 || !strings.Contains(r.stderr, "no rollout of it reached 100 % yet") {
		t.Errorf("activate before 100 %%: %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	run(bob, "deploy", "approve", "v6", "--gate", "promotion", "--reason", "50 % clean")
	if code := ctl.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("deploy run exited %d:\n%s", code, ctl.output())
	}
	s := status(t, alice, "v6")
	if s.Rollout.State != "completed" || s.share("v6") != 100 || s.share("v1") != 0 {
		t.Fatalf("after the rollout: %s, v1 %v, v6 %v", s.Rollout.State, s.share("v1"), s.share("v6"))
	}

	out = run(alice, "activate", "v6", "--default")
	for _, want := range []string{"✓ its rollout reached 100 % and passed the promotion gate", "✓ it passed validation in the last 30 days",
		"✓ the backup of its master key is proven", "the default moves from v1 to v6", "v6 is active and the default"} {
		if !strings.Contains(out, want) {
			t.Errorf("activate says no %q:\n%s", want, out)
		}
	}
	var inv struct {
		Wallets []struct {
			Name      string `json:"name"`
			Status    string `json:"status"`
			IsDefault bool   `json:"is_default"`
		} `json:"wallets"`
	}
	if err := json.Unmarshal([]byte(run(bob, "status", "--json")), &inv); err != nil {
		t.Fatal(err)
	}
	for _, w := range inv.Wallets {
		switch w.Name {
		case "v6":
			if w.Status != "active" || !w.IsDefault {
				t.Errorf("v6 is %s, default %v", w.Status, w.IsDefault)
			}
		case "v1":
			if w.Status != "active" || w.IsDefault {
				t.Errorf("v1 is %s, default %v; want active, not the default", w.Status, w.IsDefault)
			}
		}
	}
	if s := status(t, bob, "v6"); s.share("v6") != 100 || s.share("v1") != 0 {
		t.Errorf("after activation the shares are v1 %v, v6 %v; want 0/100", s.share("v1"), s.share("v6"))
	}
	var show struct {
		Manufacturers []struct {
			Index int    `json:"index"`
			Name  string `json:"name"`
		} `json:"manufacturers"`
	}
	if err := json.Unmarshal([]byte(run(bob, "show", "v6", "--json")), &show); err != nil {
		t.Fatal(err)
	}
	if len(show.Manufacturers) == 0 || show.Manufacturers[0].Index != 1 || show.Manufacturers[0].Name != "Plings" {
		t.Errorf("v6's manufacturers: %+v; want Plings at index 1", show.Manufacturers)
	}
	if out := run(bob, "audit", "verify"); !strings.Contains(out, "audit chain OK") || !strings.Contains(out, "ceremony keys OK") {
		t.Errorf("audit verify:\n%s", out)
	}
	log := run(bob, "audit", "log", "--wallet", "v6", "--limit", "50")
	for _, typ := range []string{"wallet_validation", "wallet_activation"} {
		if !strings.Contains(log, typ) {
			t.Errorf("the audit log of v6 has no %s:\n%s", typ, log)
		}
	}
	if strings.Contains(log, "bob") == false {
		t.Errorf("the gates' approvals are not in v6's log under bob's login:\n%s", log)
	}
}

// hsmArgsFor gives the HSM flags to the commands that take them.
func hsmArgsFor(args, hsm []string) []string {
	switch {
	case len(args) > 0 && args[0] == "validate", len(args) > 0 && args[0] == "demo" && len(args) == 1:
		return hsm
	}
	return nil
}
