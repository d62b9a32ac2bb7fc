package ops_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// One TestMain per package: if another ops test file needs the cluster, it
// shares this one.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// allocationFixture: v1 active with Plings (1) and IKEA (2), 2.3 allocated
// in it and 2.9 allocated then retired; v3 deployed with IKEA. The Service
// acts as the operator alice, as a console would.
func allocationFixture(t *testing.T, readOnly bool) (admin *store.DB, svc *ops.Service, name string) {
	t.Helper()
	ctx := context.Background()
	name = pgtest.NewDatabase(t)
	admin, err := store.Open(ctx, store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	for _, w := range []struct {
		v    int
		walk []model.Status
	}{{1, []model.Status{"validated", "deployed", "active"}}, {3, []model.Status{"validated", "deployed"}}} {
		if err := admin.CreateWallet(ctx, store.NewWallet{Version: w.v}, "tester"); err != nil {
			t.Fatal(err)
		}
		for i, m := range []string{"Plings", "IKEA"} {
			if err := admin.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: w.v, Index: i + 1, Name: m}, "tester"); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range w.walk {
			if err := admin.SetStatus(ctx, w.v, s, store.Op{Type: "wallet_" + string(s)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, p := range []string{"2.3", "2.9"} {
		if _, err := admin.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: p, Quantity: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.Pool().Exec(ctx, "UPDATE path_registry SET status = 'retired' WHERE base_path = '2.9'"); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Pool().Exec(ctx, "UPDATE manufacturer_registry SET status = 'suspended' WHERE wallet_version = 1 AND manufacturer_index = 1"); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(ctx, store.Options{DSN: pgtest.DSNAs(t, name, "alice"), ReadOnly: readOnly})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	svc = ops.New(db)
	svc.Actor = "alice at the console"
	return admin, svc, name
}

func written(t *testing.T, db *store.DB) int {
	t.Helper()
	var n int
	if err := db.Pool().QueryRow(context.Background(),
		"SELECT (SELECT count(*) FROM path_registry) + (SELECT count(*) FROM wallet_operations_log)").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func check(cs []model.Check, name string) (model.Check, bool) {
	for _, c := range cs {
		if c.Name == name {
			return c, true
		}
	}
	return model.Check{}, false
}

func TestPlanAndAllocate(t *testing.T) {
	admin, svc, _ := allocationFixture(t, false)
	ctx := context.Background()
	req := model.AllocationRequest{Wallet: 1, Path: "2.4.5", Quantity: 1000, Purpose: "spring batch"}
	before := written(t, admin)
	plan, checks, err := svc.PlanAllocation(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if written(t, admin) != before {
		t.Fatal("planning wrote to the database")
	}
	if plan.Title != "Allocate 2.4.5 in v1" || plan.Target != "v1" || plan.Destructive || len(plan.Steps) != 2 ||
		!strings.Contains(plan.Steps[0], "production, 1,000 identifiers (instances 1–1,000), HD prefix m/44'/501'/1'/2'/4'/5'") {
		t.Errorf("plan: %+v", plan)
	}
	for _, name := range []string{ops.CheckWallet, ops.CheckPath, ops.CheckQuantity, ops.CheckType, ops.CheckManufacturer, ops.CheckOverlap} {
		c, ok := check(checks, name)
		if !ok || c.State != model.CheckPass || c.Evidence == "" {
			t.Errorf("check %q: %+v (present %v); want a pass with evidence", name, c, ok)
		}
	}
	if c, _ := check(checks, ops.CheckManufacturer); !strings.Contains(c.Evidence, "manufacturer 2 (IKEA) is registered in v1") {
		t.Errorf("manufacturer evidence: %q", c.Evidence)
	}

	a, out, err := svc.Allocate(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if a.Path.String() != "2.4.5" || a.RangeEnd != 1000 || a.Type != "production" || a.HDPrefix != "m/44'/501'/1'/2'/4'/5'" {
		t.Errorf("allocation: %+v", a)
	}
	if out.Summary != "allocated 2.4.5 in v1 (1,000 identifiers)" || len(out.Changes) != 1 || len(out.AuditSeqs) != 1 {
		t.Fatalf("outcome: %+v", out)
	}
	var typ, path, by, login string
	if err := admin.Pool().QueryRow(ctx, `SELECT operation_type, operation_details->>'base_path', initiated_by, db_user
		FROM wallet_operations_log WHERE seq = $1`, out.AuditSeqs[0]).Scan(&typ, &path, &by, &login); err != nil {
		t.Fatalf("audit row %d: %v", out.AuditSeqs[0], err)
	}
	if typ != "path_allocation" || path != "2.4.5" || by != "alice at the console" || login != "alice" {
		t.Errorf("audit row %d: %s %s by %s (login %s)", out.AuditSeqs[0], typ, path, by, login)
	}

	// A test allocation in the deployed wallet is taken.
	if _, _, err := svc.Allocate(ctx, model.AllocationRequest{Wallet: 3, Path: "2.1", Type: "test", Quantity: 5}); err != nil {
		t.Errorf("test allocation in deployed v3: %v", err)
	}
}

func TestAllocationChecksRefuse(t *testing.T) {
	admin, svc, _ := allocationFixture(t, false)
	ctx := context.Background()
	cases := []struct {
		req      model.AllocationRequest
		check    string
		evidence string
		fix      string
	}{
		{model.AllocationRequest{Wallet: 99, Path: "2.3", Quantity: 1}, ops.CheckWallet, "wallet v99 does not exist", "console status lists them"},
		{model.AllocationRequest{Wallet: 1, Path: "2..3", Quantity: 1}, ops.CheckPath, "component 2 is empty", "like 2.3.4.5.10"},
		{model.AllocationRequest{Wallet: 1, Path: "2.4", Quantity: 0}, ops.CheckQuantity, "quantity must be at least 1", "at least 1 identifier"},
		{model.AllocationRequest{Wallet: 1, Path: "2.4", Quantity: 1000, RangeStart: 2147483000}, ops.CheckQuantity, "would end at 2147483999, above the maximum index", "at most 2,147,483,647"},
		{model.AllocationRequest{Wallet: 1, Path: "2.4", Quantity: 1, Type: "bogus"}, ops.CheckType, `allocation type "bogus"`, "production, test"},
		{model.AllocationRequest{Wallet: 3, Path: "2.4", Quantity: 1}, ops.CheckType,
			"v3 is deployed: it takes test allocations only until a rollout gives it traffic", "allocate in an active wallet (console status lists them)"},
		{model.AllocationRequest{Wallet: 1, Path: "7.4", Quantity: 1}, ops.CheckManufacturer, "manufacturer 7 is not registered in v1", "console show v1 lists them"},
		{model.AllocationRequest{Wallet: 1, Path: "2.3.1", Quantity: 1}, ops.CheckOverlap, "path 2.3.1 overlaps 2.3 in wallet v1: 2.3 is already allocated and is its ancestor", "neither a prefix nor an extension"},
		{model.AllocationRequest{Wallet: 1, Path: "2", Quantity: 1}, ops.CheckOverlap, "path 2 overlaps 2.3 in wallet v1", "neither a prefix"},
		{model.AllocationRequest{Wallet: 1, Path: "2.3", Quantity: 1}, ops.CheckOverlap, "path 2.3 is already allocated in wallet v1", "choose a path"},
		{model.AllocationRequest{Wallet: 1, Path: "2.9", Quantity: 1}, ops.CheckOverlap, "path 2.9 was allocated before in wallet v1 (now retired)", "never reused"},
	}
	before := written(t, admin)
	for _, c := range cases {
		_, checks, err := svc.PlanAllocation(ctx, c.req)
		if err != nil {
			t.Errorf("%+v: plan: %v", c.req, err)
			continue
		}
		got, ok := check(checks, c.check)
		if !ok || got.State != model.CheckFail || !strings.Contains(got.Evidence, c.evidence) || !strings.Contains(got.Fix, c.fix) {
			t.Errorf("%+v: check %q = %+v (present %v); want a failure saying %q, fix %q", c.req, c.check, got, ok, c.evidence, c.fix)
		}
		if !model.Blocking(checks) {
			t.Errorf("%+v: checks do not block", c.req)
		}
		_, _, err = svc.Allocate(ctx, c.req)
		var refused *ops.AllocationRefused
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), c.evidence) {
			t.Errorf("%+v: Allocate: %v; want *ops.AllocationRefused saying %q", c.req, err, c.evidence)
		}
	}
	if n := written(t, admin); n != before {
		t.Errorf("refused allocations wrote %d rows", n-before)
	}
	// A suspended manufacturer warns without blocking.
	_, checks, err := svc.PlanAllocation(ctx, model.AllocationRequest{Wallet: 1, Path: "1.5", Type: "test", Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := check(checks, ops.CheckManufacturer); c.State != model.CheckWarn || !strings.Contains(c.Evidence, "Plings") || !strings.Contains(c.Evidence, "suspended") {
		t.Errorf("suspended manufacturer: %+v", c)
	}
	if model.Blocking(checks) {
		t.Errorf("a warning blocked: %+v", checks)
	}
}

// A read-only console plans but cannot allocate, and says so first.
func TestAllocationReadOnly(t *testing.T) {
	admin, svc, _ := allocationFixture(t, true)
	ctx := context.Background()
	req := model.AllocationRequest{Wallet: 1, Path: "2.4", Quantity: 1}
	before := written(t, admin)
	_, checks, err := svc.PlanAllocation(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := check(checks, ops.CheckWritable); !ok || c.State != model.CheckFail || !strings.Contains(c.Evidence, "read-only (--read-only)") {
		t.Errorf("writable check: %+v (present %v)", c, ok)
	}
	if _, _, err := svc.Allocate(ctx, req); err == nil || !strings.Contains(err.Error(), "this console is read-only (--read-only): nothing was changed") {
		t.Errorf("Allocate read-only: %v", err)
	}
	if n := written(t, admin); n != before {
		t.Errorf("a read-only console wrote %d rows", n-before)
	}
}
