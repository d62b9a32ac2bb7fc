package model

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestCheckTransitionLegal(t *testing.T) {
	tests := []struct {
		from, to Status
		action   string
	}{
		{StatusCreated, StatusValidated, "validate"},
		{StatusValidated, StatusDeployed, "deploy"},
		{StatusDeployed, StatusActive, "activate"},
		{StatusActive, StatusDeprecated, "deprecate"},
		{StatusDeprecated, StatusRetired, "retire"},
		{StatusActive, StatusInactive, "deactivate"},
		{StatusInactive, StatusActive, "reactivate"},
		{StatusCompromised, StatusRetired, "retire"},
		{StatusCreated, StatusCompromised, "compromise"},
		{StatusValidated, StatusCompromised, "compromise"},
		{StatusDeployed, StatusCompromised, "compromise"},
		{StatusActive, StatusCompromised, "compromise"},
		{StatusInactive, StatusCompromised, "compromise"},
		{StatusDeprecated, StatusCompromised, "compromise"},
	}
	if len(tests) != len(Transitions) {
		t.Fatalf("table has %d transitions, test expects %d", len(Transitions), len(tests))
	}
	for _, tt := range tests {
		got, err := CheckTransition(tt.from, tt.to)
		if err != nil || got != tt.action {
			t.Errorf("CheckTransition(%s, %s) = %q, %v; want %q", tt.from, tt.to, got, err, tt.action)
		}
	}
}

func TestCheckTransitionIllegal(t *testing.T) {
	tests := []struct {
		from, to Status
		want     []string // substrings of the error
	}{
		{StatusCreated, StatusActive, []string{
			"illegal status transition created → active (from created the allowed next states are: validated, compromised)",
		}},
		{StatusCreated, StatusCreated, []string{"created → created"}},
		{StatusActive, StatusActive, []string{"active → active", "deprecated, inactive, compromised"}},
		{StatusValidated, StatusActive, []string{"validated → active", "deployed, compromised"}},
		{StatusInactive, StatusDeprecated, []string{"inactive → deprecated", "active, compromised"}},
		{StatusDeprecated, StatusActive, []string{"deprecated → active"}},
		{StatusCompromised, StatusActive, []string{"compromised → active", "allowed next states are: retired)"}},
		{StatusCompromised, StatusCompromised, []string{"compromised → compromised"}},
		{StatusDeployed, StatusRetired, []string{"deployed → retired"}},
		{"bogus", StatusActive, []string{`unknown status "bogus"`, "created, validated"}},
		{StatusActive, "", []string{`unknown status ""`}},
	}
	// Nothing may leave retired.
	for _, s := range AllStatuses {
		tests = append(tests, struct {
			from, to Status
			want     []string
		}{StatusRetired, s, []string{"illegal status transition retired → " + string(s) + " (retired is final)"}})
	}
	for _, tt := range tests {
		action, err := CheckTransition(tt.from, tt.to)
		if err == nil {
			t.Errorf("CheckTransition(%s, %s) = %q, want error", tt.from, tt.to, action)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CheckTransition(%s, %s) error %q does not contain %q", tt.from, tt.to, err, w)
			}
		}
	}
}

// Every pair not in the table must be rejected, so the table is the whole truth.
func TestCheckTransitionExhaustive(t *testing.T) {
	legal := map[[2]Status]bool{}
	for _, tr := range Transitions {
		legal[[2]Status{tr.From, tr.To}] = true
	}
	for _, from := range AllStatuses {
		for _, to := range AllStatuses {
			_, err := CheckTransition(from, to)
			if (err == nil) != legal[[2]Status{from, to}] {
				t.Errorf("CheckTransition(%s, %s) err = %v, legal = %v", from, to, err, legal[[2]Status{from, to}])
			}
		}
	}
}

func TestNextStatusesAndIsFinal(t *testing.T) {
	tests := []struct {
		from  Status
		next  []Status
		final bool
	}{
		{StatusCreated, []Status{StatusValidated, StatusCompromised}, false},
		{StatusValidated, []Status{StatusDeployed, StatusCompromised}, false},
		{StatusDeployed, []Status{StatusActive, StatusCompromised}, false},
		{StatusActive, []Status{StatusDeprecated, StatusInactive, StatusCompromised}, false},
		{StatusInactive, []Status{StatusActive, StatusCompromised}, false},
		{StatusDeprecated, []Status{StatusRetired, StatusCompromised}, false},
		{StatusRetired, nil, true},
		{StatusCompromised, []Status{StatusRetired}, false},
		{"bogus", nil, false},
	}
	for _, tt := range tests {
		if got := NextStatuses(tt.from); !slices.Equal(got, tt.next) {
			t.Errorf("NextStatuses(%s) = %v, want %v", tt.from, got, tt.next)
		}
		if got := tt.from.IsFinal(); got != tt.final {
			t.Errorf("%s.IsFinal() = %v, want %v", tt.from, got, tt.final)
		}
	}
}

func TestParseStatus(t *testing.T) {
	for _, s := range AllStatuses {
		if got, err := ParseStatus(string(s)); err != nil || got != s {
			t.Errorf("ParseStatus(%q) = %q, %v", s, got, err)
		}
	}
	if got, err := ParseStatus("  Active "); err != nil || got != StatusActive {
		t.Errorf("ParseStatus with case and blanks = %q, %v", got, err)
	}
	for _, in := range []string{"", "activ", "retired!"} {
		_, err := ParseStatus(in)
		if err == nil || !strings.Contains(err.Error(), "created, validated, deployed, active, inactive, deprecated, retired, compromised") {
			t.Errorf("ParseStatus(%q) error = %v, want list of valid statuses", in, err)
		}
	}
}

func TestParseEnvironmentAndSecurityLevel(t *testing.T) {
	envs := []struct {
		in   string
		want Environment
		ok   bool
	}{
		{"production", EnvironmentProduction, true},
		{"Testing", EnvironmentTesting, true},
		{" development ", EnvironmentDevelopment, true},
		{"prod", "", false},
		{"", "", false},
	}
	for _, tt := range envs {
		got, err := ParseEnvironment(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseEnvironment(%q) = %q, %v", tt.in, got, err)
		}
	}
	levels := []struct {
		in   string
		want SecurityLevel
		ok   bool
	}{
		{"standard", SecurityLevelStandard, true},
		{"HIGH", SecurityLevelHigh, true},
		{"experimental", SecurityLevelExperimental, true},
		{"low", "", false},
	}
	for _, tt := range levels {
		got, err := ParseSecurityLevel(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSecurityLevel(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		errPart string
	}{
		{"v3", 3, ""},
		{"V3", 3, ""},
		{"3", 3, ""},
		{"v1", 1, ""},
		{" v12 ", 12, ""},
		{"v2147483647", 2147483647, ""},
		{"", 0, "empty"},
		{"v", 0, "not a number"},
		{"v0", 0, "start at 1"},
		{"0", 0, "start at 1"},
		{"vx", 0, "not a number"},
		{"v3.1", 0, "not a number"},
		{"+3", 0, "not a number"},
		{"-3", 0, "not negative"},
		{"v-3", 0, "not negative"},
		{"2147483648", 0, "2147483647"},
		{"v99999999999999999999999", 0, "2147483647"},
	}
	for _, tt := range tests {
		got, err := ParseVersion(tt.in)
		if tt.errPart == "" {
			if err != nil || got != tt.want {
				t.Errorf("ParseVersion(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseVersion(%q) = %d, want error", tt.in, got)
			continue
		}
		msg := err.Error()
		for _, w := range []string{tt.errPart, "a wallet version like v2 or 2", `"` + tt.in + `"`} {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseVersion(%q) error %q does not contain %q", tt.in, msg, w)
			}
		}
	}
}

func TestVersionNameRoundTrip(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 2147483647} {
		name := VersionName(n)
		if got, err := ParseVersion(name); err != nil || got != n {
			t.Errorf("ParseVersion(VersionName(%d)=%q) = %d, %v", n, name, got, err)
		}
	}
	if got := VersionName(3); got != "v3" {
		t.Errorf("VersionName(3) = %q", got)
	}
}

func TestTransitionJSONKeysAreSnakeCase(t *testing.T) {
	b, _ := json.Marshal(Transitions[0])
	if string(b) != `{"from":"created","to":"validated","action":"validate"}` {
		t.Errorf("json of a transition: %s", b)
	}
	b, _ = json.Marshal(&PathError{Input: "2..3", Component: 2, Reason: "empty"})
	if string(b) != `{"input":"2..3","component":2,"reason":"empty"}` {
		t.Errorf("json of a path error: %s", b)
	}
}
