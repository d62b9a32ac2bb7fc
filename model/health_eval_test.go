package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestEvaluateHealth(t *testing.T) {
	ms := func(n float64) *time.Duration { d := time.Duration(n * float64(time.Millisecond)); return &d }
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	full := HealthInput{Version: 1, Name: "v1", Status: StatusActive, MetricDate: &day,
		AllocationAvg: ms(200), SignatureAvg: ms(5), HSMResponseAvg: ms(10), Errors: 0, Requests: 1000}
	bare := HealthInput{Version: 4, Name: "v4", Status: StatusDeployed} // no metrics row at all
	fast := &Measurement{Took: 2 * time.Millisecond}
	noHSM := LiveHealth{Database: fast, NoHSM: true}
	withHSM := LiveHealth{Database: fast, HSM: fast, Signature: fast}
	mod := func(in HealthInput, f func(*HealthInput)) HealthInput { f(&in); return in }

	tests := []struct {
		name    string
		in      HealthInput
		live    LiveHealth
		want    HealthState
		states  []HealthState // in AllChecks order; nil: not checked
		message string        // a check's message must contain it
	}{
		{"calm day, stored averages", full, noHSM, HealthHealthy,
			[]HealthState{HealthHealthy, HealthHealthy, HealthHealthy, HealthHealthy, HealthHealthy, HealthHealthy}, "stored daily average of 2026-12-01"},
		{"no metrics: three stored checks and the error rate unknown", bare, noHSM, HealthUnknown,
			[]HealthState{HealthUnknown, HealthUnknown, HealthUnknown, HealthHealthy, HealthUnknown, HealthHealthy}, "no measurement recorded"},
		{"no metrics but a live HSM: still unknown (allocation)", bare, withHSM, HealthUnknown,
			[]HealthState{HealthHealthy, HealthHealthy, HealthUnknown, HealthHealthy, HealthUnknown, HealthHealthy}, ""},
		{"an open warning beats unknown", mod(bare, func(i *HealthInput) { i.OpenWarnings = 1 }), noHSM, HealthWarning, nil, "1 security warning"},
		{"an open critical alert", mod(full, func(i *HealthInput) { i.OpenCritical = 1 }), noHSM, HealthUnhealthy, nil, "critical"},
		{"2 % errors fail", mod(full, func(i *HealthInput) { i.Errors = 20 }), noHSM, HealthUnhealthy, nil, "20 errors in 1000"},
		{"slow stored signature warns", mod(full, func(i *HealthInput) { i.SignatureAvg = ms(12) }), noHSM, HealthWarning, nil, "above 10 ms"},
		{"live HSM replaces the stored averages", mod(full, func(i *HealthInput) { i.SignatureAvg = ms(50) }), withHSM, HealthHealthy, nil, ""},
		{"signing fails live", full, LiveHealth{Database: fast, HSM: fast, Signature: &Measurement{Err: errors.New("CKR_DEVICE_ERROR")}},
			HealthUnhealthy, []HealthState{HealthHealthy, HealthFailed, HealthHealthy, HealthHealthy, HealthHealthy, HealthHealthy}, "CKR_DEVICE_ERROR"},
		{"database down", full, LiveHealth{Database: &Measurement{Err: errors.New("connection refused")}, NoHSM: true}, HealthUnhealthy, nil, "connection refused"},
		{"slow database warns", full, LiveHealth{Database: &Measurement{Took: 80 * time.Millisecond}, NoHSM: true}, HealthWarning, nil, "above 50 ms"},
		{"live checks not measured yet", full, LiveHealth{}, HealthUnknown,
			[]HealthState{HealthUnknown, HealthUnknown, HealthHealthy, HealthUnknown, HealthHealthy, HealthHealthy}, "not measured yet"},
	}
	for _, tt := range tests {
		w := EvaluateHealth(tt.in, tt.live, DefaultThresholds())
		if w.Overall != tt.want {
			t.Errorf("%s: overall %s, want %s (%+v)", tt.name, w.Overall, tt.want, w.Checks)
		}
		if len(w.Checks) != len(AllChecks) {
			t.Fatalf("%s: %d checks, want %d", tt.name, len(w.Checks), len(AllChecks))
		}
		for i, c := range w.Checks {
			if c.Name != AllChecks[i] {
				t.Errorf("%s: check %d is %s, want %s", tt.name, i, c.Name, AllChecks[i])
			}
			if tt.states != nil && c.State != tt.states[i] {
				t.Errorf("%s: %s is %s, want %s (%s)", tt.name, c.Name, c.State, tt.states[i], c.Message)
			}
		}
		if tt.message != "" && !strings.Contains(joinMessages(w), tt.message) {
			t.Errorf("%s: no message says %q: %s", tt.name, tt.message, joinMessages(w))
		}
		if w.Version != tt.in.Version || w.Name != tt.in.Name || w.Status != tt.in.Status {
			t.Errorf("%s: wallet fields not carried: %+v", tt.name, w)
		}
	}
}

func joinMessages(w WalletHealth) string {
	var b strings.Builder
	for _, c := range w.Checks {
		b.WriteString(c.Message + "; ")
	}
	return b.String()
}

func TestLiveHealthIsLive(t *testing.T) {
	noHSM, withHSM := LiveHealth{NoHSM: true}, LiveHealth{}
	for _, c := range AllChecks {
		hsmCheck := c == CheckHSMConnectivity || c == CheckSignaturePerformance
		if got, want := withHSM.IsLive(c), hsmCheck || c == CheckDatabaseResponse; got != want {
			t.Errorf("with HSM, %s live = %v", c, got)
		}
		if got, want := noHSM.IsLive(c), c == CheckDatabaseResponse; got != want {
			t.Errorf("without HSM, %s live = %v", c, got)
		}
	}
}

func TestFleetOverall(t *testing.T) {
	w := func(s HealthState) WalletHealth { return WalletHealth{Overall: s} }
	tests := []struct {
		ws   []WalletHealth
		want HealthState
	}{
		{nil, HealthHealthy},
		{[]WalletHealth{w(HealthHealthy), w(HealthHealthy)}, HealthHealthy},
		{[]WalletHealth{w(HealthHealthy), w(HealthUnknown)}, HealthUnknown},
		{[]WalletHealth{w(HealthUnknown), w(HealthWarning)}, HealthWarning},
		{[]WalletHealth{w(HealthWarning), w(HealthUnhealthy), w(HealthUnknown)}, HealthUnhealthy},
	}
	for i, tt := range tests {
		if got := FleetOverall(tt.ws); got != tt.want {
			t.Errorf("#%d: FleetOverall = %s, want %s", i, got, tt.want)
		}
	}
}
