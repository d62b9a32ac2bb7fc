package model

import "time"

// This file: the one evaluation of the six health checks of a wallet, for
// every front end (`console health`, `console status`, the inventory and the
// Health screen). The checks come from two places: what the console measures
// itself (the database always; the HSM and a test signature when an HSM is
// in use), shared by every wallet, and what the database stores per wallet
// (daily metrics, open alerts: HealthInput).

// Measurement is one live measurement: how long it took, or why it failed.
type Measurement struct {
	Took time.Duration
	Err  error
}

// LiveHealth is what the console measured itself, once for all wallets.
type LiveHealth struct {
	// Database is one query's round trip; nil while not measured yet.
	Database *Measurement
	// NoHSM says no HSM is in use: the HSM and signature checks then take
	// each wallet's stored daily averages instead of HSM and Signature.
	NoHSM bool
	// HSM is the token's round trip, Signature the average of a few test
	// signatures; nil while not measured yet. Ignored when NoHSM.
	HSM, Signature *Measurement
}

// IsLive says whether check name is measured by the console (and so shared
// by every wallet) rather than read from the wallet's stored inputs.
func (l LiveHealth) IsLive(name CheckName) bool {
	switch name {
	case CheckDatabaseResponse:
		return true
	case CheckHSMConnectivity, CheckSignaturePerformance:
		return !l.NoHSM
	}
	return false
}

// WalletHealth is one wallet's six checks, in AllChecks order, and its
// overall state (Overall of the six).
type WalletHealth struct {
	Version     int           `json:"version"`
	Name        string        `json:"name"`
	Status      Status        `json:"status"`
	Environment Environment   `json:"environment"`
	Overall     HealthState   `json:"overall"`
	Checks      []CheckResult `json:"checks"`
}

// Check returns the wallet's result of check name.
func (w WalletHealth) Check(name CheckName) CheckResult {
	for _, c := range w.Checks {
		if c.Name == name {
			return c
		}
	}
	return unknownResult(name, "not evaluated")
}

// EvaluateHealth grades one wallet's six checks against th: the live
// measurements where the console has them, the stored inputs otherwise. A
// check with nothing to go on is unknown (and so is the wallet, unless
// another check failed or warned). Messages are plain text from the
// database and the HSM; front ends make them safe to show.
func EvaluateHealth(in HealthInput, live LiveHealth, th Thresholds) WalletHealth {
	stored := " (stored average)"
	if in.MetricDate != nil {
		stored = " (stored daily average of " + in.MetricDate.UTC().Format(time.DateOnly) + ")"
	}
	fromStore := func(name CheckName, d *time.Duration, eval func(time.Duration) CheckResult) CheckResult {
		if d == nil {
			return unknownResult(name, "no measurement recorded")
		}
		r := eval(*d)
		r.Message += stored
		return r
	}
	fromLive := func(name CheckName, m *Measurement, eval func(time.Duration, error) CheckResult) CheckResult {
		if m == nil {
			return unknownResult(name, "not measured yet")
		}
		return eval(m.Took, m.Err)
	}
	var hsmCheck, signCheck CheckResult
	if live.NoHSM {
		hsmCheck = fromStore(CheckHSMConnectivity, in.HSMResponseAvg, func(d time.Duration) CheckResult { return th.HSMConnectivity(d, nil) })
		signCheck = fromStore(CheckSignaturePerformance, in.SignatureAvg, func(d time.Duration) CheckResult { return th.SignaturePerformance(d, nil) })
	} else {
		hsmCheck = fromLive(CheckHSMConnectivity, live.HSM, th.HSMConnectivity)
		signCheck = fromLive(CheckSignaturePerformance, live.Signature, th.SignaturePerformance)
	}
	errRate := th.ErrorRate(in.Errors, in.Requests)
	if in.MetricDate == nil {
		// No metrics row at all: "no traffic" would claim a quiet day that
		// nobody recorded.
		errRate = unknownResult(CheckErrorRate, "no daily metrics recorded")
	} else {
		errRate.Message += " (daily metrics of " + in.MetricDate.UTC().Format(time.DateOnly) + ")"
	}
	checks := []CheckResult{
		hsmCheck,
		signCheck,
		fromStore(CheckPathAllocationRate, in.AllocationAvg, th.PathAllocationRate),
		fromLive(CheckDatabaseResponse, live.Database, th.DatabaseResponse),
		errRate,
		th.SecurityAlerts(in.OpenWarnings, in.OpenCritical),
	}
	return WalletHealth{Version: in.Version, Name: in.Name, Status: in.Status, Environment: in.Environment,
		Overall: Overall(checks), Checks: checks}
}

// FleetOverall folds the wallets' overall states the way Overall folds
// checks: unhealthy, else warning, else unknown, else healthy. With no
// wallet nothing is unwell: healthy.
func FleetOverall(ws []WalletHealth) HealthState {
	if len(ws) == 0 {
		return HealthHealthy
	}
	rs := make([]CheckResult, len(ws))
	for i, w := range ws {
		rs[i].State = w.Overall
	}
	return Overall(rs)
}

func unknownResult(name CheckName, why string) CheckResult {
	return CheckResult{Name: name, State: HealthUnknown, Value: "—", Message: why}
}
