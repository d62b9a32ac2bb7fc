package ops

import (
	"context"

	"github.com/plings/walletconsole/store"
)

// This file: the people's database logins (`console user …`).

// AddUser creates a login for a person with one console role.
func (s *Service) AddUser(ctx context.Context, name, role string) error {
	return s.DB.AddLogin(ctx, name, role)
}

// Users lists the console's logins.
func (s *Service) Users(ctx context.Context) ([]store.Login, error) {
	return s.DB.Logins(ctx)
}

// DisableUser stops a login from logging in; its records stay.
func (s *Service) DisableUser(ctx context.Context, name string) error {
	return s.DB.DisableLogin(ctx, name)
}
