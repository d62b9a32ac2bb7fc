package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// CheckName identifies a health check from the operations procedures. The
// values are stored with check results, so they must not change.
type CheckName string

const (
	CheckHSMConnectivity      CheckName = "hsm_connectivity"
	CheckSignaturePerformance CheckName = "signature_performance"
	CheckPathAllocationRate   CheckName = "path_allocation_rate"
	CheckDatabaseResponse     CheckName = "database_response_time"
	CheckErrorRate            CheckName = "error_rate"
	CheckSecurityAlerts       CheckName = "security_alerts"
)

// AllChecks is the order in which checks run and are displayed.
var AllChecks = []CheckName{
	CheckHSMConnectivity,
	CheckSignaturePerformance,
	CheckPathAllocationRate,
	CheckDatabaseResponse,
	CheckErrorRate,
	CheckSecurityAlerts,
}

// HealthState is the outcome of one check (healthy, warning, failed) or of
// the system as a whole (healthy, warning, unhealthy, unknown).
type HealthState string

const (
	HealthHealthy   HealthState = "healthy"
	HealthWarning   HealthState = "warning"
	HealthFailed    HealthState = "failed"
	HealthUnhealthy HealthState = "unhealthy"
	HealthUnknown   HealthState = "unknown"
)

// Thresholds are the limits above which a check degrades. A value exactly at
// its limit is still healthy.
type Thresholds struct {
	HSMResponse    time.Duration `json:"hsm_response_ns"`
	Signature      time.Duration `json:"signature_ns"`
	PathAllocation time.Duration `json:"path_allocation_ns"`
	DatabaseQuery  time.Duration `json:"database_query_ns"`
	// Error rates are percentages of failed requests, not fractions.
	ErrorRateWarning  float64 `json:"error_rate_warning"`
	ErrorRateCritical float64 `json:"error_rate_critical"`
}

// DefaultThresholds are the limits from the operations procedures.
func DefaultThresholds() Thresholds {
	return Thresholds{
		HSMResponse:       100 * time.Millisecond,
		Signature:         10 * time.Millisecond,
		PathAllocation:    500 * time.Millisecond,
		DatabaseQuery:     50 * time.Millisecond,
		ErrorRateWarning:  0.1,
		ErrorRateCritical: 1.0,
	}
}

// CheckResult is one evaluated check, already worded for display.
type CheckResult struct {
	Name      CheckName   `json:"name"`
	State     HealthState `json:"state"`
	Value     string      `json:"value"`
	Threshold string      `json:"threshold"`
	Message   string      `json:"message"`
}

// latencyCheck is shared by the checks that fail on error and warn when slow.
func latencyCheck(name CheckName, what string, d, limit time.Duration, err error) CheckResult {
	r := CheckResult{Name: name, Threshold: "> " + formatMillis(limit)}
	switch {
	case err != nil:
		r.State, r.Value = HealthFailed, "error"
		r.Message = fmt.Sprintf("%s failed: %v", what, err)
	case d > limit:
		r.State, r.Value = HealthWarning, formatMillis(d)
		r.Message = fmt.Sprintf("%s took %s, above %s", what, r.Value, formatMillis(limit))
	default:
		r.State, r.Value = HealthHealthy, formatMillis(d)
		r.Message = fmt.Sprintf("%s took %s", what, r.Value)
	}
	return r
}

// HSMConnectivity fails when the HSM cannot be reached and warns when it
// answers slowly.
func (t Thresholds) HSMConnectivity(latency time.Duration, err error) CheckResult {
	return latencyCheck(CheckHSMConnectivity, "HSM round trip", latency, t.HSMResponse, err)
}

// SignaturePerformance fails when a test signature cannot be made and warns
// when the average signature is slow.
func (t Thresholds) SignaturePerformance(avg time.Duration, err error) CheckResult {
	return latencyCheck(CheckSignaturePerformance, "test signature", avg, t.Signature, err)
}

// DatabaseResponse fails when the database cannot be queried and warns when
// it answers slowly.
func (t Thresholds) DatabaseResponse(latency time.Duration, err error) CheckResult {
	return latencyCheck(CheckDatabaseResponse, "database query", latency, t.DatabaseQuery, err)
}

// PathAllocationRate only ever warns: slow allocation delays provisioning but
// loses nothing.
func (t Thresholds) PathAllocationRate(avg time.Duration) CheckResult {
	return latencyCheck(CheckPathAllocationRate, "path allocation", avg, t.PathAllocation, nil)
}

// ErrorRate grades the share of failed requests in percent.
func (t Thresholds) ErrorRate(errors, total int64) CheckResult {
	r := CheckResult{
		Name:      CheckErrorRate,
		Threshold: fmt.Sprintf("> %s warning, > %s failed", formatPercent(t.ErrorRateWarning), formatPercent(t.ErrorRateCritical)),
	}
	if total <= 0 {
		// Nothing was attempted, so nothing went wrong.
		r.State, r.Value, r.Message = HealthHealthy, "no traffic", "no requests in the measured period"
		return r
	}
	pct := float64(errors) * 100 / float64(total)
	r.Value = formatPercent(pct)
	if errors > 0 && r.Value == "0 %" {
		// Do not display a non-zero rate as zero.
		r.Value = "< 0.01 %"
	}
	r.Message = fmt.Sprintf("%d errors in %d requests (%s)", errors, total, r.Value)
	switch {
	case pct > t.ErrorRateCritical:
		r.State = HealthFailed
	case pct > t.ErrorRateWarning:
		r.State = HealthWarning
	default:
		r.State = HealthHealthy
	}
	return r
}

// SecurityAlerts fails on any open critical alert and warns on any open
// warning: every alert needs an operator's attention.
func (t Thresholds) SecurityAlerts(openWarnings, openCritical int) CheckResult {
	r := CheckResult{
		Name:      CheckSecurityAlerts,
		Threshold: "> 0 open",
		Value:     fmt.Sprintf("%d critical, %d warning", openCritical, openWarnings),
	}
	switch {
	case openCritical > 0:
		r.State = HealthFailed
		r.Message = fmt.Sprintf("%d critical security alert(s) open", openCritical)
	case openWarnings > 0:
		r.State = HealthWarning
		r.Message = fmt.Sprintf("%d security warning(s) open", openWarnings)
	default:
		r.State = HealthHealthy
		r.Message = "no open security alerts"
	}
	return r
}

// Overall folds check results into a state: unhealthy if any check failed,
// else warning if any warned, else unknown if any check is unknown (or was
// not run), else healthy. With no results nothing is known. An unknown check
// never reads as healthy: a wallet whose signatures nobody measured is not
// known to sign well.
func Overall(results []CheckResult) HealthState {
	if len(results) == 0 {
		return HealthUnknown
	}
	state := HealthHealthy
	for _, r := range results {
		switch r.State {
		case HealthFailed, HealthUnhealthy:
			return HealthUnhealthy
		case HealthWarning:
			state = HealthWarning
		case HealthHealthy:
		default: // unknown, or a state this version does not know
			if state == HealthHealthy {
				state = HealthUnknown
			}
		}
	}
	return state
}

// formatMillis shows milliseconds with one decimal, or three below 1 ms so
// fast HSM operations do not read as zero.
func formatMillis(d time.Duration) string {
	ms := float64(d) / float64(time.Millisecond)
	prec := 1
	if ms < 1 && ms > -1 {
		prec = 3
	}
	return trimZeros(strconv.FormatFloat(ms, 'f', prec, 64)) + " ms"
}

func formatPercent(p float64) string {
	return trimZeros(strconv.FormatFloat(p, 'f', 2, 64)) + " %"
}

// trimZeros drops a redundant fraction so limits read "100 ms", not "100.0 ms".
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}
