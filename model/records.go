package model

import "time"

// This file: the records both front ends read through the operations layer
// (the operations log filter and its chain check, the health inputs and
// history). store returns them, ui shows them; neither keeps a copy of its own.

// OpFilter selects rows of the operations log; zero fields match everything.
type OpFilter struct {
	Wallet    *int      `json:"wallet,omitempty"`
	Type      string    `json:"type,omitempty"`     // exact operation type
	Operator  string    `json:"operator,omitempty"` // initiated_by or db_user, exact
	Since     time.Time `json:"since,omitzero"`
	Until     time.Time `json:"until,omitzero"`
	BeforeSeq int64     `json:"before_seq,omitempty"` // for paging back: only rows with seq < BeforeSeq
	Limit     int       `json:"limit,omitempty"`      // 0: the source's default
}

// AuditReport is the result of checking the operations log's hash chain.
type AuditReport struct {
	Rows     int64  `json:"rows"`
	OK       bool   `json:"ok"`                  // the chain is whole and every ceremony key and proof verifies
	BrokenAt int64  `json:"broken_at,omitempty"` // seq of the first row that fails (0 when the chain is whole)
	Problem  string `json:"problem,omitempty"`   // what is wrong with it
	// Keys is how many imported ceremonies' keys and backup proofs were
	// verified again (KeyCheck); KeyProblems those that did not verify.
	Keys        int          `json:"keys_checked"`
	KeyProblems []KeyProblem `json:"key_problems,omitempty"`
}

// KeyProblem is a wallet whose recorded master key or backup proof does not
// verify: the database cannot check Ed25519, so the console does.
type KeyProblem struct {
	Wallet     int    `json:"wallet"`
	CeremonyID string `json:"ceremony_id"`
	Problem    string `json:"problem"`
}

// ChainOK reports whether the hash chain itself is whole.
func (r AuditReport) ChainOK() bool { return r.BrokenAt == 0 && r.Problem == "" }

// HealthInput is what the database knows for one wallet's health checks: the
// latest daily metrics (seed 001's wallet_health_metrics) and open alerts.
type HealthInput struct {
	Version     int         `json:"version"`
	Name        string      `json:"name"`
	Status      Status      `json:"status"`
	Environment Environment `json:"environment"`
	// MetricDate is the day of the latest metrics row; nil when none is
	// recorded, and then the averages are nil too.
	MetricDate     *time.Time     `json:"metric_date,omitempty"`
	AllocationAvg  *time.Duration `json:"allocation_avg_ns,omitempty"`
	SignatureAvg   *time.Duration `json:"signature_avg_ns,omitempty"`
	HSMResponseAvg *time.Duration `json:"hsm_response_avg_ns,omitempty"`
	Errors         int64          `json:"errors"`
	Requests       int64          `json:"requests"`
	OpenWarnings   int            `json:"open_warnings"` // open or acknowledged security alerts
	OpenCritical   int            `json:"open_critical"`
}

// HealthPoint is one stored result of one check (wallet_health_checks).
// Value is in the check's own unit: milliseconds for the timing checks,
// percent for error_rate, open alerts for security_alerts; nil when the run
// recorded none.
type HealthPoint struct {
	Wallet int         `json:"wallet"`
	Check  CheckName   `json:"check"`
	At     time.Time   `json:"at"`
	State  HealthState `json:"state"`
	Value  *float64    `json:"value,omitempty"`
}
