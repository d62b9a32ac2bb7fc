package model

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDefaultThresholds(t *testing.T) {
	want := Thresholds{
		HSMResponse:       100 * time.Millisecond,
		Signature:         10 * time.Millisecond,
		PathAllocation:    500 * time.Millisecond,
		DatabaseQuery:     50 * time.Millisecond,
		ErrorRateWarning:  0.1,
		ErrorRateCritical: 1.0,
	}
	if got := DefaultThresholds(); got != want {
		t.Errorf("DefaultThresholds() = %+v, want %+v", got, want)
	}
}

func TestAllChecks(t *testing.T) {
	want := []CheckName{"hsm_connectivity", "signature_performance", "path_allocation_rate",
		"database_response_time", "error_rate", "security_alerts"}
	if len(AllChecks) != len(want) {
		t.Fatalf("AllChecks = %v", AllChecks)
	}
	for i := range want {
		if AllChecks[i] != want[i] {
			t.Errorf("AllChecks[%d] = %q, want %q", i, AllChecks[i], want[i])
		}
	}
}

func TestLatencyChecks(t *testing.T) {
	th := DefaultThresholds()
	boom := errors.New("connection refused")
	ms := time.Millisecond
	tests := []struct {
		name      string
		got       CheckResult
		check     CheckName
		state     HealthState
		value     string
		threshold string
	}{
		{"hsm fast", th.HSMConnectivity(12300*time.Microsecond, nil), CheckHSMConnectivity, HealthHealthy, "12.3 ms", "> 100 ms"},
		{"hsm just below", th.HSMConnectivity(99*ms, nil), CheckHSMConnectivity, HealthHealthy, "99 ms", "> 100 ms"},
		{"hsm at", th.HSMConnectivity(100*ms, nil), CheckHSMConnectivity, HealthHealthy, "100 ms", "> 100 ms"},
		{"hsm just above", th.HSMConnectivity(100*ms+time.Nanosecond, nil), CheckHSMConnectivity, HealthWarning, "100 ms", "> 100 ms"},
		{"hsm above", th.HSMConnectivity(101*ms, nil), CheckHSMConnectivity, HealthWarning, "101 ms", "> 100 ms"},
		{"hsm error", th.HSMConnectivity(0, boom), CheckHSMConnectivity, HealthFailed, "error", "> 100 ms"},

		{"sig sub-ms", th.SignaturePerformance(420*time.Microsecond, nil), CheckSignaturePerformance, HealthHealthy, "0.42 ms", "> 10 ms"},
		{"sig at", th.SignaturePerformance(10*ms, nil), CheckSignaturePerformance, HealthHealthy, "10 ms", "> 10 ms"},
		{"sig above", th.SignaturePerformance(10500*time.Microsecond, nil), CheckSignaturePerformance, HealthWarning, "10.5 ms", "> 10 ms"},
		{"sig error", th.SignaturePerformance(5*ms, boom), CheckSignaturePerformance, HealthFailed, "error", "> 10 ms"},

		{"alloc below", th.PathAllocationRate(499 * ms), CheckPathAllocationRate, HealthHealthy, "499 ms", "> 500 ms"},
		{"alloc at", th.PathAllocationRate(500 * ms), CheckPathAllocationRate, HealthHealthy, "500 ms", "> 500 ms"},
		{"alloc above", th.PathAllocationRate(501 * ms), CheckPathAllocationRate, HealthWarning, "501 ms", "> 500 ms"},
		{"alloc very slow never fails", th.PathAllocationRate(time.Minute), CheckPathAllocationRate, HealthWarning, "60000 ms", "> 500 ms"},

		{"db below", th.DatabaseResponse(49*ms, nil), CheckDatabaseResponse, HealthHealthy, "49 ms", "> 50 ms"},
		{"db at", th.DatabaseResponse(50*ms, nil), CheckDatabaseResponse, HealthHealthy, "50 ms", "> 50 ms"},
		{"db above", th.DatabaseResponse(51*ms, nil), CheckDatabaseResponse, HealthWarning, "51 ms", "> 50 ms"},
		{"db error", th.DatabaseResponse(0, boom), CheckDatabaseResponse, HealthFailed, "error", "> 50 ms"},
	}
	for _, tt := range tests {
		r := tt.got
		if r.Name != tt.check || r.State != tt.state || r.Value != tt.value || r.Threshold != tt.threshold || r.Message == "" {
			t.Errorf("%s: got %+v; want name %s state %s value %q threshold %q", tt.name, r, tt.check, tt.state, tt.value, tt.threshold)
		}
		if tt.state == HealthFailed && !strings.Contains(r.Message, "connection refused") {
			t.Errorf("%s: message %q does not carry the cause", tt.name, r.Message)
		}
	}
}

func TestErrorRate(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		errors, total int64
		state         HealthState
		value         string
	}{
		{0, 0, HealthHealthy, "no traffic"},
		{0, 1000, HealthHealthy, "0 %"},
		{1, 100000, HealthHealthy, "< 0.01 %"},
		{9, 10000, HealthHealthy, "0.09 %"},
		{1, 1000, HealthHealthy, "0.1 %"}, // at the warning limit
		{3, 3000, HealthHealthy, "0.1 %"},
		{11, 10000, HealthWarning, "0.11 %"},
		{5, 1000, HealthWarning, "0.5 %"},
		{10, 1000, HealthWarning, "1 %"}, // at the critical limit
		{101, 10000, HealthFailed, "1.01 %"},
		{50, 100, HealthFailed, "50 %"},
	}
	for _, tt := range tests {
		r := th.ErrorRate(tt.errors, tt.total)
		if r.Name != CheckErrorRate || r.State != tt.state || r.Value != tt.value || r.Message == "" {
			t.Errorf("ErrorRate(%d, %d) = %+v; want state %s value %q", tt.errors, tt.total, r, tt.state, tt.value)
		}
		if r.Threshold != "> 0.1 % warning, > 1 % failed" {
			t.Errorf("ErrorRate threshold = %q", r.Threshold)
		}
	}
}

func TestSecurityAlerts(t *testing.T) {
	th := DefaultThresholds()
	tests := []struct {
		warnings, critical int
		state              HealthState
		value              string
	}{
		{0, 0, HealthHealthy, "0 critical, 0 warning"},
		{1, 0, HealthWarning, "0 critical, 1 warning"},
		{3, 0, HealthWarning, "0 critical, 3 warning"},
		{0, 1, HealthFailed, "1 critical, 0 warning"},
		{2, 1, HealthFailed, "1 critical, 2 warning"},
	}
	for _, tt := range tests {
		r := th.SecurityAlerts(tt.warnings, tt.critical)
		if r.Name != CheckSecurityAlerts || r.State != tt.state || r.Value != tt.value || r.Message == "" {
			t.Errorf("SecurityAlerts(%d, %d) = %+v; want state %s value %q", tt.warnings, tt.critical, r, tt.state, tt.value)
		}
	}
}

func TestOverall(t *testing.T) {
	res := func(states ...HealthState) []CheckResult {
		out := make([]CheckResult, len(states))
		for i, s := range states {
			out[i] = CheckResult{Name: AllChecks[i%len(AllChecks)], State: s}
		}
		return out
	}
	tests := []struct {
		name    string
		results []CheckResult
		want    HealthState
	}{
		{"none", nil, HealthUnknown},
		{"empty", []CheckResult{}, HealthUnknown},
		{"all healthy", res(HealthHealthy, HealthHealthy, HealthHealthy), HealthHealthy},
		{"one warning", res(HealthHealthy, HealthWarning, HealthHealthy), HealthWarning},
		{"one failed", res(HealthHealthy, HealthFailed), HealthUnhealthy},
		{"failed beats warning", res(HealthWarning, HealthFailed, HealthWarning), HealthUnhealthy},
		{"failed last", res(HealthHealthy, HealthHealthy, HealthFailed), HealthUnhealthy},
		{"unknown is not healthy", res(HealthHealthy, HealthUnknown, HealthHealthy), HealthUnknown},
		{"three unknown", res(HealthUnknown, HealthUnknown, HealthUnknown, HealthHealthy, HealthHealthy, HealthHealthy), HealthUnknown},
		{"warning beats unknown", res(HealthUnknown, HealthWarning), HealthWarning},
		{"failed beats unknown", res(HealthUnknown, HealthFailed), HealthUnhealthy},
		{"empty state is unknown", res(HealthHealthy, ""), HealthUnknown},
		{"all unknown", res(HealthUnknown, HealthUnknown), HealthUnknown},
	}
	for _, tt := range tests {
		if got := Overall(tt.results); got != tt.want {
			t.Errorf("%s: Overall = %s, want %s", tt.name, got, tt.want)
		}
	}
}
