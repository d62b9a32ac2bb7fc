package ceremony

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/plings/walletconsole/model"
)

// KeyLabelFor is the master key's label for wallet version n.
func KeyLabelFor(n int) string { return fmt.Sprintf("plings_master_key_v%d", n) }

// RequestInfo is what LoadRequest accepted.
type RequestInfo struct {
	RequestID   string
	ApprovalID  string
	Version     int
	KeyLabel    string
	FileSHA256  string
	ValidUntil  time.Time
	Roster      []model.Witness
	Need        int
	Fingerprint []string // roster keys' SHA256 fingerprints, in roster order
}

// LoadRequest reads the request file at path and checks it: status approved
// with an approval id, the approval valid now, every required role approved
// by someone other than the requester, not used by a ceremony on this machine
// (Ledger), NextVersion at least 1, a valid roster with at least the required
// number of witnesses. A refusal is recorded (request_refused) and returned;
// the ceremony stays at this step, so another file can be tried.
func (c *Ceremony) LoadRequest(path string) (RequestInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.at(StepRequest, "load the request"); err != nil {
		return RequestInfo{}, err
	}
	refuse := func(err error, sum string) (RequestInfo, error) {
		if rerr := c.record(StepRequest, EventRequestRefused, c.cfg.Operator, refusedData{Reason: err.Error(), File: path, FileSHA256: sum}); rerr != nil {
			return RequestInfo{}, errors.Join(err, rerr)
		}
		return RequestInfo{}, err
	}
	b, err := model.ReadFileLimit(path, model.MaxRequestFileBytes)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return refuse(newProblem(fmt.Sprintf("load the request: %s does not exist; check the path on the removable media", path), ErrRequestRefused, err), "")
		}
		return refuse(newProblem(fmt.Sprintf("load the request: %v", err), ErrRequestRefused, err), "")
	}
	s := sha256.Sum256(b)
	sum := hex.EncodeToString(s[:])
	rf, err := decodeRequestFile(path, b)
	if err != nil {
		return refuse(err, sum)
	}
	roster, need, err := c.checkRequest(rf)
	if err != nil {
		return refuse(err, sum)
	}

	c.rf, c.roster, c.need, c.requestSHA = rf, roster, need, sum
	c.keyLabel = KeyLabelFor(rf.NextVersion)
	req := rf.Request
	d := requestLoadedData{
		RequestID: req.ID, ApprovalID: req.ApprovalID, RequestFile: path, RequestFileSHA256: sum,
		WalletVersion: rf.NextVersion, KeyLabel: c.keyLabel, WitnessesRequired: need,
		Roster: []rosterData{}, AuditHead: rf.AuditHead, ApprovalValidUntil: req.ValidUntil.UTC().Format(time.RFC3339),
		Environment: string(req.Environment), Purpose: req.Purpose, SecurityLevel: string(req.SecurityLevel),
		RequestedBy: req.RequestedBy, Approvals: []approvalData{},
		ExportedAt: rf.ExportedAt.UTC().Format(time.RFC3339), ExportedBy: rf.ExportedBy,
	}
	info := RequestInfo{
		RequestID: req.ID, ApprovalID: req.ApprovalID, Version: rf.NextVersion, KeyLabel: c.keyLabel,
		FileSHA256: sum, ValidUntil: req.ValidUntil, Roster: roster.Models(), Need: need,
	}
	for _, w := range roster.Witnesses {
		d.Roster = append(d.Roster, rosterData{Name: w.Name, PublicKey: w.PublicKey, Fingerprint: w.Fingerprint})
		info.Fingerprint = append(info.Fingerprint, w.Fingerprint)
	}
	for _, a := range req.Approvals {
		if a.Decision == "approved" {
			d.Approvals = append(d.Approvals, approvalData{Role: a.Role, Approver: a.Approver, DecidedAt: a.DecidedAt.UTC().Format(time.RFC3339)})
		}
	}
	if err := c.record(StepRequest, EventRequestLoaded, c.cfg.Operator, d); err != nil {
		return RequestInfo{}, err
	}
	c.step = StepOffline
	return info, nil
}

// decodeRequestFile parses a request export (the checks of ReadRequestFile,
// on bytes already read so that the recorded digest is of what was parsed).
func decodeRequestFile(path string, b []byte) (*RequestFile, error) {
	var rf RequestFile
	if err := json.Unmarshal(b, &rf); err != nil {
		return nil, newProblem(fmt.Sprintf("load the request: %s is not a request export (%v)", path, err), ErrRequestRefused)
	}
	if rf.Format != RequestFileFormat {
		return nil, newProblem(fmt.Sprintf("load the request: %s has format %q, want %q; export it again with this console", path, rf.Format, RequestFileFormat), ErrRequestRefused)
	}
	return &rf, nil
}

// checkRequest judges a request file; it returns the roster and how many
// witnesses must attest.
func (c *Ceremony) checkRequest(rf *RequestFile) (*Roster, int, error) {
	req := rf.Request
	now := c.now()
	fail := func(msg string, kinds ...error) (*Roster, int, error) {
		return nil, 0, newProblem(fmt.Sprintf("request %s: %s", req.ID, msg), append([]error{ErrRequestRefused}, kinds...)...)
	}
	switch {
	case req.ID == "":
		return fail("the file names no request id; export it again", ErrNotApproved)
	case req.Status == "used":
		return fail(fmt.Sprintf("status is used: it already made wallet version %d; file a new request", req.WalletVersion), ErrRequestUsed)
	case req.Status != "approved":
		return fail(fmt.Sprintf("status is %q, not approved; finish its approvals on the connected side and export it again", req.Status), ErrNotApproved)
	case req.ApprovalID == "":
		return fail("it is marked approved but has no approval id; export it again from the connected side", ErrNotApproved)
	case req.ValidUntil.IsZero():
		return fail(fmt.Sprintf("approval %s has no expiry; export it again from the connected side", req.ApprovalID), ErrNotApproved)
	case !now.Before(req.ValidUntil):
		return nil, 0, newProblem(fmt.Sprintf("approval %s of request %s expired at %s; have the request approved again",
			req.ApprovalID, req.ID, req.ValidUntil.UTC().Format(time.RFC3339)), ErrRequestRefused, ErrApprovalExpired)
	}
	roles := req.RequiredApprovals
	if len(roles) == 0 {
		roles = model.RequiredApprovals(req.Environment, req.RiskLevel)
	}
	for _, role := range roles {
		ok := false
		for _, a := range req.Approvals {
			if a.Role != role || a.Decision != "approved" {
				continue
			}
			if a.Approver != "" && a.Approver == req.RequestedBy {
				return fail(fmt.Sprintf("the %s approval was given by the requester %s (two-person rule); have someone else approve it", role, a.Approver), ErrNotApproved)
			}
			if !a.ValidUntil.IsZero() && !now.Before(a.ValidUntil) {
				return fail(fmt.Sprintf("the %s approval by %s expired at %s; have the request approved again", role, a.Approver, a.ValidUntil.UTC().Format(time.RFC3339)), ErrApprovalExpired)
			}
			ok = true
		}
		if !ok {
			return fail(fmt.Sprintf("it has no %s approval in the file; finish its approvals and export it again", role), ErrNotApproved)
		}
	}
	used, err := c.cfg.Ledger.CeremonyUsed(c.ctx, req.ID)
	if err != nil {
		return fail(fmt.Sprintf("cannot ask the local database whether it was used: %v; start the database and try again", err), err)
	}
	if used {
		return nil, 0, newProblem(fmt.Sprintf("request %s was already used by a ceremony on this machine; file a new request", req.ID), ErrRequestRefused, ErrRequestUsed)
	}
	if rf.NextVersion < 1 {
		return fail(fmt.Sprintf("next_version is %d; the export must give the new wallet's version (1 or more)", rf.NextVersion))
	}
	// The file may ask for more witnesses than the rule, never fewer.
	need := max(rf.Required, model.CeremonyWitnesses)
	roster, err := NewRoster(req.ID, rf.Witnesses)
	if err != nil {
		return fail(err.Error(), ErrInvalidRoster)
	}
	if len(roster.Witnesses) < need {
		return fail(fmt.Sprintf("the roster has %d witness(es) but %d must attest; add witnesses on the connected side and export again", len(roster.Witnesses), need), ErrInvalidRoster)
	}
	return roster, need, nil
}
