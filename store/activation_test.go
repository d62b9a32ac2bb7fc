package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// deployedFromCeremony imports a ceremony with its backup proof for the next
// version and walks it, as the owner, to deployed: what activation starts from.
func deployedFromCeremony(t *testing.T, l *logins, transcript string) int {
	t.Helper()
	ctx := context.Background()
	req, _, next, head, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	in := ceremonyFor(req, next, transcript)
	in.AuditHead = head
	if _, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil {
		t.Fatal(err)
	}
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := l.admin.SetStatus(ctx, next, s, store.Op{Type: "wallet_" + string(s)}); err != nil {
			t.Fatal(err)
		}
	}
	return next
}

// Each precondition of the activation refuses on its own, naming what is
// missing, and changes nothing; with all of them the seed's transaction
// runs whole: active, the default moved (the old one stays active), Plings
// index 1 in the new wallet, Plings' lineage, one audit row.
func TestActivation(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	activeWallet(t, l.admin, 1)
	mustExec(t, l.admin, "UPDATE wallet_versions SET is_default = true WHERE version_id = 1")
	v := deployedFromCeremony(t, l, "activation")
	rows := func() int { return count(t, l.admin, "SELECT count(*) FROM wallet_operations_log") }

	before := rows()
	_, err := l.alice.Activate(ctx, v, true, 1, "alice")
	for _, want := range []string{"no rollout of it reached 100 %", "no validation run of v2 passed all seven tests"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("activation before the rollout and the validation: %v; want %q", err, want)
		}
	}
	// Validated long ago does not count.
	mustExec(t, l.admin, `INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed, ran_at)
		SELECT '00000000-0000-0000-0000-0000000000cc', $1, 'test ' || g, 'critical', true, now() - interval '31 days' FROM generate_series(1, 7) g`, v)
	mustExec(t, l.admin, `INSERT INTO wallet_rollouts (wallet_version, from_wallet, step_weights, step_dwells, measure_interval, failure_limit,
		on_failure, gate_timeout, max_error_rate, max_allocation_ms, max_signature_ms, current_step, state, reason,
		go_approved_by, promotion_approved_by, started_by, finished_at)
		SELECT $1, coalesce((SELECT version_id FROM wallet_versions WHERE is_default), (SELECT min(version_id) FROM wallet_versions WHERE version_id <> $1)),
		'{1,100}', '{1 second,1 second}', '1 second', 2, 'rollback', '1 day', 0.1, 500, 10, 2, 'completed', 'completed (test fixture)',
		'carol', 'carol', 'bob', now()`, v)
	mustExec(t, l.admin, `WITH z AS (UPDATE wallet_traffic_share SET traffic_percentage = 0 WHERE wallet_version <> $1)
		INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES ($1, 100)
		ON CONFLICT (wallet_version) DO UPDATE SET traffic_percentage = 100`, v)
	if _, err := l.alice.Activate(ctx, v, true, 1, "alice"); err == nil || !strings.Contains(err.Error(), "its last passing validation ran at") {
		t.Errorf("activation on a validation 31 days old: %v", err)
	}
	if n := rows(); n != before {
		t.Errorf("refused activations wrote %d audit rows", n-before)
	}
	readyToActivate(t, l.admin, v)
	// The default must still be what the operator saw.
	if _, err := l.alice.Activate(ctx, v, true, 3, "alice"); err == nil || !strings.Contains(err.Error(), "the default moved to v1 while v2 was being activated") {
		t.Errorf("activation expecting another default: %v", err)
	}
	seq, err := l.alice.Activate(ctx, v, true, 1, "alice@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := l.viewer.Wallet(ctx, v)
	old, _ := l.viewer.Wallet(ctx, 1)
	if w.Status != model.StatusActive || !w.IsDefault || old.Status != model.StatusActive || old.IsDefault {
		t.Errorf("after activation: v%d %s default %v, v1 %s default %v", v, w.Status, w.IsDefault, old.Status, old.IsDefault)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM manufacturer_registry WHERE wallet_version = $1 AND manufacturer_index = 1 AND manufacturer_name = 'Plings'`, v); n != 1 {
		t.Errorf("Plings is not manufacturer 1 in v%d", v)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM manufacturer_lineage WHERE canonical_name = 'Plings' AND current_wallet_version = $1 AND predecessor_wallet = 1`, v); n != 1 {
		t.Errorf("Plings' lineage does not name v%d after v1", v)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE seq = $1 AND operation_type = 'wallet_activation'
		AND db_user = 'alice' AND operation_details->>'previous_default_wallet' = 'v1'`, seq); n != 1 {
		t.Errorf("no wallet_activation audit row #%d naming v1 as the previous default", seq)
	}
	if _, err := l.alice.Activate(ctx, v, false, 0, "alice"); err == nil || !strings.Contains(err.Error(), "v2 is active") {
		t.Errorf("activating again: %v", err)
	}
	auditOK(t, l.admin)
}

// Two operators activate two wallets with --default at the same moment:
// exactly one default at the end, and the other is told why it was not it.
func TestConcurrentActivationsWithDefault(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	activeWallet(t, l.admin, 1)
	mustExec(t, l.admin, "UPDATE wallet_versions SET is_default = true WHERE version_id = 1")
	a := deployedFromCeremony(t, l, "first")
	b := deployedFromCeremony(t, l, "second")
	readyToActivate(t, l.admin, a)
	readyToActivate(t, l.admin, b)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, v := range []int{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = l.alice.Activate(ctx, v, true, 1, "alice")
		}()
	}
	wg.Wait()
	ok, told := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case strings.Contains(err.Error(), "while") && strings.Contains(err.Error(), "was being activated") &&
			strings.Contains(err.Error(), "nothing changed"):
			told++
			t.Logf("the other: %v", err)
		default:
			t.Errorf("unexpected: %v", err)
		}
	}
	if ok != 1 || told != 1 {
		t.Errorf("%d activations went through and %d were told; want 1 and 1", ok, told)
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_versions WHERE is_default"); n != 1 {
		t.Errorf("%d defaults", n)
	}
}
