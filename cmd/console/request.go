package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	flag "github.com/spf13/pflag"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// requestFlags are the flags of `console request`; which verb takes which is
// in requestVerbFlags.
type requestFlags struct {
	nr     model.NewRequest
	env    string
	level  string
	role   string
	reason string
	asJSON bool
}

var requestVerbFlags = map[string][]string{
	"new": {"environment", "purpose", "security-level", "lifespan", "reason", "risk", "priority", "email",
		"business-impact", "risk-if-delayed", "hsm-requirements", "performance-requirements",
		"storage-requirements", "backup-requirements"},
	"list":    {"json"},
	"show":    {"json"},
	"approve": {"role", "reason"},
	"reject":  {"role", "reason"},
	"export":  nil,
}

const requestUsage = "request takes one of: new, list, show ID, approve ID --role R, reject ID --role R --reason TEXT, export ID FILE"

func cmdRequest(ctx context.Context, args []string, out io.Writer) error {
	fs, g := newFlags("request")
	var f requestFlags
	fs.StringVar(&f.env, "environment", "", "new: production, testing or development")
	fs.StringVar(&f.nr.Purpose, "purpose", "", "new: what the wallet is for (e.g. capacity_expansion)")
	fs.StringVar(&f.level, "security-level", "", "new: standard, high or experimental")
	fs.StringVar(&f.nr.EstimatedLifespan, "lifespan", "", "new: estimated lifespan (e.g. \"2 years\")")
	fs.StringVar(&f.reason, "reason", "", "new: the justification; approve/reject: why")
	fs.StringVar(&f.nr.RiskLevel, "risk", "medium", "new: low, medium or high (high needs an executive approval too)")
	fs.StringVar(&f.nr.Priority, "priority", "standard", "new: standard, high or emergency")
	fs.StringVar(&f.nr.RequesterEmail, "email", "", "new: the requester's email")
	fs.StringVar(&f.nr.BusinessImpact, "business-impact", "", "new: business impact")
	fs.StringVar(&f.nr.RiskIfDelayed, "risk-if-delayed", "", "new: risk if delayed")
	fs.StringVar(&f.nr.HSMRequirements, "hsm-requirements", "", "new: HSM requirements")
	fs.StringVar(&f.nr.PerformanceRequirements, "performance-requirements", "", "new: performance requirements")
	fs.StringVar(&f.nr.StorageRequirements, "storage-requirements", "", "new: storage requirements")
	fs.StringVar(&f.nr.BackupRequirements, "backup-requirements", "", "new: backup requirements")
	fs.StringVar(&f.role, "role", "", "approve/reject: security, operations, executive or compliance")
	fs.BoolVar(&f.asJSON, "json", false, "list/show: print JSON")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: console request <new|list|show|approve|reject|export> [flags]\n%s\n\nFlags:\n", requestUsage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("%s", requestUsage)
	}
	verb := fs.Arg(0)
	allowed, ok := requestVerbFlags[verb]
	if !ok {
		return fmt.Errorf("unknown request command %q: %s", verb, requestUsage)
	}
	if err := onlyVerbFlags(fs, "request "+verb, allowed); err != nil {
		return err
	}
	wantArgs := map[string]int{"new": 1, "list": 1, "show": 2, "approve": 2, "reject": 2, "export": 3}[verb]
	if fs.NArg() != wantArgs {
		return fmt.Errorf("request %s takes %s", verb, map[string]string{
			"new":  "no arguments, only flags (--environment, --purpose, --security-level, --lifespan, --reason, ...)",
			"list": "no arguments", "show": "one request id, e.g. WCR-2026-01-31-001",
			"approve": "one request id and --role", "reject": "one request id, --role and --reason",
			"export": "a request id and the file to write, e.g. `console request export WCR-2026-01-31-001 /media/usb/request.json`",
		}[verb])
	}
	switch verb {
	case "new":
		if err := f.checkNew(fs); err != nil {
			return err
		}
	case "approve", "reject":
		if f.role == "" {
			return fmt.Errorf("request %s needs --role (security, operations, executive or compliance)", verb)
		}
		if verb == "reject" && strings.TrimSpace(f.reason) == "" {
			return fmt.Errorf("request reject needs --reason: say why, so that the requester can act on it")
		}
	}
	db, closeDB, err := g.open(ctx)
	if err != nil {
		return err
	}
	defer closeDB()
	switch verb {
	case "new":
		err = requestNew(ctx, db, f.nr, g.operator, out)
	case "list":
		err = requestList(ctx, db, f.asJSON, out)
	case "show":
		err = requestShow(ctx, db, fs.Arg(1), f.asJSON, out)
	case "approve", "reject":
		decision := map[string]string{"approve": "approved", "reject": "rejected"}[verb]
		err = requestDecide(ctx, db, fs.Arg(1), f.role, decision, f.reason, g.operator, out)
	case "export":
		var what string
		if what, err = exportRequest(ctx, db, fs.Arg(1), fs.Arg(2), g.operator); err == nil {
			fmt.Fprintln(out, what)
		}
	}
	return inert(err)
}

// onlyVerbFlags refuses a flag given to a verb that does not take it (a
// --role on `request new` is a mistake, not something to ignore).
func onlyVerbFlags(fs *flag.FlagSet, what string, allowed []string) error {
	global := flag.NewFlagSet("", flag.ContinueOnError)
	new(globals).register(global)
	var bad []string
	fs.Visit(func(fl *flag.Flag) {
		if global.Lookup(fl.Name) == nil && !slices.Contains(allowed, fl.Name) {
			bad = append(bad, "--"+fl.Name)
		}
	})
	if len(bad) > 0 {
		return fmt.Errorf("%s does not take %s (`console request --help` says which command takes which flag)", what, strings.Join(bad, ", "))
	}
	return nil
}

// checkNew refuses a request without the template's required fields before
// the database is opened.
func (f *requestFlags) checkNew(fs *flag.FlagSet) error {
	var missing []string
	for _, name := range []string{"environment", "purpose", "security-level", "lifespan", "reason"} {
		if v := fs.Lookup(name).Value.String(); strings.TrimSpace(v) == "" {
			missing = append(missing, "--"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("request new needs %s, e.g. `console request new --environment testing --purpose capacity_expansion --security-level high --lifespan \"2 years\" --reason \"v3 is 80%% allocated\"`", strings.Join(missing, ", "))
	}
	f.nr.Environment = model.Environment(f.env)
	f.nr.SecurityLevel = model.SecurityLevel(f.level)
	f.nr.Reason = f.reason
	return nil
}

func requestNew(ctx context.Context, db *store.DB, nr model.NewRequest, actor string, out io.Writer) error {
	id, err := db.FileRequest(ctx, nr, actor)
	if err != nil {
		return err
	}
	r, err := db.Request(ctx, id)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "filed %s by %s: %s wallet for %s, security level %s, risk %s\n", r.ID, ui.Inert(r.RequestedBy),
		r.Environment, ui.Inert(r.Purpose), r.SecurityLevel, r.RiskLevel)
	fmt.Fprintf(out, "it needs approvals from: %s (each by another person than %s, with their own database login)\n",
		strings.Join(r.RequiredApprovals, ", "), ui.Inert(r.RequestedBy))
	for _, role := range r.RequiredApprovals {
		fmt.Fprintf(out, "  console request approve %s --role %s\n", r.ID, role)
	}
	return nil
}

func requestList(ctx context.Context, db *store.DB, asJSON bool, out io.Writer) error {
	rs, err := db.Requests(ctx)
	if err != nil {
		return err
	}
	if asJSON {
		if rs == nil {
			rs = []model.CreationRequest{}
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Database string                  `json:"database"`
			Requests []model.CreationRequest `json:"requests"`
		}{db.Where(), rs})
	}
	if len(rs) == 0 {
		fmt.Fprintln(out, "no creation requests yet (file one with `console request new`)")
		return nil
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REQUEST\tSTATUS\tENVIRONMENT\tPURPOSE\tSECURITY\tRISK\tBY\tFILED (UTC)\tSTANDING")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", ui.Inert(r.ID), r.Status, r.Environment, ui.Inert(r.Purpose),
			r.SecurityLevel, r.RiskLevel, ui.Inert(r.RequestedBy), r.RequestDate.UTC().Format("2006-01-02 15:04"), standing(r))
	}
	return tw.Flush()
}

func requestShow(ctx context.Context, db *store.DB, id string, asJSON bool, out io.Writer) error {
	r, err := db.Request(ctx, id)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	printRequest(out, r)
	return nil
}

func requestDecide(ctx context.Context, db *store.DB, id, role, decision, reason, actor string, out io.Writer) error {
	r, err := db.DecideRequest(ctx, id, role, decision, reason, actor)
	if err != nil {
		return err
	}
	by := ""
	for _, a := range r.Approvals {
		if a.Role == strings.ToLower(strings.TrimSpace(role)) {
			by = a.Approver
		}
	}
	fmt.Fprintf(out, "%s %s as %s by %s\n", r.ID, decision, strings.ToLower(role), ui.Inert(by))
	fmt.Fprintf(out, "%s: %s\n", r.Status, standing(r))
	return nil
}
