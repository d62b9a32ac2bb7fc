package ops

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/model"
)

// ExportResult is what a request export wrote.
type ExportResult struct {
	Path        string
	Request     model.CreationRequest
	Witnesses   []model.Witness
	NextVersion int
	AuditHead   string
}

// String says what was written, in two lines (the second what to do next).
// Names come from the database: front ends make them safe to show.
func (r ExportResult) String() string {
	names := make([]string, len(r.Witnesses))
	for i, w := range r.Witnesses {
		names[i] = w.Name
	}
	head := r.AuditHead
	if len(head) > 16 {
		head = head[:16] + "…"
	}
	return fmt.Sprintf("wrote %s: request %s, approval %s (valid until %s), %d witnesses on the roster (%s; %d needed), "+
		"the new wallet will be %s, audit head %s\ncarry it to the ceremony machine on removable media",
		r.Path, r.Request.ID, r.Request.ApprovalID, r.Request.ValidUntil.UTC().Format("2006-01-02 15:04 UTC"), len(r.Witnesses),
		strings.Join(names, ", "), model.CeremonyWitnesses, model.VersionName(r.NextVersion), head)
}

// ExportRequest writes what the ceremony machine needs for request id to
// path, never overwriting it. The export and its audit row are one
// transaction; the file is written after it commits.
func (s *Service) ExportRequest(ctx context.Context, id, path string) (ExportResult, error) {
	if path == "" {
		return ExportResult{}, errors.New("export needs a file to write, e.g. /media/usb/request.json")
	}
	// Refuse before the export is logged; the O_EXCL create below refuses
	// whatever appears in between.
	if _, err := os.Lstat(path); err == nil {
		return ExportResult{}, fmt.Errorf("%s already exists and is never overwritten; choose another file name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return ExportResult{}, fmt.Errorf("export %s to %s: %w", id, path, err)
	}
	req, witnesses, next, head, err := s.DB.ExportRequest(ctx, id, s.Actor)
	if err != nil {
		return ExportResult{}, err
	}
	rf := &ceremony.RequestFile{
		ExportedAt: s.now().UTC(), ExportedBy: s.Actor, Request: req, Witnesses: witnesses,
		Required: model.CeremonyWitnesses, NextVersion: next, AuditHead: head,
	}
	if err := ceremony.WriteRequestFile(path, rf); err != nil {
		return ExportResult{}, fmt.Errorf("the export of %s is in the operations log, but the file was not written: %w", req.ID, err)
	}
	return ExportResult{Path: path, Request: req, Witnesses: witnesses, NextVersion: next, AuditHead: head}, nil
}
