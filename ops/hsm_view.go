package ops

import (
	"context"
	"time"

	"github.com/plings/walletconsole/hsm"
)

// HSMView is the Service's token as the header and the Health screen see it
// (ui.HSMStatus). It is a view of its own because ui.Source's Ping is the
// database's.
type HSMView struct{ s *Service }

// HSM returns the token's view, or nil when no token is in use (so that a
// nil interface reaches the UI, never a view of nothing).
func (s *Service) HSM() *HSMView {
	if s.Token == nil {
		return nil
	}
	return &HSMView{s}
}

// Describe names the module and token and says whether it is logged in.
func (h *HSMView) Describe() (module, token string, loggedIn bool) {
	return h.s.Module, h.s.Token.Label(), h.s.Token.LoggedIn()
}

// Ping times a cheap round trip to the token.
func (h *HSMView) Ping(ctx context.Context) (time.Duration, error) {
	r, err := h.s.Token.Ping()
	return r.Latency, err
}

// SignTiming is the average of a few test signatures with the Service's
// timer key (never a wallet's key).
func (h *HSMView) SignTiming(ctx context.Context) (time.Duration, error) {
	return h.s.signTimer().Time(ctx, hsm.DefaultSignSamples)
}
