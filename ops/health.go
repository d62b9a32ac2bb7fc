package ops

import (
	"context"
	"fmt"

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
}

// Measure takes the live measurements once for every wallet: the
// database's round trip always; the token's round trip and the average test
// signature when a token is in use (model.LiveHealth.NoHSM otherwise).
func (s *Service) Measure(ctx context.Context) model.LiveHealth {
	var live model.LiveHealth
	took, err := s.DB.Ping(ctx)
	live.Database = &model.Measurement{Took: took, Err: err}
	if s.Token == nil {
		live.NoHSM = true
		return live
	}
	p, err := s.Token.Ping()
	live.HSM = &model.Measurement{Took: p.Latency, Err: err}
	avg, err := s.signTimer().Time(ctx, hsm.DefaultSignSamples)
	live.Signature = &model.Measurement{Took: avg, Err: err}
	return live
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
	rep.Wallets = make([]model.WalletHealth, 0, len(inputs))
	for _, in := range inputs {
		rep.Wallets = append(rep.Wallets, model.EvaluateHealth(in, live, s.Thresholds))
	}
	rep.Overall = model.FleetOverall(rep.Wallets)
	return rep, nil
}
