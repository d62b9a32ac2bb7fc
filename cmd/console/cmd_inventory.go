package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ops"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// This file: status, show, audit verify and audit log.

func bindStatus(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return printStatus(ctx, &c.g, *asJSON, c.out)
	}
}

// printStatus prints the inventory as text or JSON (`console status`, and
// `console` without a terminal).
func printStatus(ctx context.Context, g *globals, asJSON bool, out io.Writer) error {
	s, closeS, err := g.service(ctx)
	if err != nil {
		return err
	}
	defer closeS()
	ws, err := s.Inventory(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if ws == nil {
			ws = []model.WalletSummary{}
		}
		return printJSON(out, struct {
			Database string                `json:"database"`
			Wallets  []model.WalletSummary `json:"wallets"`
		}{s.Where(), ws})
	}
	fmt.Fprintf(out, "database: %s\n\n", s.Where())
	printInventory(out, ws)
	return nil
}

func printInventory(out io.Writer, ws []model.WalletSummary) {
	if len(ws) == 0 {
		fmt.Fprintln(out, "no wallet versions yet (load demo data with `console demo`)")
		return
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tSTATUS\tENVIRONMENT\tSECURITY\tDEFAULT\tMFRS\tPATHS\tIDENTIFIERS\tLAST ALLOCATION\tMIGRATION\tHEALTH")
	for _, w := range ws {
		def := ""
		if w.IsDefault {
			def = "*"
		}
		last := "-"
		if !w.LastAllocation.IsZero() {
			last = w.LastAllocation.UTC().Format("2006-01-02 15:04")
		}
		mig := "-"
		if w.MigrationCompletion != nil {
			mig = fmt.Sprintf("%.0f%%", *w.MigrationCompletion)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\n",
			ui.Inert(w.Name), w.Status, w.Environment, w.SecurityLevel, def, w.Manufacturers,
			w.Paths, w.Identifiers, last, mig, w.Health)
	}
	tw.Flush()
}

func bindShow(fs *flag.FlagSet) handler {
	recent := intFlag(fs, "recent", 10, 0, 10000, "how many recent operations to show")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		v, err := model.ParseVersion(c.args[0])
		if err != nil {
			return err
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		d, err := s.WalletDetail(ctx, v, *recent)
		if err != nil {
			return err
		}
		if *asJSON {
			return printJSON(c.out, d)
		}
		last, err := s.DB.LastValidation(ctx, v)
		if err != nil {
			return err
		}
		printDetail(c.out, d, last)
		return nil
	}
}

func printDetail(out io.Writer, d model.WalletDetail, last *store.LastValidation) {
	w := d.Wallet
	fmt.Fprintf(out, "%s  %s  %s  %s", ui.Inert(w.Name), w.Status, w.Environment, w.SecurityLevel)
	if w.IsDefault {
		fmt.Fprint(out, "  default")
	}
	fmt.Fprintf(out, "\n%s\nmaster key %s, created %s\n", ui.Inert(w.Description), ui.Inert(w.MasterKeyID), w.CreatedAt.UTC().Format(time.DateOnly))
	if w.Fingerprint != "" {
		fmt.Fprintf(out, "public key fingerprint (SHA-256) %s\n", ui.Inert(w.Fingerprint))
	}
	fmt.Fprintf(out, "health %s\n", w.Health)
	if last != nil {
		// The validation's baseline beside today's health: a later slowdown
		// shows against what the key did when it was validated.
		var b ops.ValidationBaseline
		_ = json.Unmarshal(last.Baseline, &b)
		fmt.Fprintf(out, "validated %s by %s (run %s): baseline %.0f signatures/s (p95 %.3f ms), allocation p95 %.2f ms, inventory %.2f ms\n",
			last.FinishedAt.UTC().Format(time.RFC3339), ui.Inert(last.ValidatedBy), last.RunID, b.SignaturesPerSecond, b.SignatureP95Ms,
			b.AllocationP95Ms, b.InventoryMs)
	}
	fmt.Fprintln(out)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INDEX\tMANUFACTURER\tSTATUS\tDELEGATION\tPATHS\tIDENTIFIERS")
	for _, m := range d.Manufacturers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\n", m.Index, ui.Inert(m.Name), ui.Inert(m.Status), ui.Inert(m.DelegationLevel), m.Paths, m.Identifiers)
	}
	tw.Flush()
	fmt.Fprintln(out)
	tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ALLOCATION TYPE\tSTATUS\tPATHS\tIDENTIFIERS\tLAST")
	for _, a := range d.Allocations {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", a.Type, a.Status, a.Paths, a.Identifiers, a.LastAllocatedAt.UTC().Format("2006-01-02 15:04"))
	}
	tw.Flush()
	if len(d.Lineage) > 0 {
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "LINEAGE\tFROM\tTO\tREASON\tSTATUS\tDONE")
		for _, l := range d.Lineage {
			from := "-"
			if l.PredecessorWallet != nil {
				from = model.VersionName(*l.PredecessorWallet)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d%%\n", ui.Inert(l.CanonicalName), from, model.VersionName(l.CurrentWallet), ui.Inert(l.Reason), l.Status, l.Completion)
		}
		tw.Flush()
	}
	fmt.Fprintln(out)
	printOps(out, d.Recent)
}

func printOps(out io.Writer, ops []model.Operation) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tWALLET\tOPERATION\tSTATUS\tLOGIN\tNOTE\tDETAILS")
	for _, o := range ops {
		w := "-"
		if o.Wallet != nil {
			w = model.VersionName(*o.Wallet)
		}
		details := string(o.Details)
		if len(details) > 60 {
			details = details[:57] + "..."
		}
		note := o.Note()
		if note == "" {
			note = "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Seq, o.Time.UTC().Format("2006-01-02 15:04:05"), w,
			ui.Inert(o.Type), ui.Inert(o.Status), ui.Inert(o.Actor()), ui.Inert(note), ui.Inert(details))
	}
	tw.Flush()
}

func bindAuditVerify(fs *flag.FlagSet) handler {
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		return c.serve(ctx, func(s *ops.Service) error {
			rep, err := s.VerifyAudit(ctx)
			if err != nil {
				return err
			}
			if *asJSON {
				if err := printJSON(c.out, rep); err != nil {
					return err
				}
			} else {
				if rep.ChainOK() {
					fmt.Fprintf(c.out, "audit chain OK: %d rows, each follows the one before and matches its hash\n", rep.Rows)
				}
				if len(rep.KeyProblems) == 0 {
					fmt.Fprintf(c.out, "ceremony keys OK: %d checked (each key matches its fingerprint, each backup proof verifies under it)\n", rep.Keys)
				}
				for _, p := range rep.KeyProblems {
					fmt.Fprintf(c.out, "KEY PROBLEM: %s\n", ui.Inert(p.Problem))
				}
			}
			switch {
			case !rep.ChainOK():
				return &exitError{code: 1, err: fmt.Errorf("audit chain BROKEN at row %d: %s", rep.BrokenAt, rep.Problem)}
			case len(rep.KeyProblems) > 0:
				return &exitError{code: 1, err: fmt.Errorf("%d of %d ceremony key records do NOT verify: do not activate or rely on those wallets until they are explained",
					len(rep.KeyProblems), rep.Keys)}
			}
			return nil
		})
	}
}

func bindAuditLog(fs *flag.FlagSet) handler {
	wallet := fs.String("wallet", "", "only this wallet, e.g. v1")
	typ := fs.String("type", "", "only this operation type, e.g. "+string(model.OpPathAllocation))
	by := fs.String("by", "", "only rows written by this database login")
	limit := intFlag(fs, "limit", 50, 1, 100000, "rows to print")
	asJSON := fs.Bool("json", false, "print JSON")
	return func(ctx context.Context, c *call) error {
		f := model.OpFilter{Type: *typ, Operator: *by, Limit: *limit}
		if *wallet != "" {
			v, err := model.ParseVersion(*wallet)
			if err != nil {
				return err
			}
			f.Wallet = &v
		}
		s, closeS, err := c.g.service(ctx)
		if err != nil {
			return err
		}
		defer closeS()
		ops, err := s.AuditLog(ctx, f)
		if err != nil {
			return err
		}
		if *asJSON {
			if ops == nil {
				ops = []model.Operation{}
			}
			return printJSON(c.out, struct {
				Operations []model.Operation `json:"operations"`
			}{ops})
		}
		printOps(c.out, ops)
		return nil
	}
}
