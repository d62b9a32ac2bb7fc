package main

import (
	"errors"
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
	switch r.Status {
	case "pending":
		return "waiting for: " + strings.Join(r.WaitingFor(), ", ")
	case "approved":
		return fmt.Sprintf("approval %s, valid until %s", r.ApprovalID, r.ValidUntil.UTC().Format(stamp))
	case "expired":
		return fmt.Sprintf("approval %s ran out at %s; file a new request", r.ApprovalID, r.ValidUntil.UTC().Format(stamp))
	case "used":
		return fmt.Sprintf("created wallet %s (approval %s)", model.VersionName(r.WalletVersion), r.ApprovalID)
	case "rejected":
		for _, a := range r.Approvals {
			if a.Decision == "rejected" {
				return fmt.Sprintf("rejected by %s as %s: %s", ui.Inert(a.Approver), a.Role, ui.Inert(a.Reason))
			}
		}
	}
	return r.Status
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
		{"reason", r.Reason}, {"business impact", r.BusinessImpact}, {"risk level", r.RiskLevel},
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

// inertError shows an error's text harmlessly (it may quote the database)
// and keeps the error underneath for errors.Is and errors.As.
type inertError struct{ err error }

func (e inertError) Error() string { return ui.Inert(e.err.Error()) }
func (e inertError) Unwrap() error { return e.err }

func inert(err error) error {
	if err == nil {
		return nil
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return inertError{err}
}
