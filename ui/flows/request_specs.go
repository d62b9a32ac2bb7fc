package flows

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui/common"
	"github.com/plings/walletconsole/ui/flow"
	"github.com/plings/walletconsole/ui/jobs"
)

// The creation-request flow's three changes, each a flow.Spec on the
// runner: file, decide (approve or reject), export. Their checks come from
// the request as loaded and model's rules; the database enforces them again
// (the two-person rule on the login), so a check here saves a round trip
// and explains, it does not guard.

func check(name string, ok bool, evidence, fix string) model.Check {
	c := model.Check{Name: name, State: model.CheckPass, Evidence: evidence}
	if !ok {
		c.State, c.Fix = model.CheckFail, fix
	}
	return c
}

func fileSpec(src common.RequestSource, login string) flow.Spec {
	return flow.Spec{
		Name: "requests", Title: "File a wallet creation request as " + login, OneTransaction: true,
		Fields: []flow.Field{
			{Key: "environment", Label: "environment", Kind: flow.Choice, Choices: []string{"production", "testing", "development"},
				Default: "testing", Hint: "production needs security, operations, executive and compliance approvals"},
			{Key: "purpose", Label: "purpose", Required: true, Hint: "e.g. new_generation, capacity, security_upgrade (max 40 characters)"},
			{Key: "security", Label: "security level", Kind: flow.Choice, Choices: []string{"standard", "high", "experimental"}, Default: "standard"},
			{Key: "lifespan", Label: "lifespan", Hint: "e.g. 5 years"},
			{Key: "reason", Label: "justification", Required: true, Hint: "why this wallet is needed"},
			{Key: "risk", Label: "risk", Kind: flow.Choice, Choices: []string{"low", "medium", "high"}, Default: "medium",
				Hint: "high risk adds an executive approval"},
			{Key: "priority", Label: "priority", Kind: flow.Choice, Choices: []string{"standard", "high", "emergency"}, Default: "standard"},
			{Key: "impact", Label: "business impact"},
			{Key: "hsm", Label: "HSM requirements", Hint: "e.g. FIPS 140-2 Level 3, dedicated partition"},
			{Key: "performance", Label: "performance", Hint: "e.g. 10,000 signatures/s"},
			{Key: "email", Label: "email", Hint: "your email, for the approvers"},
		},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			env := model.Environment(in["environment"])
			need := model.RequiredApprovals(env, model.Risk(in["risk"]))
			p := model.Plan{Title: "File a " + string(env) + " wallet request for " + common.Quote(in["purpose"]),
				Steps: []string{"file the request as " + login + " (the database issues its WCR id)",
					"it then waits for approvals from: " + strings.Join(need, ", ") + " — each from another person"}}
			cs := []model.Check{
				check("purpose fits", len([]rune(in["purpose"])) <= 40, common.Itoa(len([]rune(in["purpose"])))+" characters (at most 40)",
					"shorten the purpose (e for edit)"),
				check("justification given", in["reason"] != "", "the approvers read it", "say why the wallet is needed"),
			}
			return p, cs, nil
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			nr := model.NewRequest{
				Environment: model.Environment(in["environment"]), Purpose: in["purpose"],
				SecurityLevel: model.SecurityLevel(in["security"]), EstimatedLifespan: in["lifespan"], Reason: in["reason"],
				RiskLevel: model.Risk(in["risk"]), Priority: model.Priority(in["priority"]), BusinessImpact: in["impact"], HSMRequirements: in["hsm"],
				PerformanceRequirements: in["performance"], RequesterEmail: in["email"],
			}
			id, seqs, err := src.FileRequest(ctx, nr)
			if err != nil {
				return model.Outcome{}, err
			}
			return model.Outcome{Summary: "filed " + id + ": it now needs its approvals, each from another person",
				Changes: []string{"request " + id + " pending, filed by " + login}, AuditSeqs: seqs}, nil
		},
	}
}

// current re-reads the request, so that "check again" checks what the
// database holds now, not what the screen loaded.
func current(ctx context.Context, src common.RequestSource, id string) (model.CreationRequest, error) {
	reqs, err := src.Requests(ctx)
	if err != nil {
		return model.CreationRequest{}, err
	}
	for _, q := range reqs {
		if q.ID == id {
			return q, nil
		}
	}
	return model.CreationRequest{}, errors.New("request " + id + " is no longer there")
}

func decideSpec(src common.RequestSource, req model.CreationRequest, decision, login string) flow.Spec {
	verb := "Approve"
	if decision == "rejected" {
		verb = "Reject"
	}
	roles := req.WaitingFor()
	def := ""
	if len(roles) > 0 {
		def = roles[0]
	} else {
		roles = []string{"(none waiting)"}
	}
	hint := "the approval is valid 7 days"
	if decision == "rejected" {
		hint = "a rejection needs a reason"
	}
	return flow.Spec{
		Name: "requests", Title: verb + " " + req.ID + " as " + login, OneTransaction: true,
		Fields: []flow.Field{
			{Key: "role", Label: "role", Kind: flow.Choice, Choices: roles, Default: def,
				Hint: "you decide as " + login + "; one role per person, never your own request"},
			{Key: "reason", Label: "reason", Hint: hint, Required: decision == "rejected"},
		},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			req, err := current(ctx, src, req.ID)
			if err != nil {
				return model.Plan{}, nil, err
			}
			p := model.Plan{Title: verb + " " + req.ID + " for " + in["role"], Target: req.ID,
				Steps: []string{"record " + login + "'s decision (" + decision + ") for the " + in["role"] + " role, with its audit row"}}
			if decision == "approved" {
				p.Steps = append(p.Steps, "when it is the last approval needed, the request becomes approved, valid 7 days")
			}
			cs := []model.Check{
				check("request is pending", req.Status == "pending", "it is "+string(req.Status), "only a pending request takes decisions"),
				check("role is awaited", slices.Contains(req.WaitingFor(), in["role"]), "waiting for: "+strings.Join(req.WaitingFor(), ", "),
					"pick a role the request still waits for"),
				check("not your own request", req.RequestedBy != login, "filed by "+req.RequestedBy+", you are "+login,
					"another person must decide (two-person rule)"),
			}
			if decision == "rejected" {
				cs = append(cs, check("reason given", strings.TrimSpace(in["reason"]) != "", "a rejection says why", "write the reason"))
			}
			return p, cs, nil
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			got, seqs, err := src.DecideRequest(ctx, req.ID, in["role"], decision, in["reason"])
			if err != nil {
				return model.Outcome{}, err
			}
			sum := "recorded: " + decision + " — the request is now " + string(got.Status)
			if got.ApprovalID != "" {
				sum += " (" + got.ApprovalID + ")"
			}
			return model.Outcome{Summary: sum, Changes: []string{in["role"] + ": " + decision + " by " + login}, AuditSeqs: seqs}, nil
		},
	}
}

func exportSpec(src common.RequestSource, req model.CreationRequest, now func() time.Time) flow.Spec {
	return flow.Spec{
		// Not one transaction: the export is recorded, then the file written.
		Name: "requests", Title: "Export " + req.ID + " for the ceremony machine",
		Fields: []flow.Field{{Key: "file", Label: "file", Default: req.ID + ".request.json", Required: true,
			Hint: "path on the removable media; an existing file is never overwritten"}},
		Plan: func(ctx context.Context, in flow.Values) (model.Plan, []model.Check, error) {
			req, err := current(ctx, src, req.ID)
			if err != nil {
				return model.Plan{}, nil, err
			}
			path := in["file"]
			p := model.Plan{Title: "Export " + req.ID + " to " + path, Target: req.ID,
				Steps: []string{"write the request, its approvals, the witness roster and the next version number to " + path,
					"record the export (its audit row is what the import is checked against)"}}
			_, statErr := os.Stat(path)
			exists := statErr == nil || !errors.Is(statErr, os.ErrNotExist)
			cs := []model.Check{
				check("request is approved", req.Status == "approved", "it is "+string(req.Status), "only an approved request can be exported"),
				check("approval still valid", !req.ValidUntil.IsZero() && now().Before(req.ValidUntil),
					"valid until "+req.ValidUntil.UTC().Format("2006-01-02 15:04")+" UTC", "an expired approval needs a new request"),
				check("file does not exist yet", !exists, path, "pick a new file name; nothing is ever overwritten"),
				dirCheck(path),
			}
			return p, cs, nil
		},
		Run: func(ctx context.Context, in flow.Values, report func(jobs.Progress)) (model.Outcome, error) {
			text, seqs, err := src.ExportRequest(ctx, req.ID, in["file"])
			if err != nil {
				return model.Outcome{}, err
			}
			return model.Outcome{Summary: text, Changes: []string{"wrote " + in["file"]}, AuditSeqs: seqs}, nil
		},
	}
}

// dirCheck: the file's directory exists and is a directory (the removable
// media is mounted).
func dirCheck(path string) model.Check {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	ok := err == nil && st.IsDir()
	evidence := dir + " is a directory"
	if !ok {
		evidence = dir + " is not a directory here"
	}
	return check("its directory is there", ok, evidence, "mount the removable media, or give a path in a directory that exists")
}
