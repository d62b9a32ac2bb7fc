package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file: the gradual blue-green deployment (DESIGN.md, lifecycle flow
// 4) as both front ends show it. The state machine itself lives in the
// database (wallet_rollouts and its functions); these are its values and
// the words for them.

// RolloutState is a rollout's state as the database stores it.
type RolloutState string

const (
	RolloutWaitingForGate RolloutState = "waiting_for_gate"
	RolloutRunning        RolloutState = "running"
	RolloutPaused         RolloutState = "paused"
	RolloutRolledBack     RolloutState = "rolled_back"
	RolloutCompleted      RolloutState = "completed"
	RolloutAborted        RolloutState = "aborted"
)

// Done says whether nothing more happens in a rollout in state s.
func (s RolloutState) Done() bool {
	return s == RolloutRolledBack || s == RolloutCompleted || s == RolloutAborted
}

// Gates: before the first step, and before 100 %.
const (
	GateGo        = "go"
	GatePromotion = "promotion"
)

// The audit rows of a rollout.
const (
	OpDeploymentStart       OperationType = "deployment_start"
	OpDeploymentGateWaiting OperationType = "deployment_gate_waiting"
	OpDeploymentGate        OperationType = "deployment_gate_approval"
	OpDeploymentStep        OperationType = "deployment_step"
	OpDeploymentPause       OperationType = "deployment_pause"
	OpDeploymentResume      OperationType = "deployment_resume"
	OpDeploymentPromote     OperationType = "deployment_promote"
	OpDeploymentRollback    OperationType = "deployment_rollback"
	OpDeploymentAbort       OperationType = "deployment_abort"
	OpDeploymentCompleted   OperationType = "deployment_completed"
	OpServiceMetrics        OperationType = "service_metrics"
)

// RolloutStep is one step: the new wallet's share of the traffic, and how
// long it is watched before the next.
type RolloutStep struct {
	Weight int           `json:"weight"`
	Dwell  time.Duration `json:"-"`
}

// DefaultSteps are seed 000's: 1 % for 10 min, 5 % for 15, 25 % for 20,
// 50 % for 30, then 100 %.
const DefaultSteps = "1:10m,5:15m,25:20m,50:30m,100"

// ParseSteps reads "1:10m,5:15m,25:20m,50:30m,100": weights in percent
// going up to 100, each but the last with its dwell (a Go duration).
func ParseSteps(s string) ([]RolloutStep, error) {
	var out []RolloutStep
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		w, d, hasDwell := strings.Cut(part, ":")
		weight, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(w), "%"))
		if err != nil || weight < 1 || weight > 100 {
			return nil, fmt.Errorf("step %d (%q): the weight is a percentage from 1 to 100, e.g. 5:15m", i+1, part)
		}
		st := RolloutStep{Weight: weight}
		if hasDwell {
			st.Dwell, err = time.ParseDuration(strings.TrimSpace(d))
			if err != nil || st.Dwell < 0 {
				return nil, fmt.Errorf("step %d (%q): the dwell is a duration such as 90s, 15m or 1h", i+1, part)
			}
		}
		if len(out) > 0 && weight <= out[len(out)-1].Weight {
			return nil, fmt.Errorf("step %d (%q): weights go up, each above the one before (%d %%)", i+1, part, out[len(out)-1].Weight)
		}
		if weight < 100 && st.Dwell <= 0 {
			return nil, fmt.Errorf("step %d (%q): a step below 100 %% needs a dwell time to be judged over, e.g. %d:10m", i+1, part, weight)
		}
		out = append(out, st)
	}
	if len(out) == 0 || out[len(out)-1].Weight != 100 {
		return nil, fmt.Errorf("the last step is 100 (%q ends below it)", s)
	}
	return out, nil
}

// FormatSteps writes steps back as ParseSteps reads them.
func FormatSteps(steps []RolloutStep) string {
	var parts []string
	for _, s := range steps {
		if s.Dwell > 0 {
			parts = append(parts, fmt.Sprintf("%d:%s", s.Weight, ShortDuration(s.Dwell)))
		} else {
			parts = append(parts, strconv.Itoa(s.Weight))
		}
	}
	return strings.Join(parts, ",")
}

// ShortDuration writes d as people read it: 10m, 1h30m, 45s, 1.5s.
func ShortDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	if d%time.Second != 0 {
		return d.Round(100 * time.Millisecond).String()
	}
	s := d.String()
	s = strings.TrimSuffix(s, "0s")
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	if s == "" {
		return "0s"
	}
	return s
}

// RolloutMeasurement is one metric measured in a step, against its threshold.
type RolloutMeasurement struct {
	At        time.Time `json:"at"`
	Step      int       `json:"step"`
	Weight    int       `json:"weight"`
	Metric    string    `json:"metric"`
	Value     *float64  `json:"value"` // nil: no data, which is not a pass
	Threshold float64   `json:"threshold"`
	Passed    bool      `json:"passed"`
	Detail    string    `json:"detail"`
}

// Unit is how the metric's values read.
func (m RolloutMeasurement) Unit() string {
	if m.Metric == "error_rate" {
		return "%"
	}
	return "ms"
}

// Rollout is one rollout as the database holds it, read at Now (the
// database's clock: time left is computed from it, never from a console's).
type Rollout struct {
	ID           int64         `json:"id"`
	Wallet       int           `json:"wallet"`
	From         int           `json:"from_wallet"`
	Steps        []RolloutStep `json:"steps"`
	Interval     time.Duration `json:"-"`
	FailureLimit int           `json:"failure_limit"`
	OnFailure    string        `json:"on_failure"`
	GateTimeout  time.Duration `json:"-"`
	MaxErrorRate float64       `json:"max_error_rate"`
	MaxAllocMs   float64       `json:"max_allocation_ms"`
	MaxSigMs     float64       `json:"max_signature_ms"`
	Step         int           `json:"step"` // 0: no step applied yet
	StepStarted  *time.Time    `json:"step_started_at"`
	AnalysisFrom *time.Time    `json:"analysis_since"`
	PausedAt     *time.Time    `json:"paused_at"`
	State        RolloutState  `json:"state"`
	Reason       string        `json:"reason"`
	Gate         string        `json:"gate"`
	GateDeadline *time.Time    `json:"gate_deadline"`
	GoBy         string        `json:"go_approved_by"`
	GoAt         *time.Time    `json:"go_approved_at"`
	PromotionBy  string        `json:"promotion_approved_by"`
	PromotionAt  *time.Time    `json:"promotion_approved_at"`
	StartedBy    string        `json:"started_by"`
	StartedAt    time.Time     `json:"started_at"`
	FinishedAt   *time.Time    `json:"finished_at"`
	Now          time.Time     `json:"now"`
	// Shares is what wallet_traffic_share says now, wallet → percent.
	Shares       map[int]float64      `json:"-"`
	Measurements []RolloutMeasurement `json:"measurements"` // this rollout's, oldest first
}

// SetWeight is the weight the current step sets (0 before the first).
func (r *Rollout) SetWeight() int {
	if r.Step < 1 || r.Step > len(r.Steps) {
		return 0
	}
	return r.Steps[r.Step-1].Weight
}

// ActualWeight is the new wallet's share in wallet_traffic_share.
func (r *Rollout) ActualWeight() float64 { return r.Shares[r.Wallet] }

// Dwell is the current step's dwell.
func (r *Rollout) Dwell() time.Duration {
	if r.Step < 1 || r.Step > len(r.Steps) {
		return 0
	}
	return r.Steps[r.Step-1].Dwell
}

// TimeLeft is what is left of the current step's dwell at Now (a paused
// step's clock stands still).
func (r *Rollout) TimeLeft() time.Duration {
	if r.StepStarted == nil || r.Step == 0 {
		return 0
	}
	at := r.Now
	if r.State == RolloutPaused && r.PausedAt != nil {
		at = *r.PausedAt
	}
	left := r.StepStarted.Add(r.Dwell()).Sub(at)
	if left < 0 {
		return 0
	}
	return left
}

// StepMeasurements are the measurements of the current step's analysis.
func (r *Rollout) StepMeasurements() []RolloutMeasurement {
	var out []RolloutMeasurement
	for _, m := range r.Measurements {
		if m.Step == r.Step && (r.AnalysisFrom == nil || !m.At.Before(*r.AnalysisFrom)) {
			out = append(out, m)
		}
	}
	return out
}

// FailedMeasurements are the rollout's failed measurements, oldest first.
func (r *Rollout) FailedMeasurements() []RolloutMeasurement {
	var out []RolloutMeasurement
	for _, m := range r.Measurements {
		if !m.Passed {
			out = append(out, m)
		}
	}
	return out
}

// Actions says what an operator can do now, as commands.
func (r *Rollout) Actions() []string {
	v := VersionName(r.Wallet)
	switch r.State {
	case RolloutWaitingForGate:
		return []string{
			fmt.Sprintf("console deploy approve %s --gate %s   (a login other than %s)", v, r.Gate, r.StartedBy),
			fmt.Sprintf("console deploy abort %s --reason TEXT", v),
		}
	case RolloutRunning:
		return []string{
			fmt.Sprintf("console deploy run %s   (the controller, if none is running)", v),
			fmt.Sprintf("console deploy pause %s | promote %s | abort %s --reason TEXT", v, v, v),
		}
	case RolloutPaused:
		return []string{
			fmt.Sprintf("console deploy resume %s", v),
			fmt.Sprintf("console deploy abort %s --reason TEXT", v),
		}
	case RolloutCompleted:
		return []string{fmt.Sprintf("console activate %s   (then it takes every allocation type)", v)}
	default:
		return []string{fmt.Sprintf("console deploy start %s   (a new rollout, once what failed is fixed)", v)}
	}
}

// StateWords is the state as the status line says it.
func (s RolloutState) Words() string {
	switch s {
	case RolloutWaitingForGate:
		return "waiting for a gate"
	case RolloutRolledBack:
		return "rolled back"
	}
	return string(s)
}

// MeasurementLine is one measurement as the front ends print it.
func (m RolloutMeasurement) Line() string {
	mark := "✓"
	if !m.Passed {
		mark = "✗"
	}
	val := "no data"
	if m.Value != nil {
		val = fmt.Sprintf("%g %s", *m.Value, m.Unit())
	}
	return fmt.Sprintf("%s step %d (%d %%) %s %s (≤ %g %s) %s", mark, m.Step, m.Weight, m.Metric, val, m.Threshold, m.Unit(), m.Detail)
}

// Report is the rollout in the manner of `kubectl argo rollouts get
// rollout`: where it is, why, what was measured, what can be done. The
// lines carry text from the database: front ends show them inert.
func (r *Rollout) Report() []string {
	vn := VersionName(r.Wallet)
	icon := map[RolloutState]string{RolloutWaitingForGate: "◷", RolloutRunning: "◌", RolloutPaused: "॥",
		RolloutRolledBack: "✖", RolloutCompleted: "✔", RolloutAborted: "✖"}[r.State]
	var out []string
	row := func(k, format string, a ...any) {
		out = append(out, fmt.Sprintf("%-14s %s", k+":", fmt.Sprintf(format, a...)))
	}
	row("Name", "%s (rollout %d, traffic from %s)", vn, r.ID, VersionName(r.From))
	row("Status", "%s %s", icon, r.State.Words())
	row("Message", "%s", r.Reason)
	row("Step", "%d/%d", r.Step, len(r.Steps))
	row("SetWeight", "%d %%", r.SetWeight())
	row("ActualWeight", "%g %% (%s has %g %%)", r.ActualWeight(), VersionName(r.From), r.Shares[r.From])
	if r.State == RolloutRunning || r.State == RolloutPaused {
		row("Time left", "%s of %s", ShortDuration(r.TimeLeft().Round(time.Second)), ShortDuration(r.Dwell()))
	}
	gate := func(name, by string, at *time.Time) string {
		switch {
		case by != "" && at != nil:
			return fmt.Sprintf("%s passed by %s at %s", name, by, at.UTC().Format(time.RFC3339))
		case r.State == RolloutWaitingForGate && r.Gate == name && r.GateDeadline != nil:
			return fmt.Sprintf("%s WAITING for a login other than %s, deadline %s (%s left)", name, r.StartedBy,
				r.GateDeadline.UTC().Format(time.RFC3339), ShortDuration(r.GateDeadline.Sub(r.Now).Round(time.Second)))
		}
		return name + " not yet"
	}
	row("Gates", "%s; %s", gate(GateGo, r.GoBy, r.GoAt), gate(GatePromotion, r.PromotionBy, r.PromotionAt))
	row("Started", "by %s at %s", r.StartedBy, r.StartedAt.UTC().Format(time.RFC3339))
	row("Analysis", "every %s; %d failed measurements of one metric in a step → %s", ShortDuration(r.Interval), r.FailureLimit, r.OnFailure)
	row("Thresholds", "error rate ≤ %g %%, allocation ≤ %g ms, signature ≤ %g ms", r.MaxErrorRate, r.MaxAllocMs, r.MaxSigMs)
	out = append(out, "Steps:")
	for i, s := range r.Steps {
		mark := " "
		switch {
		case i+1 < r.Step || (i+1 == r.Step && r.State == RolloutCompleted):
			mark = "✔"
		case i+1 == r.Step && r.State.Done():
			mark = "✖"
		case i+1 == r.Step:
			mark = "▶"
		}
		dwell := "—"
		if s.Dwell > 0 {
			dwell = ShortDuration(s.Dwell)
		}
		out = append(out, fmt.Sprintf("  %s %d  setWeight %3d %%  dwell %s", mark, i+1, s.Weight, dwell))
	}
	show, title := r.StepMeasurements(), "Measurements (this step):"
	if r.State.Done() {
		show, title = r.FailedMeasurements(), "Failed measurements:"
	}
	if len(show) > 12 {
		show = show[len(show)-12:]
	}
	if len(show) > 0 {
		out = append(out, title)
		for _, m := range show {
			out = append(out, fmt.Sprintf("  %s  %s", m.At.UTC().Format("15:04:05"), m.Line()))
		}
	}
	out = append(out, "You can:")
	for _, a := range r.Actions() {
		out = append(out, "  "+a)
	}
	return out
}
