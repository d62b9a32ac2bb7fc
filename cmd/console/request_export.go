package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/ui"
)

// exportRequest writes what the ceremony machine needs for request id to
// path (never overwriting it) and says what it wrote. The export and its
// audit row are one transaction; the file is written after it commits.
func exportRequest(ctx context.Context, db *store.DB, id, path, actor string) (string, error) {
	if path == "" {
		return "", errors.New("export needs a file to write, e.g. /media/usb/request.json")
	}
	// Refuse before the export is logged; the O_EXCL create below refuses
	// whatever appears in between.
	if _, err := os.Lstat(path); err == nil {
		return "", fmt.Errorf("%s already exists and is never overwritten; choose another file name", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("export to %s: %w", path, err)
	}
	req, witnesses, next, head, err := db.ExportRequest(ctx, id, actor)
	if err != nil {
		return "", err
	}
	rf := &ceremony.RequestFile{
		ExportedAt: time.Now().UTC(), ExportedBy: actor, Request: req, Witnesses: witnesses,
		Required: model.CeremonyWitnesses, NextVersion: next, AuditHead: head,
	}
	if err := ceremony.WriteRequestFile(path, rf); err != nil {
		return "", fmt.Errorf("the export of %s is in the operations log, but the file was not written: %w", req.ID, err)
	}
	names := make([]string, len(witnesses))
	for i, w := range witnesses {
		names[i] = ui.Inert(w.Name)
	}
	head16 := head
	if len(head16) > 16 {
		head16 = head16[:16] + "…"
	}
	return fmt.Sprintf("wrote %s: request %s, approval %s (valid until %s), %d witnesses on the roster (%s; %d needed), "+
		"the new wallet will be %s, audit head %s\ncarry it to the ceremony machine on removable media",
		path, req.ID, req.ApprovalID, req.ValidUntil.UTC().Format(stamp), len(witnesses), strings.Join(names, ", "),
		model.CeremonyWitnesses, model.VersionName(next), head16), nil
}
