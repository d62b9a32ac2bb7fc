package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// rolloutFixture: v1 active and the default, v2 validated (owner-made, as
// the demo's history is), the logins of openLogins.
func rolloutFixture(t *testing.T) *logins {
	t.Helper()
	l := openLogins(t)
	activeWallet(t, l.admin, 1)
	mustExec(t, l.admin, "UPDATE wallet_versions SET is_default = true WHERE version_id = 1")
	if err := l.admin.CreateWallet(context.Background(), store.NewWallet{Version: 2}, "tester"); err != nil {
		t.Fatal(err)
	}
	if err := l.admin.SetStatus(context.Background(), 2, model.StatusValidated, store.Op{Type: "wallet_validation"}); err != nil {
		t.Fatal(err)
	}
	return l
}

func shortPlan(steps string) store.RolloutPlan {
	s, err := model.ParseSteps(steps)
	if err != nil {
		panic(err)
	}
	return store.RolloutPlan{Steps: s, Interval: time.Second, FailureLimit: 2, OnFailure: "rollback",
		GateTimeout: time.Hour, Thresholds: model.DefaultThresholds()}
}

func share(t *testing.T, db *store.DB, v int) float64 {
	t.Helper()
	s, err := db.TrafficShares(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s[v]
}

// The shares always sum to 100: a statement leaving 90 or 110 is refused
// at commit, for the owner too; console roles may not write them at all.
func TestTrafficSharesSumTo100(t *testing.T) {
	l := rolloutFixture(t)
	if _, err := l.alice.StartRollout(context.Background(), 2, shortPlan("1:1m,100"), "alice"); err != nil {
		t.Fatal(err)
	}
	if got := share(t, l.admin, 1); got != 100 {
		t.Fatalf("the default's share at start: %v, want 100", got)
	}
	for _, sql := range []string{
		"UPDATE wallet_traffic_share SET traffic_percentage = 90 WHERE wallet_version = 1",
		"BEGIN; UPDATE wallet_traffic_share SET traffic_percentage = 95 WHERE wallet_version = 1; INSERT INTO wallet_traffic_share VALUES (2, 15); COMMIT",
		"INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES (2, 10)",
		"DELETE FROM wallet_traffic_share WHERE wallet_version = 1; INSERT INTO wallet_traffic_share VALUES (2, 90)",
	} {
		refused(t, l.name, "postgres", sql, "the traffic shares would sum to")
		for _, login := range consoleRoles {
			refused(t, l.name, login, sql, "permission denied")
		}
	}
	// In one transaction, 10 % moved is 100 in all: the owner may.
	accepted(t, l.name, "postgres", "BEGIN; UPDATE wallet_traffic_share SET traffic_percentage = 90 WHERE wallet_version = 1; "+
		"INSERT INTO wallet_traffic_share VALUES (2, 10); COMMIT")
	if got := share(t, l.admin, 2); got != 10 {
		t.Errorf("a move summing to 100 was not kept: v2 has %v", got)
	}
}

// deployed only by a rollout's start; the starter cannot pass a gate; the
// gates, pause, resume, promote and abort refuse where they make no sense.
func TestRolloutRefusals(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	refused(t, l.name, "alice", "SELECT wallet_transition(2, 'deployed', NULL, NULL)", "use console deploy start v2")
	refused(t, l.name, "bob", "SELECT wallet_rollout_start(2, '{100}', '{0}', '1 min', 2, 'rollback', '1 day', 0.1, 500, 10, NULL)",
		"permission denied for function wallet_rollout_start")
	refused(t, l.name, "viewer", "SELECT wallet_rollout_approve(2, 'go', NULL, NULL)", "permission denied for function wallet_rollout_approve")
	refused(t, l.name, "alice", "SELECT wallet_rollout_start(2, '{1,50}', '{1 min,1 min}', '1 min', 2, 'rollback', '1 day', 0.1, 500, 10, NULL)",
		"the last step is 100")
	if _, err := l.alice.StartRollout(ctx, 2, shortPlan("1:1m,50:1m,100"), "alice"); err != nil {
		t.Fatal(err)
	}
	var w string
	if err := l.admin.Pool().QueryRow(ctx, "SELECT status FROM wallet_versions WHERE version_id = 2").Scan(&w); err != nil || w != "deployed" {
		t.Errorf("after deploy start v2 is %q (%v), want deployed", w, err)
	}
	if _, err := l.alice.StartRollout(ctx, 2, shortPlan("1:1m,100"), "alice"); err == nil || !strings.Contains(err.Error(), "one rollout moves traffic at a time") {
		t.Errorf("a second rollout: %v", err)
	}
	// The starter's own approval: refused, by the database.
	refused(t, l.name, "alice", "SELECT wallet_rollout_approve(2, 'go', 'mine', NULL)", "alice started this rollout and cannot approve its go gate")
	if _, err := l.alice.ApproveGate(ctx, 2, "go", "", "alice"); err == nil || !strings.Contains(err.Error(), "another person signs it off") {
		t.Errorf("the starter approved: %v", err)
	}
	for _, c := range []struct {
		name string
		call func() (model.RolloutState, error)
		want string
	}{
		{"pause while waiting", func() (model.RolloutState, error) { return l.alice.PauseRollout(ctx, 2, "", "") }, "nothing moves until it is approved"},
		{"promote while waiting", func() (model.RolloutState, error) { return l.alice.PromoteRollout(ctx, 2, "", "") }, "promote does not pass a gate"},
		{"resume while waiting", func() (model.RolloutState, error) { return l.alice.ResumeRollout(ctx, 2, "", "") }, "is not paused"},
		{"wrong gate", func() (model.RolloutState, error) { return l.bob.ApproveGate(ctx, 2, "promotion", "", "") }, "waits for the go gate, not the promotion gate"},
		{"abort without reason", func() (model.RolloutState, error) { return l.alice.AbortRollout(ctx, 2, " ", "") }, "needs a reason"},
	} {
		if _, err := c.call(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// bob (an approver) passes it: step 1 applied with its audit row.
	st, err := l.bob.ApproveGate(ctx, 2, "go", "looks good", "")
	if err != nil || st != model.RolloutRunning {
		t.Fatalf("bob's approval: %v %v", st, err)
	}
	if share(t, l.admin, 2) != 1 || share(t, l.admin, 1) != 99 {
		t.Errorf("after the go gate the shares are v1 %v, v2 %v; want 99/1", share(t, l.admin, 1), share(t, l.admin, 2))
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'deployment_gate_approval' AND db_user = 'bob' AND operation_details->>'gate' = 'go'"); n != 1 {
		t.Errorf("the gate approval is not in the audit chain under bob's login (%d rows)", n)
	}
	if _, err := l.alice.Advance(ctx, 2, 1, ""); err == nil || !strings.Contains(err.Error(), "of its dwell left") {
		t.Errorf("advance before the dwell ended: %v", err)
	}
	if _, err := l.alice.PauseRollout(ctx, 2, "look at it", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := l.alice.PromoteRollout(ctx, 2, "", ""); err == nil || !strings.Contains(err.Error(), "resume it before promoting") {
		t.Errorf("promote while paused: %v", err)
	}
	if _, err := l.alice.ResumeRollout(ctx, 2, "", ""); err != nil {
		t.Fatal(err)
	}
	// Promote skips step 1's dwell; before 100 % the promotion gate waits.
	if st, err := l.alice.PromoteRollout(ctx, 2, "", ""); err != nil || st != model.RolloutRunning {
		t.Fatalf("promote: %v %v", st, err)
	}
	if st, err := l.alice.PromoteRollout(ctx, 2, "", ""); err != nil || st != model.RolloutWaitingForGate {
		t.Fatalf("promote to the promotion gate: %v %v", st, err)
	}
	if _, err := l.alice.ApproveGate(ctx, 2, "promotion", "", ""); err == nil || !strings.Contains(err.Error(), "cannot approve its promotion gate") {
		t.Errorf("the starter passed the promotion gate: %v", err)
	}
	// What activation asks of the rollout (016's wallet_rollout_refusal).
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_activation_checks(2) WHERE name LIKE 'its rollout%' AND NOT passed AND evidence LIKE '%waiting_for_gate%'"); n != 1 {
		t.Errorf("before promotion the activation's rollout check does not refuse")
	}
	if st, err := l.carol.ApproveGate(ctx, 2, "promotion", "", ""); err != nil || st != model.RolloutCompleted {
		t.Fatalf("carol's promotion: %v %v", st, err)
	}
	if share(t, l.admin, 2) != 100 || share(t, l.admin, 1) != 0 {
		t.Errorf("completed, the shares are v1 %v, v2 %v; want 0/100", share(t, l.admin, 1), share(t, l.admin, 2))
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_activation_checks(2) WHERE name LIKE 'its rollout%' AND passed"); n != 1 {
		t.Errorf("after completion the activation's rollout check does not pass")
	}
	if _, err := l.alice.AbortRollout(ctx, 2, "late", ""); err == nil || !strings.Contains(err.Error(), "it is completed") {
		t.Errorf("abort after completion: %v", err)
	}
}

// A gate left waiting past its deadline aborts the rollout.
func TestGateDeadlineAborts(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	p := shortPlan("1:1m,100")
	p.GateTimeout = 500 * time.Millisecond
	if _, err := l.alice.StartRollout(ctx, 2, p, "alice"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(700 * time.Millisecond)
	st, err := l.bob.ApproveGate(ctx, 2, "go", "", "")
	if err != nil || st != model.RolloutAborted {
		t.Fatalf("approval past the deadline: %v %v, want aborted", st, err)
	}
	r, err := l.viewer.Rollout(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Reason, "was not approved by its deadline") || r.GoBy != "" {
		t.Errorf("aborted rollout: %q, approved by %q", r.Reason, r.GoBy)
	}
	if share(t, l.admin, 2) != 0 || share(t, l.admin, 1) != 100 {
		t.Errorf("shares after the abort: v1 %v v2 %v", share(t, l.admin, 1), share(t, l.admin, 2))
	}
}

// A second controller on the same rollout is refused and told who holds it;
// once the first lets go, it may take it.
func TestSecondControllerRefused(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	first, err := l.alice.LockController(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	_, err = l.admin.LockController(ctx, 2)
	if !errors.Is(err, store.ErrControllerHeld) || !strings.Contains(err.Error(), "login alice") {
		t.Errorf("second controller: %v", err)
	}
	other, err := l.admin.LockController(ctx, 3) // another wallet's lock is free
	if err != nil {
		t.Errorf("another rollout's lock: %v", err)
	}
	other.Release()
	first.Release()
	again, err := l.admin.LockController(ctx, 2)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again.Release()
	refused(t, l.name, "viewer", "SELECT wallet_rollout_lock(2)", "permission denied")
}

// The measurements judge the step: errors above the threshold twice roll it
// back, traffic and audit row in one transaction; no data is not a pass.
func TestMeasurementsRollBack(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	if _, err := l.alice.StartRollout(ctx, 2, shortPlan("5:1s,100"), "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.bob.ApproveGate(ctx, 2, "go", "", ""); err != nil {
		t.Fatal(err)
	}
	// No data yet: one failed round, and the step cannot pass on it.
	if st, err := l.alice.Measure(ctx, 2, 1, nil, nil, ""); err != nil || st != model.RolloutRunning {
		t.Fatalf("measure: %v %v", st, err)
	}
	time.Sleep(1100 * time.Millisecond)
	if _, err := l.alice.Advance(ctx, 2, 1, ""); err == nil || !strings.Contains(err.Error(), "no data is not a pass") {
		t.Errorf("advance on no data: %v", err)
	}
	now := time.Now()
	if _, err := l.alice.RecordMinuteMetrics(ctx, 2, []store.MinuteMetric{{Minute: now, Requests: 1000, Errors: 50, AllocationMs: 20, SignatureMs: 2}}, true, ""); err != nil {
		t.Fatal(err)
	}
	st, err := l.alice.Measure(ctx, 2, 1, nil, nil, "")
	if err != nil || st != model.RolloutRolledBack {
		t.Fatalf("second failed round: %v %v, want rolled_back", st, err)
	}
	if share(t, l.admin, 2) != 0 || share(t, l.admin, 1) != 100 {
		t.Errorf("after rollback: v1 %v v2 %v", share(t, l.admin, 1), share(t, l.admin, 2))
	}
	var details string
	if err := l.admin.Pool().QueryRow(ctx, `SELECT operation_details::text FROM wallet_operations_log
		WHERE operation_type = 'deployment_rollback' AND wallet_version = 2`).Scan(&details); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"error_rate"`, `"passed": false`, "error_rate failed 2 times (limit 2)", `"after": 100`} {
		if !strings.Contains(details, want) {
			t.Errorf("the rollback's audit row lacks %s: %s", want, details)
		}
	}
}

// --on-failure pause: the failing step pauses instead of rolling back, the
// traffic stays; resume keeps the step's remaining dwell and judges afresh.
func TestFailedStepPauses(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	p := shortPlan("5:1h,100")
	p.OnFailure, p.FailureLimit = "pause", 1
	if _, err := l.alice.StartRollout(ctx, 2, p, "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.bob.ApproveGate(ctx, 2, "go", "", ""); err != nil {
		t.Fatal(err)
	}
	if st, err := l.alice.Measure(ctx, 2, 1, nil, nil, ""); err != nil || st != model.RolloutPaused {
		t.Fatalf("a failed round (no data) with --on-failure pause: %v %v", st, err)
	}
	if share(t, l.admin, 2) != 5 {
		t.Errorf("a paused rollout moved traffic: v2 has %v", share(t, l.admin, 2))
	}
	before, err := l.viewer.Rollout(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(before.Reason, "paused (--on-failure pause)") {
		t.Errorf("reason: %q", before.Reason)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := l.alice.ResumeRollout(ctx, 2, "", ""); err != nil {
		t.Fatal(err)
	}
	after, err := l.viewer.Rollout(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if after.State != model.RolloutRunning || after.TimeLeft() < before.TimeLeft()-100*time.Millisecond {
		t.Errorf("after resume: %s, %s left (before the pause %s)", after.State, after.TimeLeft(), before.TimeLeft())
	}
	if len(after.StepMeasurements()) != 0 {
		t.Errorf("the resumed step is still judged on the measurements before the pause")
	}
}

// DESIGN.md: a deployed wallet takes production allocations only while a
// rollout gives it traffic — refused before the go gate, taken at 1 %,
// refused again once rolled back (by psql, as the operator).
func TestProductionAllocationsFollowTheShare(t *testing.T) {
	l := rolloutFixture(t)
	ctx := context.Background()
	for i, name := range []string{"Plings", "IKEA"} {
		if err := l.admin.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: 2, Index: i + 1, Name: name}, "tester"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.alice.StartRollout(ctx, 2, shortPlan("1:1h,100"), "alice"); err != nil {
		t.Fatal(err)
	}
	refused(t, l.name, "alice", allocateFn(2, "2.1", "production"), "it takes test allocations only until a rollout gives it traffic")
	if _, err := l.bob.ApproveGate(ctx, 2, "go", "", ""); err != nil {
		t.Fatal(err)
	}
	accepted(t, l.name, "alice", allocateFn(2, "2.2", "production"))
	refused(t, l.name, "alice", allocateFn(2, "2.3", "development"), "it takes test and production allocations only")
	if _, err := l.alice.AbortRollout(ctx, 2, "test", ""); err != nil {
		t.Fatal(err)
	}
	refused(t, l.name, "alice", allocateFn(2, "2.4", "production"), "it takes test allocations only until a rollout gives it traffic")
}
