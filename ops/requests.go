package ops

import (
	"context"
	"fmt"
	"strings"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// This file: creation requests (file, decide, list, show), for the CLI and
// the request flow (ui.RequestSource, through RequestFlow).

// FileRequest files a request as this database login and returns its id.
func (s *Service) FileRequest(ctx context.Context, nr model.NewRequest) (string, error) {
	return s.DB.FileRequest(ctx, nr, s.Actor)
}

// Requests lists creation requests, newest first, with their approvals.
func (s *Service) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	return s.DB.Requests(ctx)
}

// Request returns one request with its approvals.
func (s *Service) Request(ctx context.Context, id string) (model.CreationRequest, error) {
	return s.DB.Request(ctx, id)
}

// DecideRequest records this login's decision for role (the database
// refuses a decision on one's own request) and returns the request as it
// stands afterwards.
func (s *Service) DecideRequest(ctx context.Context, id, role string, decision model.Decision, reason string) (model.CreationRequest, error) {
	role = strings.ToLower(strings.TrimSpace(role))
	if decision == model.DecisionRejected && strings.TrimSpace(reason) == "" {
		return model.CreationRequest{}, fmt.Errorf("reject %s: give a reason, so that the requester can act on it", id)
	}
	return s.DB.DecideRequest(ctx, id, role, string(decision), reason, s.Actor)
}

// Decider returns the login a decision of r for role was recorded under
// ("" when none is).
func Decider(r model.CreationRequest, role string) string {
	role = strings.ToLower(strings.TrimSpace(role))
	by := ""
	for _, a := range r.Approvals {
		if a.Role == role {
			by = a.Approver
		}
	}
	return by
}

// RequestFlow is the Service as the creation-request flow sees it
// (ui.RequestSource): the same use cases, with the login decisions are
// recorded under read once.
type RequestFlow struct {
	s     *Service
	login string
}

// RequestFlow reads the database login and returns the flow's view.
func (s *Service) RequestFlow(ctx context.Context) (*RequestFlow, error) {
	login, err := s.DB.Login(ctx)
	if err != nil {
		return nil, fmt.Errorf("read the database login: %w", err)
	}
	return &RequestFlow{s: s, login: login}, nil
}

// Login is the database login decisions are recorded under.
func (r *RequestFlow) Login() string { return r.login }

// Requests lists creation requests, newest first.
func (r *RequestFlow) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	return r.s.Requests(ctx)
}

// FileRequest files a request and returns its id and its audit rows.
func (r *RequestFlow) FileRequest(ctx context.Context, nr model.NewRequest) (string, []int64, error) {
	ctx, seqs := store.CollectAudit(ctx)
	id, err := r.s.FileRequest(ctx, nr)
	return id, seqs(), err
}

// DecideRequest records a decision ("approved" or "rejected").
func (r *RequestFlow) DecideRequest(ctx context.Context, id, role, decision, reason string) (model.CreationRequest, []int64, error) {
	ctx, seqs := store.CollectAudit(ctx)
	req, err := r.s.DecideRequest(ctx, id, role, model.Decision(decision), reason)
	return req, seqs(), err
}

// ExportRequest writes the ceremony machine's file and says what it wrote.
func (r *RequestFlow) ExportRequest(ctx context.Context, id, path string) (string, []int64, error) {
	ctx, seqs := store.CollectAudit(ctx)
	res, err := r.s.ExportRequest(ctx, id, path)
	if err != nil {
		return "", nil, err
	}
	return res.String(), seqs(), nil
}
