package ui

import (
	"context"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/flows"
	"github.com/plings/walletconsole/ui/internal/uitest"
)

type fakeRollouts struct{ r *model.Rollout }

func (f fakeRollouts) DeployStatus(_ context.Context, v int) (*model.Rollout, error) {
	if f.r == nil || f.r.Wallet != v {
		return nil, flows.ErrNoRollout
	}
	return f.r, nil
}

// ":deploy v4" shows the rollout as `deploy status` does: step k of n, set
// and actual weight, the failing measurements with ✗, the state and why,
// what to type next; text from the database inert.
func TestDeploymentView(t *testing.T) {
	now := uitest.T0
	v := 0.05 * 100
	step := now.Add(-30 * time.Second)
	r := &model.Rollout{ID: 3, Wallet: 4, From: 1, State: model.RolloutRolledBack, Step: 3,
		Reason:   "step 3 (25 %) failed its analysis: error_rate failed 2 times (limit 2)\x1b[2J",
		Steps:    []model.RolloutStep{{Weight: 1, Dwell: time.Minute}, {Weight: 5, Dwell: time.Minute}, {Weight: 25, Dwell: time.Minute}, {Weight: 100}},
		Interval: time.Second, FailureLimit: 2, OnFailure: "rollback", StartedBy: "alice", GoBy: "bob", GoAt: &now,
		StepStarted: &step, AnalysisFrom: &step, StartedAt: now, Now: now, Shares: map[int]float64{1: 100, 4: 0},
		Measurements: []model.RolloutMeasurement{{At: now, Step: 3, Weight: 25, Metric: "error_rate", Value: &v, Threshold: 0.1, Detail: "50 errors in 1000 requests"}}}
	ta := newTestApp(t, uitest.SampleSource(), uitest.SampleHSM(), func(o *Options) { o.Rollouts = fakeRollouts{r} }).start(t, 120, 40)
	ta.press(t, ":")
	ta.typeText(t, "deploy v4")
	ta.press(t, "enter")
	mustShow(t, ta, "Deployment of v4", "✖ rolled back", "Step:", "3/4", "SetWeight:", "25 %", "ActualWeight:", "0 % (v1 has 100 %)",
		"✗ step 3 (25 %) error_rate 5 %", "go passed by bob", "console deploy start v4")
	mustNotShow(t, ta, "\x1b[2J")
	ta.press(t, "esc")
	ta.press(t, ":")
	ta.typeText(t, "deploy v2")
	ta.press(t, "enter")
	mustShow(t, ta, "v2 has no rollout", "console deploy start v2")
}
