// Package ops holds the console's use cases, each once, for both front ends:
// cmd/console calls them and prints, ui reaches them through the interfaces
// it declares (satisfied here, structurally, in model's types). A use case
// that changes state reports its plan and checks first (model.Plan,
// model.Check) and what it did after (model.Outcome); long work runs with a
// context and reports progress.
//
// ops may touch store, hsm and ceremony; nothing below it imports it, and it
// imports neither front end.
package ops

import (
	"sync"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// Service is the use cases over one database and, optionally, one HSM token.
type Service struct {
	DB *store.DB
	// Token is the logged-in HSM token; nil when none is configured.
	Token *hsm.Token
	// Module names the PKCS#11 module (for the header).
	Module string
	// Actor is the free-text note the operator gave (--operator); the actor
	// of record is always the database login.
	Actor      string
	Thresholds model.Thresholds
	Now        func() time.Time

	signOnce sync.Once
	sign     *hsm.SignTimer // made on first use when Token is set

	hsmLive hsmLive // the screens' recent HSM measurement
}

// New returns a Service over db with the default thresholds.
func New(db *store.DB) *Service {
	return &Service{DB: db, Thresholds: model.DefaultThresholds(), Now: time.Now}
}

// Close releases what the Service made for itself (the signature timer's
// session key); the database and the token stay open: their opener closes
// them.
func (s *Service) Close() error {
	if s.sign != nil {
		return s.sign.Close()
	}
	return nil
}

// signTimer is the Service's one signature timer, shared by the Health
// screen, the inventory and `console health`.
func (s *Service) signTimer() *hsm.SignTimer {
	s.signOnce.Do(func() { s.sign = hsm.NewSignTimer(s.Token, "health") })
	return s.sign
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}
