package store_test

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// Filed by alice, approved by bob (security) and carol (operations): the
// database approves it with a WAP id, valid 7 days, each step with its audit row.
func TestRequestApprovedByTwoOthers(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^WCR-` + time.Now().UTC().Format(time.DateOnly) + `-001$`).MatchString(id) {
		t.Errorf("first request of the day is %s", id)
	}
	r, err := l.viewer.Request(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "pending" || r.RequestedBy != "alice" || r.Purpose != "capacity_expansion" ||
		r.SecurityLevel != model.SecurityLevelHigh || r.Priority != "standard" || r.HSMRequirements != "SoftHSM2 for testing" {
		t.Errorf("filed request reads back as %+v", r)
	}
	if !slices.Equal(r.RequiredApprovals, []string{"security", "operations"}) {
		t.Errorf("a medium-risk testing request needs %v", r.RequiredApprovals)
	}

	r, err = l.bob.DecideRequest(ctx, id, "security", "approved", "", "bob@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "pending" || r.ApprovalID != "" || !slices.Equal(r.WaitingFor(), []string{"operations"}) {
		t.Errorf("after security: %s %q, waiting for %v", r.Status, r.ApprovalID, r.WaitingFor())
	}
	r, err = l.carol.DecideRequest(ctx, id, "operations", "approved", "capacity reviewed", "carol@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "approved" || !regexp.MustCompile(`^WAP-[0-9]{14}$`).MatchString(r.ApprovalID) {
		t.Fatalf("after both: %s %q", r.Status, r.ApprovalID)
	}
	if d := time.Until(r.ValidUntil); d < 6*24*time.Hour || d > 7*24*time.Hour {
		t.Errorf("approval valid until %s, want 7 days from now", r.ValidUntil)
	}
	if len(r.Approvals) != 2 || r.Approvals[0].Approver != "bob" || r.Approvals[1].Approver != "carol" ||
		r.Approvals[1].Reason != "capacity reviewed" || len(r.WaitingFor()) != 0 {
		t.Errorf("approvals: %+v", r.Approvals)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'creation_request'
		AND operation_details->>'request_id' = $1 AND db_user = 'alice'`, id); n != 1 {
		t.Errorf("%d creation_request audit rows by alice", n)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'creation_approval'
		AND operation_details->>'approver_role' = 'operations' AND db_user = 'carol' AND approval_id = $1`, r.ApprovalID); n != 1 {
		t.Errorf("%d creation_approval audit rows by carol with the WAP id", n)
	}
	// Decisions are closed once approved.
	var rule *store.RuleError
	if _, err := l.carol.DecideRequest(ctx, id, "security", "approved", "", "carol"); !errors.As(err, &rule) {
		t.Errorf("a decision on an approved request: %v", err)
	}
	auditOK(t, l.admin)
}

// The database's refusals reach the caller as RuleErrors with its words.
func TestRequestTwoPersonRuleRefusals(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	before := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log")

	// alice, even when she is also an approver, cannot approve her own request.
	mustExec(t, l.admin, "GRANT wallet_approver TO alice")
	t.Cleanup(func() { mustExec(t, l.admin, "REVOKE wallet_approver FROM alice") })
	_, err = l.alice.DecideRequest(ctx, id, "security", "approved", "", "alice")
	var rule *store.RuleError
	if !errors.As(err, &rule) || !strings.Contains(err.Error(), "two-person rule: alice filed request "+id+" and cannot approve it") {
		t.Errorf("self-approval: %v", err)
	}
	if _, err := l.bob.DecideRequest(ctx, id, "security", "approved", "", "bob"); err != nil {
		t.Fatal(err)
	}
	// One login, one role.
	if _, err := l.bob.DecideRequest(ctx, id, "operations", "approved", "", "bob"); !errors.As(err, &rule) ||
		!strings.Contains(err.Error(), "bob already decided for request "+id) {
		t.Errorf("second role by bob: %v", err)
	}
	// A role the request does not need.
	if _, err := l.carol.DecideRequest(ctx, id, "executive", "approved", "", "carol"); !errors.As(err, &rule) ||
		!strings.Contains(err.Error(), "needs no executive approval") {
		t.Errorf("executive on a testing request: %v", err)
	}
	// The viewer decides nothing.
	if _, err := l.viewer.DecideRequest(ctx, id, "operations", "approved", "", "viewer"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("viewer decision: %v", err)
	}
	// Refused in Go before the database: no reason, no such role, no such request.
	for _, tc := range []struct{ role, decision, reason, want string }{
		{"operations", "rejected", "", "a rejection needs a reason"},
		{"ceo", "approved", "", `role "ceo" is not an approver role (one of: security, operations, executive, compliance)`},
		{"operations", "maybe", "", `decision "maybe" is neither approved nor rejected`},
	} {
		if _, err := l.carol.DecideRequest(ctx, id, tc.role, tc.decision, tc.reason, "carol"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: %v, want %q", tc.role, tc.decision, err, tc.want)
		}
	}
	if _, err := l.carol.DecideRequest(ctx, "WCR-1999-01-01-001", "operations", "approved", "", "carol"); !errors.Is(err, store.ErrNotFound) ||
		!strings.Contains(err.Error(), "console request list") {
		t.Errorf("unknown request: %v", err)
	}
	if _, err := l.viewer.Request(ctx, "WCR-1999-01-01-001"); !errors.Is(err, store.ErrNotFound) ||
		!strings.Contains(err.Error(), "WCR-1999-01-01-001") || !strings.Contains(err.Error(), "console request list") {
		t.Errorf("Request of an unknown id: %v", err)
	}
	if _, err := l.viewer.Request(ctx, "wcr-\x1b[2J"); !errors.Is(err, store.ErrNotFound) || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("Request of a malformed id: %v", err)
	}
	if after := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log"); after != before+1 {
		t.Errorf("refused decisions wrote audit rows: %d → %d (only bob's approval should)", before, after)
	}

	// A rejection with a reason rejects the request.
	r, err := l.carol.DecideRequest(ctx, id, "operations", "rejected", "no capacity problem", "carol")
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "rejected" {
		t.Errorf("rejected request is %s", r.Status)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'creation_rejection'
		AND operation_details->>'approver_role' = 'operations' AND operation_details->>'reason' = 'no capacity problem'`); n != 1 {
		t.Errorf("%d creation_rejection audit rows", n)
	}
	auditOK(t, l.admin)
}

func TestFileRequestValidates(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	for _, tc := range []struct {
		edit func(*model.NewRequest)
		want []string
	}{
		{func(r *model.NewRequest) { r.Environment = "" }, []string{"environment is required (one of: production, testing, development)"}},
		{func(r *model.NewRequest) { r.Environment = "staging" }, []string{`unknown environment "staging"`, "production, testing, development"}},
		{func(r *model.NewRequest) { r.Purpose, r.Reason = "", " " }, []string{"purpose is required", "reason (the justification) is required"}},
		{func(r *model.NewRequest) { r.Purpose = strings.Repeat("x", 41) }, []string{"purpose is 41 characters; at most 40"}},
		{func(r *model.NewRequest) { r.SecurityLevel = "ultra" }, []string{`unknown security level "ultra"`, "standard, high, experimental"}},
		{func(r *model.NewRequest) { r.Priority = "urgent" }, []string{`priority "urgent" is not allowed (one of: standard, high, emergency)`}},
		{func(r *model.NewRequest) { r.RiskLevel = "extreme" }, []string{`risk level "extreme" is not allowed (one of: low, medium, high)`}},
		{func(r *model.NewRequest) { r.RequesterEmail = "alice" }, []string{"requester email"}},
	} {
		r := testingRequest()
		tc.edit(&r)
		_, err := l.alice.FileRequest(ctx, r, "alice")
		for _, w := range tc.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%+v: %v; want it to say %q", r, err, w)
			}
		}
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_creation_requests"); n != 0 {
		t.Errorf("%d invalid requests filed", n)
	}
	// The viewer files nothing.
	if _, err := l.viewer.FileRequest(ctx, testingRequest(), "viewer"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("viewer filing: %v", err)
	}
}

// Production needs security, operations, executive and compliance, each from
// another login; high risk elsewhere adds executive.
func TestProductionRequestNeedsFourRoles(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	dave := extraApprover(t, l, "dave")
	erin := extraApprover(t, l, "erin")
	nr := testingRequest()
	nr.Environment = model.EnvironmentProduction
	id, err := l.alice.FileRequest(ctx, nr, "alice")
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		db      *store.DB
		role    string
		waiting []string
	}{
		{l.bob, "security", []string{"operations", "executive", "compliance"}},
		{l.carol, "operations", []string{"executive", "compliance"}},
		{dave, "executive", []string{"compliance"}},
		{erin, "compliance", nil},
	}
	for i, s := range steps {
		r, err := s.db.DecideRequest(ctx, id, s.role, "approved", "", s.role)
		if err != nil {
			t.Fatal(err)
		}
		want := model.RequestPending
		if i == len(steps)-1 {
			want = model.RequestApproved
		}
		if r.Status != want || !slices.Equal(r.WaitingFor(), s.waiting) {
			t.Errorf("after %s: %s, waiting for %v; want %s, waiting for %v", s.role, r.Status, r.WaitingFor(), want, s.waiting)
		}
	}
	nr.Environment, nr.RiskLevel = model.EnvironmentDevelopment, "high"
	id, err = l.alice.FileRequest(ctx, nr, "alice")
	if err != nil {
		t.Fatal(err)
	}
	r, err := l.viewer.Request(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(r.RequiredApprovals, []string{"security", "operations", "executive"}) {
		t.Errorf("high-risk development request needs %v", r.RequiredApprovals)
	}
	auditOK(t, l.admin)
}

// Several filers at once get distinct ids, numbered from 001 within the UTC day.
func TestRequestIDsAreSequentialAndRaceFree(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	const n = 10
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ids[i], errs[i] = l.alice.FileRequest(ctx, testingRequest(), "alice")
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(ids)
	day := time.Now().UTC().Format(time.DateOnly)
	for i, id := range ids {
		if want := "WCR-" + day + "-" + []string{"001", "002", "003", "004", "005", "006", "007", "008", "009", "010"}[i]; id != want {
			t.Errorf("ids %v: #%d is %s, want %s", ids, i+1, id, want)
			break
		}
	}
	// Newest first.
	rs, err := l.viewer.Requests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != n || rs[0].RequestDate.Before(rs[n-1].RequestDate) {
		t.Errorf("Requests: %d, first %s at %s, last %s at %s", len(rs), rs[0].ID, rs[0].RequestDate, rs[n-1].ID, rs[n-1].RequestDate)
	}
	// An explicit id (the demo's history) is kept, and the count goes on after it.
	mustExec(t, l.admin, `INSERT INTO wallet_creation_requests (request_id, environment, purpose, reason)
		VALUES ('WCR-`+day+`-050', 'testing', 'x', 'y')`)
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if id != "WCR-"+day+"-051" {
		t.Errorf("after an explicit -050: %s", id)
	}
	auditOK(t, l.admin)
}
