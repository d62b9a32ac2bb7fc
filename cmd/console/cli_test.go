package main

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/store/pgtest"
)

// Every registry command is bound to flags and a handler, and nothing is
// bound that the registry does not list.
func TestEveryCommandIsBound(t *testing.T) {
	listed := map[string]bool{}
	for _, e := range registry.Of(registry.Command) {
		listed[e.Name] = true
		if bindings[e.Name] == nil {
			t.Errorf("registry command %q has no binding in cmd/console", e.Name)
		}
		if e.Summary == "" {
			t.Errorf("registry command %q has no summary for help", e.Name)
		}
	}
	for name := range bindings {
		if !listed[name] {
			t.Errorf("binding %q is not a registry command", name)
		}
	}
}

// splitCommand asks the FlagSets which flags take a value; that is only
// sound if no flag takes one in one command and none in another.
func TestFlagArityAgrees(t *testing.T) {
	takes := map[string]bool{}
	for _, e := range registry.Of(registry.Command) {
		fs, _, _ := command(e.Name)
		fs.VisitAll(func(f *flag.Flag) {
			v := f.NoOptDefVal == ""
			if old, ok := takes[f.Name]; ok && old != v {
				t.Errorf("--%s takes a value in one command and none in another", f.Name)
			}
			takes[f.Name] = v
		})
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
		rest []string
	}{
		{nil, "console", nil},
		{[]string{"--read-only", "--refresh", "5s"}, "console", []string{"--read-only", "--refresh", "5s"}},
		{[]string{"--dsn", "status", "show", "v1"}, "show", []string{"--dsn", "status", "v1"}}, // "status" is --dsn's value
		{[]string{"--token", "ops", "hsm", "info"}, "hsm info", []string{"--token", "ops"}},
		{[]string{"request", "--role", "security", "approve", "WCR-1"}, "request approve", []string{"--role", "security", "WCR-1"}},
		{[]string{"audit", "log", "--json"}, "audit log", []string{"--json"}},
		{[]string{"--json", "status"}, "status", []string{"--json"}},
		{[]string{"--pin-file=x", "hsm", "keys"}, "hsm keys", []string{"--pin-file=x"}},
		{[]string{"help", "request", "new"}, "help", []string{"request", "new"}},
		{[]string{"--help"}, "help", nil},
	} {
		name, rest, err := splitCommand(tc.args)
		if err != nil || name != tc.name || !slices.Equal(rest, tc.rest) {
			t.Errorf("splitCommand(%q) = %q %q %v; want %q %q", tc.args, name, rest, err, tc.name, tc.rest)
		}
	}
}

// The usage text comes from the registry and the FlagSets.
func TestHelpFromRegistry(t *testing.T) {
	r := console(t, nil, "help")
	if r.code != 0 {
		t.Fatalf("help: %d %s", r.code, r.stderr)
	}
	for _, e := range registry.Of(registry.Command) {
		if !strings.Contains(r.stdout, e.Summary) {
			t.Errorf("help lacks %q's summary", e.Name)
		}
	}
	for _, want := range []string{"--backup-token STRING", "--refresh DURATION", "--dsn string"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("help lacks %q:\n%s", want, r.stdout)
		}
	}
	r = console(t, nil, "request", "reject", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, "Usage: console request reject ID") || !strings.Contains(r.stdout, "--reason") {
		t.Errorf("request reject --help: %d %q", r.code, r.stdout)
	}
}

// `hsm info --token` with a label that is not there is an error naming the
// labels there are.
func TestHSMInfoUnknownToken(t *testing.T) {
	env, _ := softToken(t)
	r := console(t, env, "hsm", "info", "--token", "nope", "--data-dir", t.TempDir())
	if r.code == 0 || !strings.Contains(r.stderr, `no token labelled "nope"`) || !strings.Contains(r.stderr, `the tokens are "ops"`) {
		t.Errorf("hsm info --token nope: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, env, "hsm", "info", "--token", "ops", "--data-dir", t.TempDir())
	if r.code != 0 || !strings.Contains(r.stdout, "ops") {
		t.Errorf("hsm info --token ops: %d %q", r.code, r.stderr)
	}
}

// `audit log --wallet v99` says v99 does not exist, as `show v99` does.
func TestAuditLogUnknownWallet(t *testing.T) {
	dsn := pgtest.DSN(t, pgtest.NewDatabase(t))
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	show := console(t, nil, "show", "v99", "--dsn", dsn)
	log := console(t, nil, "audit", "log", "--wallet", "v99", "--dsn", dsn)
	if show.code == 0 || log.code == 0 || !strings.Contains(show.stderr, "wallet v99: not found") {
		t.Fatalf("show v99: %d %q; audit log --wallet v99: %d %q", show.code, show.stderr, log.code, log.stderr)
	}
	if log.stderr != show.stderr || log.stdout != "" {
		t.Errorf("audit log --wallet v99 says %q (stdout %q); show v99 says %q", log.stderr, log.stdout, show.stderr)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// checkSnake walks a decoded JSON value and reports every key that is not
// snake_case.
func checkSnake(t *testing.T, what, path string, v any) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if !snakeKey.MatchString(k) {
				t.Errorf("%s: key %s.%s is not snake_case", what, path, k)
			}
			checkSnake(t, what, path+"."+k, e)
		}
	case []any:
		for _, e := range x {
			checkSnake(t, what, path+"[]", e)
		}
	}
}

// Every --json output uses snake_case keys, all the way down.
func TestJSONIsSnakeCase(t *testing.T) {
	dsn := pgtest.DSN(t, pgtest.NewDatabase(t))
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	var reqID string
	var withJSON []string
	for _, e := range registry.Of(registry.Command) {
		fs, _, _ := command(e.Name)
		if fs.Lookup("json") != nil {
			withJSON = append(withJSON, e.Name)
		}
	}
	r := console(t, nil, "request", "list", "--json", "--dsn", dsn)
	var list struct {
		Requests []struct {
			ID string `json:"id"`
		} `json:"requests"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil || len(list.Requests) == 0 {
		t.Fatalf("request list --json: %v %q", err, r.stdout)
	}
	reqID = list.Requests[0].ID
	args := map[string][]string{"show": {"v1"}, "request show": {reqID}, "deploy status": {"v4"},
		"migration plan": {"--from", "v3", "--to", "v1"}, "migration verify": {"1"}, "migration status": {"1"}}
	// A rollout with a measurement, so that deploy status --json has every field.
	for _, cmd := range [][]string{{"deploy", "start", "v4", "--steps", "1:1s,100", "--interval", "1s"},
		{"demo", "traffic", "v4"}} {
		if r := console(t, nil, append(cmd, "--dsn", dsn)...); r.code != 0 {
			t.Fatalf("%v: %s", cmd, r.stderr)
		}
	}
	for _, name := range withJSON {
		if name == "validate" {
			continue // it needs a token and a created wallet: TestValidateRefusedWithoutKey checks its JSON
		}
		cmd := append(strings.Fields(name), args[name]...)
		r := console(t, nil, append(cmd, "--json", "--dsn", dsn)...)
		if r.stdout == "" {
			t.Errorf("%s --json printed nothing: %d %q", name, r.code, r.stderr)
			continue
		}
		var v any
		if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
			t.Errorf("%s --json is not JSON: %v\n%s", name, err, r.stdout)
			continue
		}
		checkSnake(t, name, "", v)
	}
	if len(withJSON) < 7 {
		t.Errorf("only %v take --json", withJSON)
	}
}
