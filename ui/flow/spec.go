// Package flow is the one runner every guided flow goes through: a flow is
// a value (Spec) that declares its fields, its plan and checks, its
// confirmation and its run; the Runner walks it through
//
//	input → plan and checks → confirm → run (a background job, with
//	progress) → result
//
// so that every state change in the console asks first (y/N, or the
// target's name typed for anything destructive), shows what was checked,
// keeps running when the operator looks elsewhere, and ends by saying what
// changed and which audit rows it wrote.
package flow

import (
	"context"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/jobs"
)

// FieldKind is how a field takes its value.
type FieldKind int

const (
	Text   FieldKind = iota
	Choice           // ←/→ through Choices
	Secret           // typed, shown as a count, never echoed
)

// Field is one input the operator fills in before the plan.
type Field struct {
	Key      string // the key in Values
	Label    string
	Kind     FieldKind
	Choices  []string
	Default  string
	Hint     string
	Required bool
}

// Values are the fields as filled in, by Key.
type Values map[string]string

// Spec is a guided flow.
type Spec struct {
	Name  string // the registry name
	Title string // "Allocate a path"
	// Fields are asked first; none means the flow starts at its plan.
	Fields []Field
	// Plan says what the run will do and checks its preconditions. It only
	// reads; it runs off the UI goroutine under the console's call timeout.
	// An error means the plan could not be made (the operator can retry).
	Plan func(ctx context.Context, in Values) (model.Plan, []model.Check, error)
	// Run makes the change. It runs as a job (no overall timeout; it bounds
	// its own calls), reports progress as it goes, and says what changed.
	Run func(ctx context.Context, in Values, report func(jobs.Progress)) (model.Outcome, error)
	// OneTransaction: Run is a single transaction with its audit row, so a
	// failed run changed nothing (and the runner says so).
	OneTransaction bool
	// Destructive: the change cannot be undone, whatever its plan says; its
	// confirmation is the plan's Target typed (the registry's Destructive).
	Destructive bool
	// JobTag is the run's job's tag (jobs.Job.Tag), by which other screens
	// find it (a migration's worker); "" for none.
	JobTag string
}
