package ops

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
)

// HealthReport is every monitored wallet's six checks and the fleet's
// overall state, as `console health` prints it.
type HealthReport struct {
	Database string `json:"database"`
	// HSM says where the HSM checks come from: the live token, or the
	// stored averages when no token is in use.
	HSM     string               `json:"hsm"`
	Overall model.HealthState    `json:"overall"`
	Wallets []model.WalletHealth `json:"wallets"`
	// Settings names the server settings that slow allocation down (advice:
	// the overall state does not depend on it).
	Settings []model.SettingAdvice `json:"database_settings"`
}

// Measure takes the live measurements once for every wallet: the
// database's round trip always; the token's round trip and the average test
// signature when a token is in use (model.LiveHealth.NoHSM otherwise).
func (s *Service) Measure(ctx context.Context) model.LiveHealth {
	var live model.LiveHealth
	took, err := s.DB.Ping(ctx)
	live.Database = &model.Measurement{Took: took, Err: err}
	s.measureHSM(ctx, &live)
	return live
}

func (s *Service) measureHSM(ctx context.Context, live *model.LiveHealth) {
	if s.Token == nil {
		live.NoHSM = true
		return
	}
	p, err := s.Token.Ping()
	live.HSM = &model.Measurement{Took: p.Latency, Err: err}
	avg, err := s.signTimer().Time(ctx, hsm.DefaultSignSamples)
	live.Signature = &model.Measurement{Took: avg, Err: err}
}

// screenHSMAge is how long the screens reuse an HSM measurement: the
// inventory and a detail are drawn on every refresh, and signing test
// messages each time would load a real HSM for a column that the Health
// screen (and `console health`) measure fresh anyway.
const screenHSMAge = 30 * time.Second

// hsmLive is the screens' latest HSM measurement.
type hsmLive struct {
	mu       sync.Mutex
	at       time.Time
	hsm, sig *model.Measurement
}

// screenLive is the live part of the screens' health: the database's
// round trip timed as `console health` times it (one ping), the HSM's from a
// measurement at most screenHSMAge old, taken under its own time limit so
// that one caller's deadline is never what the next screens are told.
func (s *Service) screenLive(ctx context.Context) model.LiveHealth {
	took, err := s.DB.Ping(ctx)
	live := model.LiveHealth{Database: &model.Measurement{Took: took, Err: err}}
	if s.Token == nil {
		live.NoHSM = true
		return live
	}
	c := &s.hsmLive
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hsm == nil || s.now().Sub(c.at) > screenHSMAge {
		mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), hsmMeasureLimit)
		var fresh model.LiveHealth
		s.measureHSM(mctx, &fresh)
		cancel()
		c.hsm, c.sig, c.at = fresh.HSM, fresh.Signature, s.now()
		if fresh.HSM.Err != nil || fresh.Signature.Err != nil {
			// A failure is news to re-check soon, not to repeat for 30 s.
			c.at = c.at.Add(hsmMeasureLimit - screenHSMAge)
		}
	}
	live.HSM, live.Signature = c.hsm, c.sig
	return live
}

// hsmMeasureLimit bounds one HSM measurement for the screens.
const hsmMeasureLimit = 5 * time.Second

// evaluate grades every input with one set of live measurements.
func (s *Service) evaluate(inputs []model.HealthInput, live model.LiveHealth) []model.WalletHealth {
	out := make([]model.WalletHealth, 0, len(inputs))
	for _, in := range inputs {
		out = append(out, model.EvaluateHealth(in, live, s.Thresholds))
	}
	return out
}

// Health evaluates every wallet that is not retired (model.EvaluateHealth)
// from its stored inputs and one set of live measurements. An error means
// the inputs could not be read: health is unknown.
func (s *Service) Health(ctx context.Context) (HealthReport, error) {
	rep := HealthReport{Database: s.DB.Where(), HSM: "not measured (no --token): stored averages used"}
	if s.Token != nil {
		rep.HSM = fmt.Sprintf("%s token %s (live)", s.Module, s.Token.Label())
	}
	live := s.Measure(ctx)
	inputs, err := s.DB.HealthInputs(ctx)
	if err != nil {
		return rep, fmt.Errorf("read the health inputs: %w", err)
	}
	rep.Wallets = s.evaluate(inputs, live)
	rep.Overall = model.FleetOverall(rep.Wallets)
	rep.Settings = []model.SettingAdvice{}
	if set, err := s.DB.ServerSettings(ctx); err == nil {
		rep.Settings = append(rep.Settings, model.AllocationSettingAdvice(set)...)
	}
	return rep, nil
}
