package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store/pgtest"
)

// `migration plan` and `migration start` on the demo: v2's Volvo and
// Ericsson are already moving to v1 (refused as in flight, Plings is in v1
// already); v3's KTH Prototype Lab is free to move to v1 (index 16 is free
// there), IKEA and Lego are not (registered in v1). The operator starts
// KTH's; the viewer cannot.
func TestMigrationPlanAndStartOnTheDemo(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	as := func(login string) string { return pgtest.DSNAs(t, name, login) }

	r := console(t, nil, "migration", "plan", "--from", "v2", "--to", "v1", "--dsn", as("viewer"))
	if r.code != 0 {
		t.Fatalf("plan v2 → v1: %d %s", r.code, r.stderr)
	}
	for _, want := range []string{"a migration of Volvo is already in flight", "a migration of Ericsson is already in flight",
		"Plings is already registered in v1"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("plan v2 → v1 does not say %q:\n%s", want, r.stdout)
		}
	}

	r = console(t, nil, "migration", "plan", "--from", "v3", "--to", "v1", "--json", "--dsn", as("viewer"))
	var plan struct {
		From          string `json:"from"`
		Manufacturers []struct {
			Name        string `json:"manufacturer_name"`
			Index       int    `json:"manufacturer_index"`
			ActivePaths int64  `json:"active_paths"`
			CanStart    bool   `json:"can_start"`
			Refusals    []struct {
				Reason string `json:"reason"`
			} `json:"refusals"`
			Phases []struct {
				Paths int64 `json:"paths"`
			} `json:"phases"`
		} `json:"manufacturers"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil {
		t.Fatalf("plan --json: %v\n%s\n%s", err, r.stdout, r.stderr)
	}
	can := map[string]bool{}
	var kthPaths int64
	for _, m := range plan.Manufacturers {
		can[m.Name] = m.CanStart
		if m.Name == "KTH Prototype Lab" {
			kthPaths = m.ActivePaths
			var sum int64
			for _, p := range m.Phases {
				sum += p.Paths
			}
			if sum != m.ActivePaths {
				t.Errorf("KTH's phases hold %d paths of its %d active", sum, m.ActivePaths)
			}
		}
	}
	if !can["KTH Prototype Lab"] || !can["Anna Lindqvist Keramik"] || can["IKEA"] || can["Lego"] || can["Plings"] {
		t.Errorf("who can start v3 → v1: %v\n%s", can, r.stdout)
	}

	// The viewer is refused by the database; nothing changes.
	r = console(t, nil, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "KTH Prototype Lab", "--dsn", as("viewer"))
	if r.code == 0 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("viewer start: %d %q", r.code, r.stderr)
	}
	// A refusal, in the operator's words.
	r = console(t, nil, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "IKEA", "--dsn", as("alice"))
	if r.code == 0 || !strings.Contains(r.stderr, "IKEA is already registered in v1") || !strings.Contains(r.stderr, "nothing changed") {
		t.Errorf("IKEA start: %d %q", r.code, r.stderr)
	}

	// --max-load that means nothing is refused before anything happens.
	r = console(t, nil, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "KTH Prototype Lab",
		"--max-load", "busy=3", "--dsn", as("alice"))
	if r.code == 0 || !strings.Contains(r.stderr, `migration start --max-load: "busy" is not waiting or active`) {
		t.Errorf("start with --max-load busy=3: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "KTH Prototype Lab",
		"--batch", "100", "--max-load", "waiting=3,active=0", "--dsn", as("alice"))
	if r.code != 0 {
		t.Fatalf("start KTH: %d %s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "KTH Prototype Lab from v3 to v1 started") || strings.Count(r.stdout, "audit row #") != 2 ||
		!strings.Contains(r.stdout, "its workers throttle at waiting=3, active off unless given --max-load") {
		t.Errorf("start KTH said:\n%s", r.stdout)
	}
	// A second start is refused: in flight.
	r = console(t, nil, "migration", "start", "--from", "v3", "--to", "v1", "--manufacturer", "KTH Prototype Lab", "--dsn", as("alice"))
	if r.code == 0 || !strings.Contains(r.stderr, "a migration of KTH Prototype Lab is already in flight") {
		t.Errorf("second start: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "show", "v1", "--dsn", dsn)
	if !strings.Contains(r.stdout, "KTH Prototype Lab") {
		t.Errorf("show v1 does not list KTH Prototype Lab:\n%s", r.stdout)
	}
	if kthPaths == 0 {
		t.Log("KTH has no active paths in v3: the start queued none")
	}
	if r := console(t, nil, "audit", "verify", "--dsn", dsn); r.code != 0 {
		t.Errorf("audit verify after the start: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
