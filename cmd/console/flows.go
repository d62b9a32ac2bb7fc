package main

import (
	"context"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// requestSource adapts the store to the creation-request flow.
type requestSource struct {
	db    *store.DB
	actor string // the operator as the audit log knows them
	login string // the database login decisions are recorded under
}

func (r requestSource) Login() string { return r.login }

func (r requestSource) Requests(ctx context.Context) ([]model.CreationRequest, error) {
	return r.db.Requests(ctx)
}

func (r requestSource) FileRequest(ctx context.Context, nr model.NewRequest) (string, error) {
	return r.db.FileRequest(ctx, nr, r.actor)
}

func (r requestSource) DecideRequest(ctx context.Context, id, role, decision, reason string) (model.CreationRequest, error) {
	return r.db.DecideRequest(ctx, id, role, decision, reason, r.actor)
}

func (r requestSource) ExportRequest(ctx context.Context, id, path string) (string, error) {
	return exportRequest(ctx, r.db, id, path, r.actor)
}
