package model

import (
	"errors"
	"strings"
	"testing"
)

func TestAllocationAllowedEveryStatusAndType(t *testing.T) {
	// want[status] is the set of types taken with no rollout.
	want := map[Status][]string{
		StatusCreated:     nil,
		StatusValidated:   nil,
		StatusDeployed:    {AllocationTest},
		StatusActive:      {AllocationProduction, AllocationTest, AllocationDevelopment, AllocationReserved},
		StatusInactive:    nil,
		StatusDeprecated:  nil,
		StatusRetired:     nil,
		StatusCompromised: nil,
	}
	if len(want) != len(AllStatuses) {
		t.Fatalf("test covers %d statuses, the model has %d", len(want), len(AllStatuses))
	}
	for _, s := range AllStatuses {
		for _, typ := range AllocationTypes {
			err := AllocationAllowed(3, s, typ, NoRollout)
			taken := false
			for _, w := range want[s] {
				taken = taken || w == typ
			}
			if taken && err != nil {
				t.Errorf("%s wallet refused %s: %v", s, typ, err)
			}
			if !taken {
				var re *AllocationRuleError
				if !errors.As(err, &re) {
					t.Errorf("%s wallet took %s (err %v); want an *AllocationRuleError", s, typ, err)
					continue
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, "v3 is "+string(s)+": ") || !strings.HasSuffix(msg, "; "+AllocationFix) {
					t.Errorf("%s/%s: %q does not say which wallet, its status and what to do", s, typ, msg)
				}
			}
		}
	}
}

func TestAllocationAllowedMessages(t *testing.T) {
	tests := []struct {
		s     Status
		typ   string
		share float64
		want  string // "" = allowed
	}{
		{StatusDeployed, "production", 0, "v3 is deployed: it takes test allocations only until a rollout gives it traffic; allocate in an active wallet (console status lists them)"},
		{StatusDeployed, "development", 0, "v3 is deployed: it takes test allocations only (development allocations wait until it is active)"},
		{StatusDeployed, "test", 0, ""},
		// The hook for rollouts: with traffic, production too, and still not reserved.
		{StatusDeployed, "production", 12.5, ""},
		{StatusDeployed, "reserved", 12.5, "v3 is deployed: it takes test and production allocations only (reserved allocations wait until it is active)"},
		{StatusActive, "reserved", 0, ""},
		{StatusCreated, "test", 0, "v3 is created: it takes no allocations before it is deployed"},
		{StatusValidated, "test", 0, "v3 is validated: it takes no allocations before it is deployed"},
		{StatusInactive, "production", 0, "v3 is inactive: it takes no allocations while it is inactive"},
		{StatusDeprecated, "production", 100, "v3 is deprecated: it takes only allocations made by a migration"},
		{StatusRetired, "test", 0, "v3 is retired: it takes no allocations any more"},
		{StatusCompromised, "test", 50, "v3 is compromised: it takes no allocations any more"},
		// A traffic share opens nothing but a deployed wallet.
		{StatusValidated, "production", 100, "v3 is validated"},
	}
	for _, tt := range tests {
		err := AllocationAllowed(3, tt.s, tt.typ, tt.share)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s %s (share %v): refused: %v", tt.s, tt.typ, tt.share, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s %s (share %v): %v; want it to say %q", tt.s, tt.typ, tt.share, err, tt.want)
		}
	}
}

func TestAllocationAllowedBadInput(t *testing.T) {
	if err := AllocationAllowed(1, StatusActive, "Production", 0); err == nil || !strings.Contains(err.Error(), `allocation type "Production" is not one of production, test`) {
		t.Errorf("a type in the wrong case: %v", err)
	}
	if err := AllocationAllowed(1, StatusActive, "bogus", 0); err == nil || !strings.Contains(err.Error(), `"bogus"`) {
		t.Errorf("unknown type: %v", err)
	}
	if err := AllocationAllowed(1, "live", "test", 0); err == nil || !strings.Contains(err.Error(), `unknown status "live"`) {
		t.Errorf("unknown status: %v", err)
	}
	if typ, err := ParseAllocationType(" Test "); err != nil || typ != "test" {
		t.Errorf("ParseAllocationType(\" Test \") = %q, %v", typ, err)
	}
	r := AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 5}.Normalized()
	if r.Type != "production" || r.RangeStart != 1 {
		t.Errorf("defaults: %+v", r)
	}
}

func TestAllocationTypesForIsACopy(t *testing.T) {
	ts := AllocationTypesFor(StatusActive, 0)
	ts[0] = "mangled"
	if AllocationTypes[0] != "production" {
		t.Fatal("AllocationTypesFor handed out the package's own slice")
	}
}
