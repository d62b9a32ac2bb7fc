package ops

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// This file: the deployment's use cases. The state machine is the
// database's (store/rollout.go); the controller here only watches the
// clock, asks the database to measure and to advance, and says what
// happened. Everything it needs to resume is in the database, so a
// controller killed at any point is simply started again.

// DeployPlan is `deploy start`'s flags.
type DeployPlan struct {
	Steps        string        // model.DefaultSteps when empty
	OnFailure    string        // rollback (default) or pause
	Interval     time.Duration // between measurements; default 1 min
	FailureLimit int           // default 2
	GateTimeout  time.Duration // default 24 h
}

// DeployStart makes the wallet deployed and its rollout, waiting for the go
// gate; it returns the rollout as the database now has it.
func (s *Service) DeployStart(ctx context.Context, version int, p DeployPlan) (*model.Rollout, error) {
	vn := model.VersionName(version)
	if p.Steps == "" {
		p.Steps = model.DefaultSteps
	}
	steps, err := model.ParseSteps(p.Steps)
	if err != nil {
		return nil, fmt.Errorf("deploy start %s: --steps: %w", vn, err)
	}
	switch p.OnFailure {
	case "":
		p.OnFailure = "rollback"
	case "rollback", "pause":
	default:
		return nil, fmt.Errorf("deploy start %s: --on-failure is rollback or pause, not %q", vn, p.OnFailure)
	}
	if p.Interval <= 0 {
		p.Interval = time.Minute
	}
	if p.FailureLimit <= 0 {
		p.FailureLimit = 2
	}
	if p.GateTimeout <= 0 {
		p.GateTimeout = 24 * time.Hour
	}
	if _, err := s.DB.StartRollout(ctx, version, store.RolloutPlan{Steps: steps, Interval: p.Interval, FailureLimit: p.FailureLimit,
		OnFailure: p.OnFailure, GateTimeout: p.GateTimeout, Thresholds: s.Thresholds}, s.Actor); err != nil {
		return nil, err
	}
	slog.Info("rollout started", "wallet", vn, "steps", p.Steps, "on_failure", p.OnFailure)
	return s.DB.Rollout(ctx, version)
}

// DeployStatus is the wallet's latest rollout (store.ErrRolloutNotFound
// when it has none).
func (s *Service) DeployStatus(ctx context.Context, version int) (*model.Rollout, error) {
	return s.DB.Rollout(ctx, version)
}

// DeployControl is pause, resume, promote, abort or approve (gate set).
func (s *Service) DeployControl(ctx context.Context, verb string, version int, gate, reason string) (*model.Rollout, error) {
	var err error
	switch verb {
	case "pause":
		_, err = s.DB.PauseRollout(ctx, version, reason, s.Actor)
	case "resume":
		_, err = s.DB.ResumeRollout(ctx, version, reason, s.Actor)
	case "promote":
		_, err = s.DB.PromoteRollout(ctx, version, reason, s.Actor)
	case "abort":
		_, err = s.DB.AbortRollout(ctx, version, reason, s.Actor)
	case "approve":
		_, err = s.DB.ApproveGate(ctx, version, gate, reason, s.Actor)
	default:
		return nil, fmt.Errorf("deploy %s: not a rollout control", verb)
	}
	if err != nil {
		return nil, err
	}
	slog.Info("rollout control", "verb", verb, "wallet", model.VersionName(version), "gate", gate)
	return s.DB.Rollout(ctx, version)
}

// Controller drives one rollout: `deploy run`.
type Controller struct {
	// Probe, when set, is a live HSM signature with the new key, measured
	// each round beside the service's metrics (nil: metrics only).
	Probe func(ctx context.Context) (time.Duration, error)
	// Sleep waits d or until ctx ends (tests shorten nothing: they give
	// rollouts second-long steps and intervals).
	Sleep func(ctx context.Context, d time.Duration) error
	// Poll is how often a rollout waiting for a gate or paused is read
	// again; default 2 s.
	Poll time.Duration
	// Report hears what happened, in the operator's words.
	Report func(r *model.Rollout, event string)
}

// ErrStopped is returned (wrapped) when the controller was stopped (ctrl+c).
var ErrStopped = errors.New("the controller stopped; the rollout stays where it is in the database: run `console deploy run` again to continue")

// DeployRun drives the wallet's rollout until it completes, rolls back or
// is aborted, and returns it then. It refuses when another controller
// drives it.
func (s *Service) DeployRun(ctx context.Context, version int, c Controller) (*model.Rollout, error) {
	vn := model.VersionName(version)
	if _, err := s.DB.Rollout(ctx, version); err != nil {
		if errors.Is(err, store.ErrRolloutNotFound) {
			return nil, fmt.Errorf("deploy run %s: it has no rollout; start one with console deploy start %s", vn, vn)
		}
		return nil, err
	}
	lock, err := s.DB.LockController(ctx, version)
	if err != nil {
		return nil, err
	}
	defer lock.Release()
	if c.Sleep == nil {
		c.Sleep = sleep
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	report := func(r *model.Rollout, ev string) {
		slog.Info("rollout", "wallet", vn, "state", r.State, "step", r.Step, "event", ev)
		if c.Report != nil {
			c.Report(r, ev)
		}
	}
	last := "" // the state and step last reported
	seen := 0  // measurements reported
	first := true
	for {
		r, err := s.DB.Rollout(ctx, version)
		if err != nil {
			return nil, stopped(ctx, err)
		}
		if key := fmt.Sprintf("%s/%d", r.State, r.Step); key != last {
			last = key
			ev := r.Reason
			if first && r.State == model.RolloutRunning {
				ev = fmt.Sprintf("%s — %s of its dwell left", r.Reason, model.ShortDuration(r.TimeLeft()))
			}
			report(r, ev)
		}
		first = false
		for ; seen < len(r.Measurements); seen++ {
			report(r, measurementLine(r.Measurements[seen]))
		}
		if r.State.Done() {
			return r, nil
		}
		var wait time.Duration
		switch r.State {
		case model.RolloutWaitingForGate:
			if r.GateDeadline != nil && !r.Now.Before(*r.GateDeadline) {
				if _, err := s.DB.ExpireGate(ctx, version, s.Actor); err != nil {
					return nil, stopped(ctx, err)
				}
				continue
			}
			wait = c.Poll
			if r.GateDeadline != nil {
				wait = min(wait, r.GateDeadline.Sub(r.Now)+10*time.Millisecond)
			}
		case model.RolloutPaused:
			wait = c.Poll
		case model.RolloutRunning:
			var done bool
			if wait, done, err = s.round(ctx, r, c); err != nil {
				return nil, stopped(ctx, err)
			}
			if done {
				continue
			}
		}
		if err := c.Sleep(ctx, max(wait, 10*time.Millisecond)); err != nil {
			return nil, fmt.Errorf("deploy run %s: %w", vn, ErrStopped)
		}
	}
}

// round does what is due in a running step at the database's Now: a
// measurement at each interval from the analysis start (the first one at
// the dwell's end when the dwell is shorter), the next step once the dwell
// is over. It returns how long to wait, or done when it changed something.
func (s *Service) round(ctx context.Context, r *model.Rollout, c Controller) (time.Duration, bool, error) {
	since := *r.AnalysisFrom
	rounds := 0
	for _, m := range r.StepMeasurements() {
		if m.Metric == "error_rate" {
			rounds++
		}
	}
	end := r.StepStarted.Add(r.Dwell())
	due := since.Add(time.Duration(rounds+1) * r.Interval)
	if rounds == 0 && due.After(end) {
		due = end
	}
	if !r.Now.Before(due) {
		var probe *time.Duration
		var perr error
		if c.Probe != nil {
			d, err := c.Probe(ctx)
			probe, perr = &d, err
			if err != nil {
				probe = nil
			}
		}
		_, err := s.DB.Measure(ctx, r.Wallet, r.Step, probe, perr, s.Actor)
		return 0, true, err
	}
	if !r.Now.Before(end) && rounds > 0 {
		_, err := s.DB.Advance(ctx, r.Wallet, r.Step, s.Actor)
		if store.IsStepNotDone(err) {
			return due.Sub(r.Now), false, nil // measure again at the next interval
		}
		return 0, true, err
	}
	next := due
	if end.Before(next) && rounds > 0 {
		next = end
	}
	return next.Sub(r.Now), false, nil
}

func stopped(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ErrStopped
	}
	return err
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func measurementLine(m model.RolloutMeasurement) string { return m.Line() }

// KeyProbe signs with wallet's master key on the token a few times,
// verifies each signature outside the HSM, and returns the average time.
func KeyProbe(t *hsm.Token, version int) func(ctx context.Context) (time.Duration, error) {
	label := fmt.Sprintf("plings_master_key_v%d", version) // the ceremony's label (wallet_import_ceremony)
	return func(ctx context.Context) (time.Duration, error) {
		k, err := t.FindKey(label)
		if err != nil {
			return 0, fmt.Errorf("key %s: %w", label, err)
		}
		const n = 10
		msg := make([]byte, 32)
		var total time.Duration
		for i := 0; i < n; i++ {
			if _, err := rand.Read(msg); err != nil {
				return 0, err
			}
			start := time.Now()
			sig, err := k.Sign(msg)
			total += time.Since(start)
			if err != nil {
				return 0, fmt.Errorf("sign with %s: %w", label, err)
			}
			if !ed25519.Verify(k.Public(), msg, sig) {
				return 0, fmt.Errorf("a signature by %s does not verify under its public key", label)
			}
		}
		return total / n, nil
	}
}

// DemoTraffic writes per-minute metrics for wallet as the identifier
// service would, marked simulated: requestsPerMin requests a minute with
// errorRate (a fraction) failing, from the minute before this one to
// `dur` ahead. The rows start a minute back and run ahead so that a
// rollout's analysis window (the minute in progress and the one before)
// sees them at once, also with second-long test steps.
func (s *Service) DemoTraffic(ctx context.Context, version int, errorRate, latencyMs, signatureMs float64, requestsPerMin int64, dur time.Duration) (int, error) {
	vn := model.VersionName(version)
	if errorRate < 0 || errorRate > 1 {
		return 0, fmt.Errorf("demo traffic %s: --error-rate is a fraction from 0 to 1 (0.05 is 5 %%), or a percentage such as 5%%", vn)
	}
	if latencyMs < 0 || signatureMs < 0 || requestsPerMin <= 0 || dur <= 0 {
		return 0, fmt.Errorf("demo traffic %s: --latency-ms and --signature-ms are at least 0, --requests and --for above 0", vn)
	}
	start := s.now().Truncate(time.Minute).Add(-time.Minute)
	var rows []store.MinuteMetric
	for m := start; m.Before(s.now().Add(dur)); m = m.Add(time.Minute) {
		rows = append(rows, store.MinuteMetric{Minute: m, Requests: requestsPerMin,
			Errors: int64(float64(requestsPerMin)*errorRate + 0.5), AllocationMs: latencyMs, SignatureMs: signatureMs})
	}
	if _, err := s.DB.RecordMinuteMetrics(ctx, version, rows, true, s.Actor); err != nil {
		return 0, err
	}
	return len(rows), nil
}

// ParseErrorRate reads --error-rate: a fraction (0.05) or a percentage (5%).
func ParseErrorRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	var v float64
	pct := strings.HasSuffix(s, "%")
	if _, err := fmt.Sscanf(strings.TrimSuffix(s, "%"), "%g", &v); err != nil {
		return 0, fmt.Errorf("--error-rate is a fraction (0.05) or a percentage (5%%), not %q", s)
	}
	if pct {
		v /= 100
	}
	return v, nil
}
