package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

func newFlags(name string) (*flag.FlagSet, *globals) {
	fs := flag.NewFlagSet("console "+name, flag.ContinueOnError)
	g := &globals{}
	g.register(fs)
	fs.SortFlags = false
	return fs, g
}

func cmdStatus(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("status")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("status takes no arguments (got %q)", fs.Args())
	}
	return printStatus(ctx, g, *asJSON, out)
}

// printStatus prints the inventory as text or JSON (`console status`, and
// `console` without a terminal).
func printStatus(ctx context.Context, g *globals, asJSON bool, out io.Writer) error {
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	ws, err := db.Inventory(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Database string                `json:"database"`
			Wallets  []model.WalletSummary `json:"wallets"`
		}{db.Where(), ws})
	}
	fmt.Fprintf(out, "database: %s\n\n", db.Where())
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

func cmdShow(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("show")
	recent := fs.Int("recent", 10, "how many recent operations to show")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("show takes one wallet version, e.g. `console show v2`")
	}
	v, err := model.ParseVersion(fs.Arg(0))
	if err != nil {
		return err
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	d, err := db.WalletDetail(ctx, v, *recent)
	if err != nil {
		return err
	}
	w := d.Wallet
	fmt.Fprintf(out, "%s  %s  %s  %s", ui.Inert(w.Name), w.Status, w.Environment, w.SecurityLevel)
	if w.IsDefault {
		fmt.Fprint(out, "  default")
	}
	fmt.Fprintf(out, "\n%s\nmaster key %s, created %s\n", ui.Inert(w.Description), ui.Inert(w.MasterKeyID), w.CreatedAt.UTC().Format(time.DateOnly))
	if w.Fingerprint != "" {
		fmt.Fprintf(out, "public key fingerprint (SHA-256) %s\n", ui.Inert(w.Fingerprint))
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
	return nil
}

func printOps(out io.Writer, ops []model.Operation) {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tTIME (UTC)\tWALLET\tOPERATION\tSTATUS\tBY\tDETAILS")
	for _, o := range ops {
		w := "-"
		if o.Wallet != nil {
			w = model.VersionName(*o.Wallet)
		}
		details := string(o.Details)
		if len(details) > 60 {
			details = details[:57] + "..."
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Seq, o.Time.UTC().Format("2006-01-02 15:04:05"), w,
			ui.Inert(o.Type), o.Status, ui.Inert(o.InitiatedBy), ui.Inert(details))
	}
	tw.Flush()
}

func cmdMigrate(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("migrate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	closeLog := g.setupLog()
	defer closeLog()
	db, err := store.Open(ctx, store.Options{DSN: g.dsn, DataDir: g.dataDir})
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database: %s\n", db.Where())
	if len(res.Applied) == 0 {
		fmt.Fprintf(out, "schema is up to date at version %d; nothing to do\n", res.To)
		return nil
	}
	for _, m := range res.Applied {
		fmt.Fprintf(out, "applied %03d %s\n", m.Seq, m.Name)
	}
	fmt.Fprintf(out, "schema migrated from version %d to %d\n", res.From, res.To)
	return nil
}

func cmdDemo(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("demo")
	paths := fs.Int("paths", 0, "instead of the demo inventory, generate this many path allocations (COPY) in --wallet")
	wallet := fs.String("wallet", "v1", "wallet for --paths")
	seed := fs.Int64("seed", 1, "random seed for --paths")
	ifEmpty := fs.Bool("if-empty", false, "load the demo inventory only if the database has no wallets yet (make run)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if *ifEmpty && *paths == 0 {
		ws, err := db.Inventory(ctx)
		if err != nil {
			return err
		}
		if len(ws) > 0 {
			fmt.Fprintf(out, "database: %s already holds %d wallet versions; demo data not loaded again\n", db.Where(), len(ws))
			return nil
		}
	}
	if *paths > 0 {
		v, err := model.ParseVersion(*wallet)
		if err != nil {
			return err
		}
		res, err := db.GeneratePaths(ctx, v, *paths, *seed)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, res)
		return nil
	}
	sum, err := db.LoadDemo(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "database: %s\n%s\n", db.Where(), sum)
	return nil
}

func cmdAllocate(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("allocate")
	wallet := fs.String("wallet", "", "wallet version, e.g. v1")
	path := fs.String("path", "", "base path, e.g. 2.3.4.5.10")
	qty := fs.Int("quantity", 1, "number of identifiers")
	start := fs.Int("range-start", 1, "first instance number")
	typ := fs.String("type", "production", "allocation type: "+strings.Join(model.AllocationTypes, ", "))
	purpose := fs.String("purpose", "", "what the allocation is for")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *wallet == "" || *path == "" {
		return fmt.Errorf("allocate needs --wallet and --path, e.g. `console allocate --wallet v1 --path 2.3.4 --quantity 100`")
	}
	v, err := model.ParseVersion(*wallet)
	if err != nil {
		return err
	}
	// Refuse bad input before touching the database.
	if _, err := model.ParsePath(*path); err != nil {
		return err
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	a, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: v, Path: *path, Type: *typ, Quantity: *qty,
		RangeStart: *start, Purpose: *purpose, Actor: g.operator})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "allocated %s in %s: %s, instances %d-%d (%s)\n", a.Path, model.VersionName(a.Wallet), a.HDPrefix, a.RangeStart, a.RangeEnd, a.Type)
	return nil
}

func cmdAudit(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("audit")
	walletF := fs.String("wallet", "", "only this wallet (log)")
	typ := fs.String("type", "", "only this operation type (log)")
	by := fs.String("by", "", "only rows initiated by this operator or database login (log)")
	limit := fs.Int("limit", 50, "rows to print (log)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "verify" && fs.Arg(0) != "log") {
		return fmt.Errorf("audit takes `verify` or `log`, e.g. `console audit verify`")
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	if fs.Arg(0) == "log" {
		f := store.OpFilter{Type: *typ, Operator: *by, Limit: *limit}
		if *walletF != "" {
			v, err := model.ParseVersion(*walletF)
			if err != nil {
				return err
			}
			f.Wallet = &v
		}
		ops, err := db.Operations(ctx, f)
		if err != nil {
			return err
		}
		printOps(out, ops)
		return nil
	}
	rep, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK {
		return &exitError{code: 1, err: fmt.Errorf("audit chain BROKEN at row %d: %s", rep.BrokenAt, rep.Problem)}
	}
	fmt.Fprintf(out, "audit chain OK: %d rows, each follows the one before and matches its hash\n", rep.Rows)
	return nil
}
