package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/plings/walletconsole/hsm"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui"
)

// Exit codes of `console health`, for cron and the daily checklist.
const (
	exitHealthy   = 0
	exitWarning   = 1
	exitUnhealthy = 2
	exitUnknown   = 3 // the database or the HSM could not be asked
)

type walletHealth struct {
	Version int                 `json:"version"`
	Name    string              `json:"name"`
	Status  string              `json:"status"`
	Overall model.HealthState   `json:"overall"`
	Checks  []model.CheckResult `json:"checks"`
}

type healthReport struct {
	Database string            `json:"database"`
	HSM      string            `json:"hsm"`
	Overall  model.HealthState `json:"overall"`
	Wallets  []walletHealth    `json:"wallets"`
}

// cmdHealth runs the six checks of DESIGN.md for every wallet that is not
// retired: database and (with --token) HSM measured live, the rest from the
// stored metrics and open alerts. The exit code is the overall state.
func cmdHealth(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("health")
	var h hsmFlags
	h.register(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	th := model.DefaultThresholds()
	unknown := func(err error) error {
		return &exitError{code: exitUnknown, err: fmt.Errorf("health unknown: %w", err)}
	}

	rep := healthReport{HSM: "not measured (no --token): stored averages used"}
	var hsmLatency, sigAvg time.Duration
	if h.token != "" {
		_, t, closeHSM, err := h.openToken(g, true)
		if err != nil {
			return unknown(err)
		}
		defer closeHSM()
		if hsmLatency, sigAvg, err = measureHSM(t); err != nil {
			return unknown(err)
		}
		rep.HSM = fmt.Sprintf("%s token %s (live)", h.module, ui.Inert(h.token))
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return unknown(err)
	}
	defer closeDB()
	rep.Database = db.Where()
	dbLatency, dbErr := db.Ping(ctx)
	inputs, err := db.HealthInputs(ctx)
	if err != nil {
		return unknown(err)
	}
	var all []model.CheckResult // every check of every wallet: the overall state
	for _, in := range inputs {
		var checks []model.CheckResult
		stored := func(name model.CheckName, d *time.Duration, eval func(time.Duration) model.CheckResult) model.CheckResult {
			if d == nil {
				return model.CheckResult{Name: name, State: model.HealthUnknown, Message: "no measurement recorded"}
			}
			r := eval(*d)
			r.Message += " (stored average)"
			return r
		}
		if h.token != "" {
			checks = append(checks, th.HSMConnectivity(hsmLatency, nil), th.SignaturePerformance(sigAvg, nil))
		} else {
			checks = append(checks,
				stored(model.CheckHSMConnectivity, in.HSMResponseAvg, func(d time.Duration) model.CheckResult { return th.HSMConnectivity(d, nil) }),
				stored(model.CheckSignaturePerformance, in.SignatureAvg, func(d time.Duration) model.CheckResult { return th.SignaturePerformance(d, nil) }))
		}
		checks = append(checks,
			stored(model.CheckPathAllocationRate, in.AllocationAvg, th.PathAllocationRate),
			th.DatabaseResponse(dbLatency, dbErr),
			th.ErrorRate(in.Errors, in.Requests),
			th.SecurityAlerts(in.OpenWarnings, in.OpenCritical))
		for i := range checks {
			checks[i].Message = ui.Inert(checks[i].Message)
		}
		w := walletHealth{Version: in.Version, Name: ui.Inert(in.Name), Status: string(in.Status), Overall: model.Overall(checks), Checks: checks}
		rep.Wallets = append(rep.Wallets, w)
		all = append(all, checks...)
	}
	rep.Overall = model.Overall(all)
	if len(rep.Wallets) == 0 {
		rep.Overall = model.HealthHealthy // no wallet to be unwell
	}
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printHealth(out, rep)
	}
	switch rep.Overall {
	case model.HealthHealthy:
		return nil
	case model.HealthWarning:
		return &exitError{code: exitWarning, err: fmt.Errorf("health: warning")}
	default:
		return &exitError{code: exitUnhealthy, err: fmt.Errorf("health: %s", rep.Overall)}
	}
}

// measureHSM pings the token and times 20 signatures with a session key it
// destroys afterwards.
func measureHSM(t *hsm.Token) (ping, sigAvg time.Duration, err error) {
	p, err := t.Ping()
	if err != nil {
		return 0, 0, err
	}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	label := "console-health-" + hex.EncodeToString(suffix)
	key, err := t.GenerateKey(label, hsm.KeyOptions{Session: true})
	if err != nil {
		return 0, 0, err
	}
	defer func() { _ = t.DestroyKey(label) }()
	const n = 20
	msg := []byte("wallet console health check")
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := key.Sign(msg); err != nil {
			return 0, 0, err
		}
	}
	return p.Latency, time.Since(start) / n, nil
}

func printHealth(out io.Writer, rep healthReport) {
	fmt.Fprintf(out, "database: %s\nhsm:      %s\noverall:  %s\n", rep.Database, rep.HSM, rep.Overall)
	for _, w := range rep.Wallets {
		fmt.Fprintf(out, "\n%s (%s): %s\n", w.Name, w.Status, w.Overall)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		for _, c := range w.Checks {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.Name, c.State, c.Value, c.Threshold, c.Message)
		}
		tw.Flush()
	}
}
