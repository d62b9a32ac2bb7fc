package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/ui"
)

const stamp = "2006-01-02 15:04 UTC"

// standing says where a request stands, in one line.
func standing(r model.CreationRequest) string {
	switch model.RequestStatus(r.Status) {
	case model.RequestPending:
		return "waiting for: " + strings.Join(r.WaitingFor(), ", ")
	case model.RequestApproved:
		return fmt.Sprintf("approval %s, valid until %s", r.ApprovalID, r.ValidUntil.UTC().Format(stamp))
	case model.RequestExpired:
		return fmt.Sprintf("approval %s ran out at %s; file a new request", r.ApprovalID, r.ValidUntil.UTC().Format(stamp))
	case model.RequestUsed:
		return fmt.Sprintf("created wallet %s (approval %s)", model.VersionName(r.WalletVersion), r.ApprovalID)
	case model.RequestRejected:
		for _, a := range r.Approvals {
			if a.Decision == model.DecisionRejected {
				return fmt.Sprintf("rejected by %s as %s: %s", ui.Inert(a.Approver), a.Role, ui.Inert(a.Reason))
			}
		}
	}
	return string(r.Status)
}

// printRequest prints every field of a request, each decision and where it stands.
func printRequest(out io.Writer, r model.CreationRequest) {
	fmt.Fprintf(out, "%s  %s  %s\n", ui.Inert(r.ID), r.Status, r.Environment)
	who := ui.Inert(r.RequestedBy)
	if r.RequesterEmail != "" {
		who += " (" + ui.Inert(r.RequesterEmail) + ")"
	}
	fmt.Fprintf(out, "filed by %s at %s, priority %s\n\n", who, r.RequestDate.UTC().Format(stamp), r.Priority)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, f := range []struct{ name, value string }{
		{"purpose", r.Purpose}, {"security level", string(r.SecurityLevel)}, {"estimated lifespan", r.EstimatedLifespan},
		{"reason", r.Reason}, {"business impact", r.BusinessImpact}, {"risk level", string(r.RiskLevel)},
		{"risk if delayed", r.RiskIfDelayed}, {"HSM requirements", r.HSMRequirements},
		{"performance requirements", r.PerformanceRequirements}, {"storage requirements", r.StorageRequirements},
		{"backup requirements", r.BackupRequirements},
	} {
		v := f.value
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\n", f.name, ui.Inert(v))
	}
	tw.Flush()
	fmt.Fprintf(out, "\napprovals needed: %s\n", strings.Join(r.RequiredApprovals, ", "))
	if len(r.Approvals) > 0 {
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ROLE\tDECISION\tBY\tAT (UTC)\tVALID UNTIL (UTC)\tREASON")
		for _, a := range r.Approvals {
			reason := a.Reason
			if reason == "" {
				reason = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", a.Role, a.Decision, ui.Inert(a.Approver),
				a.DecidedAt.UTC().Format("2006-01-02 15:04"), a.ValidUntil.UTC().Format("2006-01-02 15:04"), ui.Inert(reason))
		}
		tw.Flush()
	}
	fmt.Fprintf(out, "%s: %s\n", r.Status, standing(r))
}

// printLines prints text from the database or a file line by line, each
// made inert (Inert shows a newline as \x0a).
func printLines(out io.Writer, text string) {
	for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		fmt.Fprintln(out, ui.Inert(l))
	}
}
