package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/plings/walletconsole/model"
)

// ExportRequest gathers what the air-gapped ceremony machine needs for
// request id: the request with its approvals, the active witness roster, the
// version the new wallet will take (one past the highest there is) and the
// operations log's head (hex of the last row's hash, which is the export's
// own audit row, creation_request_export, written in the same transaction).
// It refuses a request that is not approved, whose approval expired, or that
// was used, and a roster with fewer than model.CeremonyWitnesses witnesses.
func (db *DB) ExportRequest(ctx context.Context, id, actor string) (req model.CreationRequest, witnesses []model.Witness, nextVersion int, auditHead string, err error) {
	if err = checkRequestID(id); err != nil {
		return req, nil, 0, "", err
	}
	err = db.inTx(ctx, nil, func(tx pgx.Tx) error {
		rs, err := queryRequests(ctx, tx, id)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return notFound(id)
		}
		req = rs[0]
		if err := exportable(ctx, tx, req); err != nil {
			return err
		}
		if witnesses, err = queryWitnesses(ctx, tx); err != nil {
			return err
		}
		if len(witnesses) < model.CeremonyWitnesses {
			noun := "witnesses"
			if len(witnesses) == 1 {
				noun = "witness"
			}
			return fmt.Errorf("the roster has %d %s; a ceremony needs %d: console witness add NAME KEYFILE",
				len(witnesses), noun, model.CeremonyWitnesses)
		}
		// The function decides the version and the roster and writes the
		// audit row that ceremony import trusts (013); what it exported is
		// what the file carries.
		var names []string
		var seq int64
		if err := tx.QueryRow(ctx, `SELECT next_version, witnesses, audit_head, seq FROM wallet_export_request($1, $2)`,
			id, actor).Scan(&nextVersion, &names, &auditHead, &seq); err != nil {
			return err
		}
		noteAudit(ctx, seq)
		if !sameNames(witnesses, names) {
			return fmt.Errorf("the witness roster changed while the request was being exported; export it again")
		}
		return nil
	})
	if err != nil {
		return model.CreationRequest{}, nil, 0, "", fmt.Errorf("export request %s: %w", printableID(id), err)
	}
	return req, witnesses, nextVersion, auditHead, nil
}

// exportable says why a request cannot go to a ceremony, if it cannot.
func exportable(ctx context.Context, tx pgx.Tx, r model.CreationRequest) error {
	switch r.Status {
	case "approved":
	case "pending":
		return fmt.Errorf("request %s is pending: it still needs approval from %s (`console request show %s`)",
			r.ID, strings.Join(r.WaitingFor(), ", "), r.ID)
	case "rejected":
		return fmt.Errorf("request %s was rejected%s; file a new request", r.ID, rejection(r))
	case "used":
		return fmt.Errorf("request %s was already used: it created wallet %s, and a request makes one wallet; file a new request",
			r.ID, model.VersionName(r.WalletVersion))
	case "expired":
		return fmt.Errorf("the approval %s of request %s expired at %s (approvals are valid 7 days); file a new request and have it approved again",
			r.ApprovalID, r.ID, r.ValidUntil.UTC().Format("2006-01-02 15:04 MST"))
	default:
		return fmt.Errorf("request %s is %s, not approved", r.ID, r.Status)
	}
	var ceremony string
	err := tx.QueryRow(ctx, "SELECT ceremony_id FROM key_ceremonies WHERE request_id = $1", r.ID).Scan(&ceremony)
	if err == nil {
		return fmt.Errorf("request %s was already used by key ceremony %s; file a new request", r.ID, ceremony)
	}
	if err != pgx.ErrNoRows {
		return err
	}
	return nil
}

func rejection(r model.CreationRequest) string {
	for _, a := range r.Approvals {
		if a.Decision == "rejected" {
			return fmt.Sprintf(" by %s as %s: %s", a.Approver, a.Role, a.Reason)
		}
	}
	return ""
}

// sameNames reports whether ws are exactly the witnesses named, in order.
func sameNames(ws []model.Witness, names []string) bool {
	if len(ws) != len(names) {
		return false
	}
	for i, w := range ws {
		if w.Name != names[i] {
			return false
		}
	}
	return true
}
