package main

// The migration engine's commands: the worker (run), status, the
// operator's controls and verify. The migration lives in the database;
// these ask it and print.

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// migrationArg reads the migration's id (#3 or 3) when there is one.
func migrationArg(name string, c *call, required bool) (int64, error) {
	if len(c.args) == 0 {
		if required {
			return 0, fmt.Errorf("%s needs the migration's id, e.g. `console %s 3` (`console migration status` lists them)", name, name)
		}
		return 0, nil
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(c.args[0], "#"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("%s: %q is not a migration id (a number such as 3; `console migration status` lists them)", name, c.args[0])
	}
	return id, nil
}

// bindMigrationRun is `console migration run [ID]`: the worker.
func bindMigrationRun(fs *flag.FlagSet) handler {
	chunk := fs.Duration("chunk-time", ops.DefaultChunkTime, "the batch time aimed at; the batch size adapts to it")
	batch := intFlag(fs, "batch", 0, 0, 100000, "the first batch's size (default: the migration's own)")
	maxLoad := fs.String("max-load", "waiting=8", "throttle while the database is loaded: waiting=N (sessions waiting for a lock), active=N (running a statement); comma-separated, 0 turns one off; given, it comes before the migration's own (migration start --max-load)")
	maxAlloc := fs.Float64("max-allocation-ms", 50, "throttle while the identifier service reports allocations slower than this in either wallet (0: off)")
	maxProbe := fs.Duration("max-probe", 50*time.Millisecond, "throttle while a probe of the target's paths takes longer (0: off)")
	workers := intFlag(fs, "workers", 1, 1, 16, "batch loops side by side, each on its own connection (one per core the database can spare)")
	follow := fs.Bool("follow", false, "keep running when no migration is left, waiting for the next (for systemd)")
	quiet := fs.Bool("quiet", false, "print only throttles, waits, retries and the end (for cron)")
	return func(ctx context.Context, c *call) error {
		id, err := migrationArg("migration run", c, false)
		if err != nil {
			return err
		}
		w := ops.MigrationWorker{ID: id, ChunkTime: *chunk, Batch: *batch, MaxAllocationMs: *maxAlloc, MaxProbe: *maxProbe, Follow: *follow, Workers: *workers}
		if err := parseMaxLoad("migration run", *maxLoad, &w.MaxWaiting, &w.MaxActive); err != nil {
			return err
		}
		w.OwnLoad = fs.Changed("max-load")
		return c.serve(ctx, func(s *ops.Service) error {
			last := ""
			w.OnEvent = func(e ops.WorkerEvent) {
				now := time.Now().UTC().Format("15:04:05")
				switch {
				case e.Err != nil:
					fmt.Fprintf(c.out, "%s  #%d batch of %d failed, retrying smaller: %s\n", now, e.Migration, e.Size, ui.Inert(e.Err.Error()))
				case e.Throttle != "":
					if e.Throttle != last {
						fmt.Fprintf(c.out, "%s  #%d throttled: %s\n", now, e.Migration, ui.Inert(e.Throttle))
					}
					last = e.Throttle
					return
				case e.Wait != "":
					if e.Wait != last {
						fmt.Fprintf(c.out, "%s  #%d waits: %s\n", now, e.Migration, ui.Inert(e.Wait))
					}
					last = e.Wait
					return
				case e.Batch.BatchNo > 0 && !*quiet:
					fmt.Fprintf(c.out, "%s  #%d batch %d: %d paths in %s (asked %d), %d left, %s\n", now, e.Migration, e.Batch.BatchNo,
						e.Batch.Moved, e.Took.Round(time.Millisecond), e.Size, e.Batch.Remaining, e.Batch.State)
				case e.Batch.State == "moved" || e.Batch.State == "rolled_back":
					fmt.Fprintf(c.out, "%s  #%d %s\n", now, e.Migration, e.Batch.State)
				}
				last = ""
			}
			if err := s.RunMigrations(ctx, w); err != nil {
				return err
			}
			if id == 0 {
				fmt.Fprintln(c.out, "no migration is running or rolling back: nothing left to do")
				return nil
			}
			m, err := s.Migration(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintln(c.out, ui.Inert(m.Figures().StatusLine(time.Now())))
			if m.State == "moved" {
				fmt.Fprintf(c.out, "next: `console migration verify %d` compares both wallets and completes it\n", id)
			}
			return nil
		})
	}
}

// parseMaxLoad reads --max-load's waiting=N,active=N into the limits it names.
func parseMaxLoad(cmd, s string, waiting, active *int) error {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 || n > 100000 {
			return fmt.Errorf("%s --max-load: %q is not NAME=N (waiting=8, active=25; 0 turns one off)", cmd, part)
		}
		switch k {
		case "waiting":
			*waiting = n
		case "active":
			*active = n
		default:
			return fmt.Errorf("%s --max-load: %q is not waiting or active", cmd, k)
		}
	}
	return nil
}

// bindMigrationStatus is `console migration status [ID] [--json] [--watch]`.
func bindMigrationStatus(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	watch := fs.Bool("watch", false, "print the status line again every --interval until the migration stops moving (Ctrl-C ends it)")
	interval := fs.Duration("interval", time.Second, "the time between lines with --watch")
	return func(ctx context.Context, c *call) error {
		id, err := migrationArg("migration status", c, false)
		if err != nil {
			return err
		}
		if *watch && *asJSON {
			return fmt.Errorf("migration status: --watch prints lines; leave out --json (or poll --json yourself)")
		}
		return c.serve(ctx, func(s *ops.Service) error {
			read := func() ([]ops.Migration, error) {
				if id != 0 {
					m, err := s.Migration(ctx, id)
					return []ops.Migration{m}, err
				}
				return s.Migrations(ctx)
			}
			for {
				ms, err := read()
				if err != nil {
					return err
				}
				if *asJSON {
					return printMigrationsJSON(c.out, ms)
				}
				if len(ms) == 0 {
					fmt.Fprintln(c.out, "no manufacturer migration yet: `console migration plan --from vA --to vB` shows what one would do")
					return nil
				}
				moving := false
				for _, m := range ms {
					fmt.Fprintln(c.out, ui.Inert(m.Figures().StatusLine(time.Now())))
					moving = moving || m.Moving()
				}
				if !*watch || !moving {
					return nil
				}
				select {
				case <-ctx.Done():
					return nil
				case <-time.After(*interval):
				}
			}
		})
	}
}

type migrationJSON struct {
	ID             int64      `json:"id"`
	Manufacturer   string     `json:"manufacturer_name"`
	Source         string     `json:"source_wallet"`
	Target         string     `json:"target_wallet"`
	Direction      string     `json:"direction"`
	State          string     `json:"state"`
	Shown          string     `json:"state_shown"`
	PauseReason    string     `json:"pause_reason"`
	ThrottleReason string     `json:"throttle_reason"`
	ThrottledBy    string     `json:"throttled_by"`
	Phase          int        `json:"phase"`
	Phases         int        `json:"total_phases"`
	Total          int64      `json:"total_paths"`
	Moved          int64      `json:"moved_paths"`
	Skipped        int64      `json:"skipped_paths"`
	Returned       int64      `json:"returned_paths"`
	Done           int64      `json:"done"`
	Of             int64      `json:"of"`
	Percent        float64    `json:"percent"`
	Rate           float64    `json:"paths_per_second"`
	ETASeconds     *float64   `json:"eta_seconds"`
	Batches        int        `json:"batches"`
	BatchSize      int        `json:"batch_size"`
	StartedAt      *time.Time `json:"started_at"`
	LastBatchAt    *time.Time `json:"last_batch_at"`
	CompletedAt    *time.Time `json:"completed_at"`
	VerifiedAt     *time.Time `json:"verified_at"`
	VerifyFindings *int       `json:"verify_findings"`
	// The migration's own load limits (migration start --max-load); null:
	// the worker's.
	MaxWaiting *int   `json:"max_waiting"`
	MaxActive  *int   `json:"max_active"`
	StatusLine string `json:"status_line"`
}

func printMigrationsJSON(w io.Writer, ms []ops.Migration) error {
	out := []migrationJSON{}
	now := time.Now()
	for _, m := range ms {
		f := m.Figures()
		j := migrationJSON{ID: m.ID, Manufacturer: m.Manufacturer, Source: model.VersionName(m.Source),
			Target: model.VersionName(m.Target), Direction: m.Direction, State: m.State, Shown: f.Shown(),
			PauseReason: m.PauseReason, ThrottleReason: m.ThrottleReason, ThrottledBy: m.ThrottledBy, Phase: m.Phase,
			Phases: m.TotalPhases, Total: m.Total, Moved: m.Moved, Skipped: m.Skipped, Returned: m.Returned,
			Done: f.Done(), Of: f.Of(), Percent: f.Percent(), Rate: f.Rate(), Batches: m.Batches, BatchSize: m.BatchSize,
			StartedAt: m.StartedAt, LastBatchAt: m.LastBatchAt, CompletedAt: m.CompletedAt, VerifiedAt: m.VerifiedAt,
			VerifyFindings: m.VerifyFindings, MaxWaiting: m.MaxWaiting, MaxActive: m.MaxActive, StatusLine: f.StatusLine(now)}
		if d, ok := f.ETA(); ok {
			secs := d.Seconds()
			j.ETASeconds = &secs
		}
		out = append(out, j)
	}
	return printJSON(w, out)
}

// bindMigrationControl is `console migration pause|resume|throttle|rollback ID`.
func bindMigrationControl(verb string) func(*flag.FlagSet) handler {
	return func(fs *flag.FlagSet) handler {
		var reason *string
		var forDur *time.Duration
		var off *bool
		switch verb {
		case "pause", "rollback":
			reason = fs.String("reason", "", "why (required; in the audit log)")
		case "resume":
			reason = fs.String("reason", "", "why (in the audit log)")
		case "throttle":
			reason = fs.String("reason", "", "why the batches wait (required unless --off; shown on every screen)")
			forDur = durationFlag(fs, "for", 0, "how long (e.g. 30m); default until lifted with --off")
			off = fs.Bool("off", false, "lift the operator's throttle")
		}
		name := "migration " + verb
		return func(ctx context.Context, c *call) error {
			id, err := migrationArg(name, c, true)
			if err != nil {
				return err
			}
			v := verb
			if off != nil && *off {
				v = "unthrottle"
			} else if reason != nil && strings.TrimSpace(*reason) == "" && verb != "resume" {
				return fmt.Errorf("%s needs --reason TEXT (it goes in the audit log%s)", name,
					map[bool]string{true: "; --off lifts a throttle", false: ""}[verb == "throttle"])
			}
			var until time.Time
			if forDur != nil && *forDur > 0 {
				until = time.Now().Add(*forDur)
			}
			return c.serve(ctx, func(s *ops.Service) error {
				did, seq, err := s.MigrationControl(ctx, v, id, *reason, until)
				if err != nil {
					return err
				}
				fmt.Fprintln(c.out, ui.Inert(did))
				if seq > 0 {
					fmt.Fprintf(c.out, "  audit row #%d\n", seq)
				}
				return nil
			})
		}
	}
}

// bindMigrationVerify is `console migration verify ID [--json]`: exit 1
// when it finds anything.
func bindMigrationVerify(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		id, err := migrationArg("migration verify", c, true)
		if err != nil {
			return err
		}
		return c.serve(ctx, func(s *ops.Service) error {
			v, err := s.VerifyMigration(ctx, id)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := printJSON(c.out, v); err != nil {
					return err
				}
			} else {
				printVerify(c.out, v)
			}
			if v.FindingCount > 0 {
				return &exitError{code: 1, err: fmt.Errorf("migration verify %d: %d mismatches (listed above)", id, v.FindingCount)}
			}
			return nil
		})
	}
}

func printVerify(w io.Writer, v store.VerifyResult) {
	n := v.Counts
	fmt.Fprintf(w, "migration #%d: %d paths queued, %d moved, %d skipped (not live when their batch ran), %d still queued, %d returned; %d batch checksums recomputed (%.0f ms)\n",
		v.MigrationID, n["queued_total"], n["moved"], n["skipped"], n["still_queued"], n["returned"], n["batches_checked"], v.DurationMS)
	if v.FindingCount == 0 {
		fmt.Fprintln(w, "verify: every moved path is in its target exactly once and the same, none is left live where it was, the counters agree")
	}
	for _, f := range v.Findings {
		fmt.Fprintf(w, "MISMATCH: %s: %d", ui.Inert(f.Kind), f.Count)
		if len(f.Keys) > 0 {
			keys := make([]string, len(f.Keys))
			for i, k := range f.Keys {
				keys[i] = ui.Inert(k)
			}
			fmt.Fprintf(w, " (%s%s)", strings.Join(keys, ", "), map[bool]string{true: ", …", false: ""}[f.Count > int64(len(f.Keys))])
		}
		fmt.Fprintln(w)
	}
	switch {
	case v.Completed:
		fmt.Fprintf(w, "migration #%d completed: the manufacturer is active in its new wallet and migrated in the old; lineage completed 100 %%\n", v.MigrationID)
	case v.State == "moved":
		fmt.Fprintf(w, "migration #%d stays moved, not completed: fix what is listed (or roll it back), then verify again\n", v.MigrationID)
	default:
		fmt.Fprintf(w, "migration #%d is %s\n", v.MigrationID, v.State)
	}
	fmt.Fprintf(w, "  audit row #%d\n", v.Seq)
}
