package model

// This file: what a use case reports before it changes anything (its plan
// and its checks) and after (what changed). The flow runner in ui shows
// them, the CLI prints them; ops fills them.

// CheckState is the outcome of one precondition check.
type CheckState string

const (
	CheckPass CheckState = "pass"
	CheckWarn CheckState = "warn" // shown, does not block
	CheckFail CheckState = "fail" // blocks the run
)

// Check is one precondition of a change, with its evidence.
type Check struct {
	Name     string     `json:"name"`     // what was checked, in the operator's words
	State    CheckState `json:"state"`    // pass, warn or fail
	Evidence string     `json:"evidence"` // what was found
	// Fix says what to do when the check fails; "" when it passed.
	Fix string `json:"fix,omitempty"`
}

// Blocking reports whether any check failed, or says neither pass nor
// warn: a check that does not say it passed does not let a change through.
func Blocking(cs []Check) bool {
	for _, c := range cs {
		if c.State != CheckPass && c.State != CheckWarn {
			return true
		}
	}
	return false
}

// Plan is what a change will do, before it runs.
type Plan struct {
	Title  string   `json:"title"`  // "Allocate 2.3.4.5 in v1"
	Target string   `json:"target"` // what it acts on: "v1", "WCR-2026-11-30-001"
	Steps  []string `json:"steps"`  // what will happen, in order
	// Destructive changes are confirmed by typing Target.
	Destructive bool `json:"destructive"`
}

// Outcome is what a change did.
type Outcome struct {
	Summary string   `json:"summary"` // one line: "allocated 2.3.4.5 in v1 (1,000 identifiers)"
	Changes []string `json:"changes"` // each thing that changed
	// AuditSeqs are the operations log rows the change wrote.
	AuditSeqs []int64 `json:"audit_seqs"`
}
