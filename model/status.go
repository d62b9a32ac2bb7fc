// Package model holds the domain rules of the wallet console: the wallet
// version lifecycle, base path syntax and the health check thresholds.
// It does no I/O so the same rules can be tested in isolation and mirrored
// one-to-one by the PostgreSQL schema.
package model

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Status is the lifecycle state of a wallet version. The string values are
// stored in the database, so they must not change.
type Status string

const (
	StatusCreated     Status = "created"
	StatusValidated   Status = "validated"
	StatusDeployed    Status = "deployed"
	StatusActive      Status = "active"
	StatusInactive    Status = "inactive"
	StatusDeprecated  Status = "deprecated"
	StatusRetired     Status = "retired"
	StatusCompromised Status = "compromised"
)

// AllStatuses lists every status in lifecycle order, for menus and messages.
var AllStatuses = []Status{
	StatusCreated,
	StatusValidated,
	StatusDeployed,
	StatusActive,
	StatusInactive,
	StatusDeprecated,
	StatusRetired,
	StatusCompromised,
}

// Transition is one allowed edge of the lifecycle; Action is the verb the
// operator uses for it (and the audit log records).
type Transition struct {
	From   Status `json:"from"`
	To     Status `json:"to"`
	Action string `json:"action"`
}

// Transitions is the complete lifecycle: anything not listed is illegal.
// The database trigger enforces the same table, so edit both together.
var Transitions = []Transition{
	{StatusCreated, StatusValidated, "validate"},
	{StatusValidated, StatusDeployed, "deploy"},
	{StatusDeployed, StatusActive, "activate"},
	{StatusActive, StatusDeprecated, "deprecate"},
	{StatusDeprecated, StatusRetired, "retire"},
	{StatusActive, StatusInactive, "deactivate"},
	{StatusInactive, StatusActive, "reactivate"},
	{StatusCompromised, StatusRetired, "retire"},
	// A key can turn out compromised at any point before it is retired.
	{StatusCreated, StatusCompromised, "compromise"},
	{StatusValidated, StatusCompromised, "compromise"},
	{StatusDeployed, StatusCompromised, "compromise"},
	{StatusActive, StatusCompromised, "compromise"},
	{StatusInactive, StatusCompromised, "compromise"},
	{StatusDeprecated, StatusCompromised, "compromise"},
}

// Valid reports whether s is one of the known statuses.
func (s Status) Valid() bool {
	for _, v := range AllStatuses {
		if s == v {
			return true
		}
	}
	return false
}

// IsFinal reports whether no transition leaves s. It is derived from the
// table so it cannot drift from it.
func (s Status) IsFinal() bool {
	return s.Valid() && len(NextStatuses(s)) == 0
}

func (s Status) String() string { return string(s) }

// ParseStatus accepts a status name regardless of case and surrounding
// blanks, since it usually comes from operator input.
func ParseStatus(s string) (Status, error) {
	st := Status(strings.ToLower(strings.TrimSpace(s)))
	if !st.Valid() {
		return "", unknownStatus(s)
	}
	return st, nil
}

func unknownStatus(s string) error {
	return fmt.Errorf("unknown status %q (valid statuses are: %s)", s, joinStatuses(AllStatuses))
}

func joinStatuses(ss []Status) string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = string(s)
	}
	return strings.Join(names, ", ")
}

// NextStatuses returns the states reachable from from in one step, in table
// order; nil for a final or unknown status.
func NextStatuses(from Status) []Status {
	var next []Status
	for _, t := range Transitions {
		if t.From == from {
			next = append(next, t.To)
		}
	}
	return next
}

// CheckTransition returns the action for from → to, or an error that tells
// the operator which moves would have been allowed instead.
func CheckTransition(from, to Status) (action string, err error) {
	if !from.Valid() {
		return "", unknownStatus(string(from))
	}
	if !to.Valid() {
		return "", unknownStatus(string(to))
	}
	for _, t := range Transitions {
		if t.From == from && t.To == to {
			return t.Action, nil
		}
	}
	if from.IsFinal() {
		return "", fmt.Errorf("illegal status transition %s → %s (%s is final)", from, to, from)
	}
	return "", fmt.Errorf("illegal status transition %s → %s (from %s the allowed next states are: %s)",
		from, to, from, joinStatuses(NextStatuses(from)))
}

// Environment is where a wallet version is deployed.
type Environment string

const (
	EnvironmentProduction  Environment = "production"
	EnvironmentTesting     Environment = "testing"
	EnvironmentDevelopment Environment = "development"
)

// AllEnvironments lists the environments from most to least critical.
var AllEnvironments = []Environment{EnvironmentProduction, EnvironmentTesting, EnvironmentDevelopment}

func (e Environment) String() string { return string(e) }

// ParseEnvironment accepts an environment name regardless of case and
// surrounding blanks.
func ParseEnvironment(s string) (Environment, error) {
	e := Environment(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range AllEnvironments {
		if e == v {
			return e, nil
		}
	}
	return "", fmt.Errorf("unknown environment %q (valid environments are: production, testing, development)", s)
}

// SecurityLevel is the protection class of a wallet version's key.
type SecurityLevel string

const (
	SecurityLevelStandard     SecurityLevel = "standard"
	SecurityLevelHigh         SecurityLevel = "high"
	SecurityLevelExperimental SecurityLevel = "experimental"
)

// AllSecurityLevels lists the security levels in display order.
var AllSecurityLevels = []SecurityLevel{SecurityLevelStandard, SecurityLevelHigh, SecurityLevelExperimental}

func (l SecurityLevel) String() string { return string(l) }

// ParseSecurityLevel accepts a level name regardless of case and
// surrounding blanks.
func ParseSecurityLevel(s string) (SecurityLevel, error) {
	l := SecurityLevel(strings.ToLower(strings.TrimSpace(s)))
	for _, v := range AllSecurityLevels {
		if l == v {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown security level %q (valid security levels are: standard, high, experimental)", s)
}

// VersionName is the display form of a wallet version number.
func VersionName(n int) string { return "v" + strconv.Itoa(n) }

// ParseVersion accepts "v3", "V3" or "3". The upper bound matches the
// database's integer column.
func ParseVersion(s string) (int, error) {
	bad := func(why string) error {
		return fmt.Errorf("invalid wallet version %q: %s; expected a wallet version like v2 or 2", s, why)
	}
	d := strings.TrimSpace(s)
	if d == "" {
		return 0, bad("it is empty")
	}
	if d[0] == 'v' || d[0] == 'V' {
		d = d[1:]
	}
	if strings.HasPrefix(d, "-") && d != "-" && isDigits(d[1:]) {
		return 0, bad("versions are not negative")
	}
	if !isDigits(d) {
		return 0, bad("it is not a number")
	}
	n, err := strconv.ParseInt(d, 10, 64)
	if err != nil || n > math.MaxInt32 {
		// Only a range error is possible after isDigits.
		return 0, bad("the version number is too large (at most 2147483647)")
	}
	if n == 0 {
		return 0, bad("versions start at 1")
	}
	return int(n), nil
}

// isDigits reports whether s is non-empty and only ASCII digits; strconv
// alone would also accept signs.
func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
