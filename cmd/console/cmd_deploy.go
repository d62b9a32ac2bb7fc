package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// The deployment's commands: start, the controller (run), status and the
// operator's controls. The rollout lives in the database; these only ask
// it and print.

func walletArg(name string, c *call) (int, error) {
	v, err := model.ParseVersion(c.args[0])
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return v, nil
}

func bindDeployStart(fs *flag.FlagSet) handler {
	steps := fs.String("steps", model.DefaultSteps, "the steps: weight:dwell,…,100 (weights in %, dwells as 90s, 15m, 1h)")
	onFailure := fs.String("on-failure", "rollback", "when a step fails its analysis: rollback or pause")
	interval := fs.Duration("interval", time.Minute, "time between measurements in a step")
	limit := intFlag(fs, "failure-limit", 2, 1, 1000, "failed measurements of one metric in a step that fail it")
	gate := fs.Duration("gate-timeout", 24*time.Hour, "a gate left waiting longer aborts the rollout")
	return func(ctx context.Context, c *call) error {
		v, err := walletArg("deploy start", c)
		if err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			r, err := s.DeployStart(ctx, v, ops.DeployPlan{Steps: *steps, OnFailure: *onFailure, Interval: *interval,
				FailureLimit: *limit, GateTimeout: *gate})
			if err != nil {
				return err
			}
			vn := model.VersionName(v)
			fmt.Fprintf(c.out, "%s is deployed; its rollout (%s, from %s) waits for the go gate until %s\n", vn,
				model.FormatSteps(r.Steps), model.VersionName(r.From), r.GateDeadline.UTC().Format(time.RFC3339))
			fmt.Fprintf(c.out, "next: a login other than %s runs `console deploy approve %s --gate go`, then `console deploy run %s` drives it\n",
				ui.Inert(r.StartedBy), vn, vn)
			return nil
		})
	}
}

func bindDeployRun(fs *flag.FlagSet) handler {
	var h hsmFlags
	h.register(fs)
	poll := fs.Duration("poll", 2*time.Second, "how often a rollout waiting for a gate or paused is read again")
	return func(ctx context.Context, c *call) error {
		v, err := walletArg("deploy run", c)
		if err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			ctl := ops.Controller{Poll: *poll, Report: func(r *model.Rollout, ev string) {
				fmt.Fprintf(c.out, "%s  %s\n", r.Now.UTC().Format("15:04:05"), ui.Inert(ev))
			}}
			// The live HSM probe is optional: without --token the analysis
			// judges the identifier service's metrics only.
			if h.token != "" {
				_, t, closeT, err := h.openToken(&c.g, true)
				if err != nil {
					return fmt.Errorf("deploy run %s: the HSM probe: %w", model.VersionName(v), err)
				}
				defer closeT()
				ctl.Probe = ops.KeyProbe(t, v)
			}
			r, err := s.DeployRun(ctx, v, ctl)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "rollout of %s %s: %s\n", model.VersionName(v), r.State.Words(), ui.Inert(r.Reason))
			if r.State != model.RolloutCompleted {
				return &exitError{code: 2, err: fmt.Errorf("the rollout of %s was %s; `console deploy status %s` shows why",
					model.VersionName(v), r.State.Words(), model.VersionName(v))}
			}
			return nil
		})
	}
}

func bindDeployStatus(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "redraw every second until the rollout ends (ctrl+c stops)")
	return func(ctx context.Context, c *call) error {
		v, err := walletArg("deploy status", c)
		if err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			for {
				r, err := s.DeployStatus(ctx, v)
				if err != nil && !errors.Is(err, store.ErrRolloutNotFound) {
					return err
				}
				if *asJSON {
					if err := printRolloutJSON(c.out, v, r); err != nil {
						return err
					}
				} else {
					if *watch && isTerminal(os.Stdout) {
						fmt.Fprint(c.out, "\x1b[H\x1b[2J")
					}
					printRollout(c.out, v, r)
				}
				if !*watch || r == nil || r.State.Done() {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(time.Second):
				}
			}
		})
	}
}

func bindDeployControl(verb string) binding {
	return func(fs *flag.FlagSet) handler {
		reason := fs.String("reason", "", "why, for the audit log (needed to abort)")
		var gate *string
		if verb == "approve" {
			gate = fs.String("gate", "", "the gate you sign off: go (before the first step) or promotion (before 100 %)")
		}
		return func(ctx context.Context, c *call) error {
			name := "deploy " + verb
			v, err := walletArg(name, c)
			if err != nil {
				return err
			}
			g := ""
			if gate != nil {
				if g = strings.TrimSpace(*gate); g != model.GateGo && g != model.GatePromotion {
					return fmt.Errorf("%s %s: say which gate with --gate go or --gate promotion", name, model.VersionName(v))
				}
			}
			return c.serve(ctx, func(s *ops.Service) error {
				r, err := s.DeployControl(ctx, verb, v, g, *reason)
				if err != nil {
					return err
				}
				fmt.Fprintf(c.out, "rollout of %s: %s — %s\n", model.VersionName(v), r.State.Words(), ui.Inert(r.Reason))
				if verb == "approve" && r.State == model.RolloutAborted {
					return &exitError{code: 2, err: fmt.Errorf("the %s gate had waited past its deadline: the rollout is aborted", g)}
				}
				return nil
			})
		}
	}
}

func bindDemoTraffic(fs *flag.FlagSet) handler {
	rate := fs.String("error-rate", "0", "share of requests that fail: a fraction (0.05) or a percentage (5%)")
	latency := float64Flag(fs, "latency-ms", 20, "average allocation latency, ms")
	sig := float64Flag(fs, "signature-ms", 2, "average signature latency, ms")
	reqs := int64Flag(fs, "requests", 1000, "requests a minute")
	dur := fs.Duration("for", 10*time.Minute, "how far ahead to write the minutes")
	return func(ctx context.Context, c *call) error {
		v, err := walletArg("demo traffic", c)
		if err != nil {
			return err
		}
		r, err := ops.ParseErrorRate(*rate)
		if err != nil {
			return fmt.Errorf("demo traffic: %w", err)
		}
		return c.serve(ctx, func(s *ops.Service) error {
			n, err := s.DemoTraffic(ctx, v, r, *latency, *sig, *reqs, *dur)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.out, "wrote %d simulated minutes for %s (from the minute before this one, %s ahead): %d requests a minute, %g %% errors, allocation %g ms, signature %g ms\n",
				n, model.VersionName(v), model.ShortDuration(*dur), *reqs, r*100, *latency, *sig)
			return nil
		})
	}
}

func float64Flag(fs *flag.FlagSet, name string, def float64, usage string) *float64 {
	return fs.Float64(name, def, usage)
}

// rolloutJSON is `deploy status --json`: durations in seconds.
type rolloutJSON struct {
	*model.Rollout
	Steps           []stepJSON `json:"steps"`
	IntervalSeconds float64    `json:"interval_seconds"`
	GateTimeoutSecs float64    `json:"gate_timeout_seconds"`
	StepCount       int        `json:"step_count"`
	SetWeight       int        `json:"set_weight"`
	ActualWeight    float64    `json:"actual_weight"`
	TimeLeftSeconds float64    `json:"time_left_seconds"`
	Actions         []string   `json:"actions"`
}

type stepJSON struct {
	Weight       int     `json:"weight"`
	DwellSeconds float64 `json:"dwell_seconds"`
}

type shareJSON struct {
	Wallet  string  `json:"wallet"`
	Percent float64 `json:"percent"`
}

func printRolloutJSON(out io.Writer, v int, r *model.Rollout) error {
	doc := struct {
		Wallet  string       `json:"wallet"`
		Rollout *rolloutJSON `json:"rollout"`
		Shares  []shareJSON  `json:"shares"`
	}{Wallet: model.VersionName(v), Shares: []shareJSON{}}
	if r != nil {
		j := &rolloutJSON{Rollout: r, IntervalSeconds: r.Interval.Seconds(), GateTimeoutSecs: r.GateTimeout.Seconds(),
			StepCount: len(r.Steps), SetWeight: r.SetWeight(), ActualWeight: r.ActualWeight(),
			TimeLeftSeconds: r.TimeLeft().Seconds(), Actions: r.Actions()}
		for _, s := range r.Steps {
			j.Steps = append(j.Steps, stepJSON{Weight: s.Weight, DwellSeconds: s.Dwell.Seconds()})
		}
		if j.Measurements == nil {
			j.Measurements = []model.RolloutMeasurement{}
		}
		doc.Rollout = j
		for _, w := range sortedWallets(r.Shares) {
			doc.Shares = append(doc.Shares, shareJSON{Wallet: model.VersionName(w), Percent: r.Shares[w]})
		}
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(out, string(b))
	return err
}

func sortedWallets(m map[int]float64) []int {
	var ws []int
	for w := range m {
		ws = append(ws, w)
	}
	sort.Ints(ws)
	return ws
}

// printRollout is `deploy status`: the rollout's report (model), inert.
func printRollout(out io.Writer, v int, r *model.Rollout) {
	vn := model.VersionName(v)
	if r == nil {
		fmt.Fprintf(out, "%s has no rollout. Start one: console deploy start %s\n", vn, vn)
		return
	}
	for _, l := range r.Report() {
		fmt.Fprintln(out, ui.Inert(l))
	}
}
