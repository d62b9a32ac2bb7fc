package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// Values the request template allows (migrations/005_requests_approvals.sql).
var (
	requestPriorities = []string{"standard", "high", "emergency"}
	requestRisks      = []string{"low", "medium", "high"}
	approverRoles     = []string{model.RoleSecurity, model.RoleOperations, model.RoleExecutive, model.RoleCompliance}
	requestIDPattern  = regexp.MustCompile(`^WCR-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{3}$`)
)

// maxPurpose is the length of wallet_creation_requests.purpose.
const maxPurpose = 40

// FileRequest files a wallet creation request as this database login (the
// requester is always the login: two-person rule) and returns its id,
// WCR-YYYY-MM-DD-NNN, which the database issues. Its audit row
// (creation_request) is written in the same transaction.
func (db *DB) FileRequest(ctx context.Context, r model.NewRequest, actor string) (string, error) {
	if err := normaliseRequest(&r); err != nil {
		return "", fmt.Errorf("file request: %w", err)
	}
	var id string
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		var seq int64
		// The function files the request and writes its audit row (013).
		err := tx.QueryRow(ctx, `SELECT request_id, seq FROM wallet_file_request(
			$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			r.RequesterEmail, r.Priority, string(r.Environment), r.Purpose, string(r.SecurityLevel),
			r.EstimatedLifespan, r.Reason, r.BusinessImpact, r.RiskIfDelayed, r.RiskLevel, r.HSMRequirements,
			r.PerformanceRequirements, r.StorageRequirements, r.BackupRequirements, actor).Scan(&id, &seq)
		if err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("file request: %w", err)
	}
	return id, nil
}

// normaliseRequest fills the template's defaults and checks every field,
// naming each one that is wrong and what it may be.
func normaliseRequest(r *model.NewRequest) error {
	var problems []string
	trim := func(s *string) { *s = strings.TrimSpace(*s) }
	for _, s := range []*string{&r.RequesterEmail, (*string)(&r.Priority), &r.Purpose, &r.EstimatedLifespan, &r.Reason,
		&r.BusinessImpact, &r.RiskIfDelayed, (*string)(&r.RiskLevel), &r.HSMRequirements, &r.PerformanceRequirements,
		&r.StorageRequirements, &r.BackupRequirements} {
		trim(s)
	}
	if strings.TrimSpace(string(r.Environment)) == "" {
		problems = append(problems, "environment is required (one of: production, testing, development)")
	} else if e, err := model.ParseEnvironment(string(r.Environment)); err != nil {
		problems = append(problems, "environment: "+err.Error())
	} else {
		r.Environment = e
	}
	switch {
	case r.Purpose == "":
		problems = append(problems, "purpose is required (what the wallet is for, e.g. capacity_expansion)")
	case len(r.Purpose) > maxPurpose:
		problems = append(problems, fmt.Sprintf("purpose is %d characters; at most %d", len(r.Purpose), maxPurpose))
	}
	if r.Reason == "" {
		problems = append(problems, "reason (the justification) is required")
	}
	if strings.TrimSpace(string(r.SecurityLevel)) == "" {
		r.SecurityLevel = model.SecurityLevelStandard
	} else if l, err := model.ParseSecurityLevel(string(r.SecurityLevel)); err != nil {
		problems = append(problems, "security level: "+err.Error())
	} else {
		r.SecurityLevel = l
	}
	choose := func(field string, v *string, def string, allowed []string) {
		*v = strings.ToLower(*v)
		if *v == "" {
			*v = def
		}
		if !slices.Contains(allowed, *v) {
			problems = append(problems, fmt.Sprintf("%s %q is not allowed (one of: %s)", field, *v, strings.Join(allowed, ", ")))
		}
	}
	choose("priority", (*string)(&r.Priority), "standard", requestPriorities)
	choose("risk level", (*string)(&r.RiskLevel), "medium", requestRisks)
	if r.RequesterEmail != "" && (!strings.Contains(r.RequesterEmail, "@") || strings.ContainsAny(r.RequesterEmail, " \t,;<>")) {
		problems = append(problems, fmt.Sprintf("requester email %q is not an address like name@example.org", r.RequesterEmail))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// DecideRequest records this login's decision for role on request id:
// decision "approved" or "rejected" (a rejection needs a reason). The
// database refuses a decision by the requester, a second role for the same
// login, a role the request does not need and a closed request; its
// message reaches the caller as a *RuleError. The audit row
// (creation_approval or creation_rejection) names the role. It returns the
// request as it stands after the decision: approved, with its WAP id, when
// this was the last role it needed.
func (db *DB) DecideRequest(ctx context.Context, id, role, decision, reason, actor string) (model.CreationRequest, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	decision = strings.ToLower(strings.TrimSpace(decision))
	reason = strings.TrimSpace(reason)
	fail := func(err error) (model.CreationRequest, error) {
		return model.CreationRequest{}, fmt.Errorf("decide request %s: %w", printableID(id), err)
	}
	if err := checkRequestID(id); err != nil {
		return model.CreationRequest{}, err
	}
	if !slices.Contains(approverRoles, role) {
		return fail(fmt.Errorf("role %q is not an approver role (one of: %s)", role, strings.Join(approverRoles, ", ")))
	}
	switch decision {
	case "approved", "approve":
		decision = "approved"
	case "rejected", "reject":
		decision = "rejected"
		if reason == "" {
			return fail(errors.New("a rejection needs a reason: say why, so that the requester can act on it"))
		}
	default:
		return fail(fmt.Errorf("decision %q is neither approved nor rejected", decision))
	}
	err := db.inTx(ctx, nil, func(tx pgx.Tx) error {
		if err := requestExists(ctx, tx, id); err != nil {
			return err
		}
		// The function records the decision, derives the outcome and
		// writes the audit row (013).
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT seq FROM wallet_decide_request($1, $2, $3, $4, $5)`,
			id, role, decision, reason, actor).Scan(&seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return db.Request(ctx, id)
}

// Requests returns every creation request, newest first, with its decisions.
// An approved request whose approval has run out is reported as expired.
func (db *DB) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	rs, err := queryRequests(ctx, db.pool, "")
	if err != nil {
		return nil, fmt.Errorf("creation requests: %w", explain(err))
	}
	return rs, nil
}

// Request returns one creation request with its decisions.
func (db *DB) Request(ctx context.Context, id string) (model.CreationRequest, error) {
	if err := checkRequestID(id); err != nil {
		return model.CreationRequest{}, err
	}
	rs, err := queryRequests(ctx, db.pool, id)
	if err != nil {
		return model.CreationRequest{}, fmt.Errorf("creation request %s: %w", id, explain(err))
	}
	if len(rs) == 0 {
		return model.CreationRequest{}, notFound(id)
	}
	return rs[0], nil
}

func notFound(id string) error {
	return fmt.Errorf("creation request %s: %w (see `console request list` for the requests that exist)", printableID(id), ErrNotFound)
}

// checkRequestID refuses what cannot be a request id before any query.
func checkRequestID(id string) error {
	if requestIDPattern.MatchString(id) {
		return nil
	}
	return fmt.Errorf("%q is not a creation request id (they look like WCR-2026-01-31-001): %w (see `console request list` for the requests that exist)", id, ErrNotFound)
}

// printableID is id as it may appear in a message: quoted unless it is a
// well-formed request id.
func printableID(id string) string {
	if requestIDPattern.MatchString(id) {
		return id
	}
	return fmt.Sprintf("%q", id)
}

func requestExists(ctx context.Context, tx pgx.Tx, id string) error {
	var one int
	err := tx.QueryRow(ctx, "SELECT 1 FROM wallet_creation_requests WHERE request_id = $1", id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound(id)
	}
	return err
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryRequests reads one request (id) or all of them (id == ""), newest
// first, with their decisions.
func queryRequests(ctx context.Context, q querier, id string) ([]model.CreationRequest, error) {
	rows, err := q.Query(ctx, `
		SELECT request_id, requested_by, coalesce(requester_email, ''), request_date, priority, environment,
		       purpose, security_level, coalesce(estimated_lifespan, ''), reason, coalesce(business_impact, ''),
		       coalesce(risk_if_delayed, ''), risk_level, coalesce(hsm_requirements, ''),
		       coalesce(performance_requirements, ''), coalesce(storage_requirements, ''),
		       coalesce(backup_requirements, ''), required_approvals,
		       CASE WHEN status = 'approved' AND valid_until < now() THEN 'expired' ELSE status END,
		       coalesce(approval_id, ''), approved_at, valid_until, coalesce(wallet_version, 0)
		  FROM wallet_creation_requests
		 WHERE $1 = '' OR request_id = $1
		 ORDER BY request_date DESC, request_id DESC`, id)
	if err != nil {
		return nil, err
	}
	rs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (model.CreationRequest, error) {
		var r model.CreationRequest
		var env, level string
		var approvedAt, validUntil *time.Time
		err := row.Scan(&r.ID, &r.RequestedBy, &r.RequesterEmail, &r.RequestDate, &r.Priority, &env,
			&r.Purpose, &level, &r.EstimatedLifespan, &r.Reason, &r.BusinessImpact, &r.RiskIfDelayed,
			&r.RiskLevel, &r.HSMRequirements, &r.PerformanceRequirements, &r.StorageRequirements,
			&r.BackupRequirements, &r.RequiredApprovals, &r.Status, &r.ApprovalID, &approvedAt, &validUntil,
			&r.WalletVersion)
		r.Environment, r.SecurityLevel = model.Environment(env), model.SecurityLevel(level)
		if approvedAt != nil {
			r.ApprovedAt = *approvedAt
		}
		if validUntil != nil {
			r.ValidUntil = *validUntil
		}
		return r, err
	})
	if err != nil || len(rs) == 0 {
		return rs, err
	}
	rows, err = q.Query(ctx, `
		SELECT request_id, approver_role, approver, decision, coalesce(reason, ''), decided_at, valid_until
		  FROM wallet_creation_approvals
		 WHERE $1 = '' OR request_id = $1
		 ORDER BY decided_at, id`, id)
	if err != nil {
		return nil, err
	}
	byID := make(map[string]int, len(rs))
	for i, r := range rs {
		byID[r.ID] = i
	}
	var rid string
	var a model.Approval
	_, err = pgx.ForEachRow(rows, []any{&rid, &a.Role, &a.Approver, &a.Decision, &a.Reason, &a.DecidedAt, &a.ValidUntil}, func() error {
		if i, ok := byID[rid]; ok {
			rs[i].Approvals = append(rs[i].Approvals, a)
		}
		return nil
	})
	return rs, err
}
