package model

import (
	"fmt"
	"slices"
	"strings"
)

// This file: which wallet statuses take which allocation types (DESIGN.md,
// "Which wallets take allocations"), and the allocation request both front
// ends fill. migrations/010_allocation_rule.sql holds the same rule for the
// database (wallet_allocation_refusal) with the same words; a store test
// compares the two for every status and type, so edit both together.

// The allocation types (AllocationTypes lists them in the schema's order).
const (
	AllocationProduction  = "production"
	AllocationTest        = "test"
	AllocationDevelopment = "development"
	AllocationReserved    = "reserved"
)

// NoRollout is the traffic share of a deployed wallet that no rollout gives
// traffic (before its go gate, or after a rollback): with it, a deployed
// wallet takes test allocations only. With a share above 0 it takes
// production too; the database reads the share from wallet_traffic_share,
// which only the rollout functions write.
const NoRollout = 0.0

// AllocationFix is what to do when a wallet refuses an allocation.
const AllocationFix = "allocate in an active wallet (console status lists them)"

// AllocationRequest is an operator's request for a path range in a wallet,
// as the CLI's flags and the UI's allocation form fill it. The manufacturer
// is the path's first component.
type AllocationRequest struct {
	Wallet     int    `json:"wallet"`
	Path       string `json:"path"`
	Type       string `json:"type"`     // "" means production
	Quantity   int    `json:"quantity"` // identifiers, from RangeStart on
	RangeStart int    `json:"range_start,omitempty"`
	Purpose    string `json:"purpose,omitempty"`
}

// Normalized returns r with the defaults filled in: type production, range
// start 1.
func (r AllocationRequest) Normalized() AllocationRequest {
	if strings.TrimSpace(r.Type) == "" {
		r.Type = AllocationProduction
	}
	r.Type = strings.ToLower(strings.TrimSpace(r.Type))
	if r.RangeStart == 0 {
		r.RangeStart = 1
	}
	return r
}

// ParseAllocationType accepts an allocation type regardless of case and
// surrounding blanks.
func ParseAllocationType(s string) (string, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if slices.Contains(AllocationTypes, t) {
		return t, nil
	}
	return "", fmt.Errorf("allocation type %q is not one of %s", s, strings.Join(AllocationTypes, ", "))
}

// AllocationRuleError is a wallet refusing an allocation type because of its
// status. Error() is the whole sentence: what and why, then what to do.
type AllocationRuleError struct {
	Wallet int
	Status Status
	Type   string
	Reason string // "it takes test allocations only until a rollout gives it traffic"
	Fix    string
}

func (e *AllocationRuleError) Error() string {
	return fmt.Sprintf("%s is %s: %s; %s", VersionName(e.Wallet), e.Status, e.Reason, e.Fix)
}

// AllocationTypesFor lists the types a wallet in status s takes through
// normal allocation, given the share of traffic (0–100) a rollout gives it.
//
//   - active: every type.
//   - deployed: test; production too while trafficShare > 0. Development and
//     reserved wait until it is active: a deployed wallet is on trial and may
//     be rolled back, and an allocation cannot be taken back, so only what
//     DESIGN.md names goes in (widening later is easy, narrowing is not).
//   - deprecated: only allocations made by a migration, which is not normal
//     allocation (the migration engine is a later issue): none here.
//   - any other status: none.
func AllocationTypesFor(s Status, trafficShare float64) []string {
	switch s {
	case StatusActive:
		return slices.Clone(AllocationTypes)
	case StatusDeployed:
		if trafficShare > 0 {
			return []string{AllocationProduction, AllocationTest}
		}
		return []string{AllocationTest}
	}
	return nil
}

// AllocationAllowed says whether wallet (in status s) takes an allocation of
// allocType by normal allocation; the refusal is an *AllocationRuleError in
// the operator's words.
func AllocationAllowed(wallet int, s Status, allocType string, trafficShare float64) error {
	if !s.Valid() {
		return unknownStatus(string(s))
	}
	if !slices.Contains(AllocationTypes, allocType) {
		return fmt.Errorf("allocation type %q is not one of %s", allocType, strings.Join(AllocationTypes, ", "))
	}
	if slices.Contains(AllocationTypesFor(s, trafficShare), allocType) {
		return nil
	}
	refuse := func(reason string) error {
		return &AllocationRuleError{Wallet: wallet, Status: s, Type: allocType, Reason: reason, Fix: AllocationFix}
	}
	switch s {
	case StatusDeployed:
		if trafficShare > 0 {
			return refuse(fmt.Sprintf("it takes test and production allocations only (%s allocations wait until it is active)", allocType))
		}
		if allocType == AllocationProduction {
			return refuse("it takes test allocations only until a rollout gives it traffic")
		}
		return refuse(fmt.Sprintf("it takes test allocations only (%s allocations wait until it is active)", allocType))
	case StatusCreated, StatusValidated:
		return refuse("it takes no allocations before it is deployed")
	case StatusInactive:
		return refuse("it takes no allocations while it is inactive")
	case StatusDeprecated:
		return refuse("it takes only allocations made by a migration, none by hand")
	default: // retired, compromised
		return refuse("it takes no allocations any more")
	}
}
