package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store"
)

// counts are the rows an import may change, to prove that a refused or
// repeated import changed nothing.
func counts(t *testing.T, db *store.DB) [4]int {
	t.Helper()
	return [4]int{
		count(t, db, "SELECT count(*) FROM wallet_versions"),
		count(t, db, "SELECT count(*) FROM key_ceremonies"),
		count(t, db, "SELECT count(*) FROM wallet_creation_requests WHERE status = 'used'"),
		count(t, db, "SELECT count(*) FROM wallet_operations_log"),
	}
}

// Export an approved request, import its ceremony: the wallet is created
// with the fingerprint, the request used; a second import changes nothing;
// the request cannot be exported or imported again.
func TestExportAndImportCeremony(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	activeWallet(t, l.admin, 1)
	r := approved(t, l)

	addWitnesses(t, l.alice, "wanda", "walter")
	if _, _, _, _, err := l.alice.ExportRequest(ctx, r.ID, "alice"); err == nil ||
		!strings.Contains(err.Error(), "the roster has 2 witnesses; a ceremony needs 3: console witness add NAME KEYFILE") {
		t.Errorf("export with two witnesses: %v", err)
	}
	addWitnesses(t, l.alice, "wilma")
	req, ws, next, head, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if req.ID != r.ID || req.ApprovalID != r.ApprovalID || len(req.Approvals) != 2 {
		t.Errorf("exported request %+v", req)
	}
	if len(ws) != 3 || ws[0].Name != "walter" || ws[1].Name != "wanda" || ws[2].Name != "wilma" {
		t.Errorf("exported witnesses %+v", ws)
	}
	if next != 2 {
		t.Errorf("next version %d, want 2 (v1 exists)", next)
	}
	var last string
	if err := l.admin.Pool().QueryRow(ctx, `SELECT encode(row_hash, 'hex') FROM wallet_operations_log
		WHERE operation_type = 'creation_request_export' ORDER BY seq DESC LIMIT 1`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	if head != last || len(head) != 64 {
		t.Errorf("audit head %q, want the export row's hash %q", head, last)
	}
	// The viewer cannot export (it would write the export's audit row).
	if _, _, _, _, err := l.viewer.ExportRequest(ctx, r.ID, "viewer"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("viewer export: %v", err)
	}

	in := ceremonyFor(req, next, "transcript one")
	created, err := l.alice.ImportCeremony(ctx, in, "alice")
	if err != nil || !created {
		t.Fatalf("import: %v %v", created, err)
	}
	w, err := l.viewer.Wallet(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if w.Status != "created" || w.MasterKeyID != "plings_master_key_v2" || w.Environment != "testing" || w.SecurityLevel != "high" {
		t.Errorf("imported wallet %+v", w)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_versions WHERE version_id = 2 AND public_key_fingerprint = $1
		AND creation_request_id = $2 AND approval_id = $3`, in.Fingerprint, r.ID, r.ApprovalID); n != 1 {
		t.Errorf("wallet v2 lacks the fingerprint, request or approval")
	}
	if n := count(t, l.admin, `SELECT count(*) FROM key_ceremonies WHERE ceremony_id = $1 AND transcript_sha256 = $2
		AND approval_id = $3 AND imported_by = 'alice' AND witness_count = 3 AND backup_proven`, in.CeremonyID, in.TranscriptSHA256, r.ApprovalID); n != 1 {
		t.Errorf("key ceremony not recorded")
	}
	got, err := l.viewer.Request(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "used" || got.WalletVersion != 2 {
		t.Errorf("request after import: %s, wallet %d", got.Status, got.WalletVersion)
	}
	for _, typ := range []string{"wallet_creation", "key_ceremony_import"} {
		if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = $1 AND wallet_version = 2
			AND approval_id = $2 AND db_user = 'alice'`, typ, r.ApprovalID); n != 1 {
			t.Errorf("%d %s audit rows", n, typ)
		}
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'key_ceremony_import'
		AND operation_details @> jsonb_build_object('ceremony_id', $1::text, 'transcript_sha256', $2::text,
		    'public_key_fingerprint', $3::text, 'witness_count', 3, 'backup_proven', true)`,
		in.CeremonyID, in.TranscriptSHA256, in.Fingerprint); n != 1 {
		t.Errorf("key_ceremony_import details incomplete")
	}

	// The same transcript again: nothing changes.
	before := counts(t, l.admin)
	created, err = l.alice.ImportCeremony(ctx, in, "alice")
	if err != nil || created {
		t.Errorf("second import: created %v, %v; want false, nil", created, err)
	}
	if after := counts(t, l.admin); after != before {
		t.Errorf("a second import changed rows: %v → %v", before, after)
	}

	// Reuse: another transcript for the request, the same ceremony id with
	// another transcript, another export.
	other := ceremonyFor(req, 3, "transcript two")
	if _, err := l.alice.ImportCeremony(ctx, other, "alice"); err == nil || !strings.Contains(err.Error(), "request "+r.ID+" was already used by key ceremony "+in.CeremonyID) {
		t.Errorf("another transcript for a used request: %v", err)
	}
	altered := in
	altered.TranscriptSHA256 = other.TranscriptSHA256
	if _, err := l.alice.ImportCeremony(ctx, altered, "alice"); err == nil || !strings.Contains(err.Error(), "was imported before from another transcript") {
		t.Errorf("same ceremony, another transcript: %v", err)
	}
	if _, _, _, _, err := l.alice.ExportRequest(ctx, r.ID, "alice"); err == nil || !strings.Contains(err.Error(), "was already used: it created wallet v2") {
		t.Errorf("export of a used request: %v", err)
	}
	if after := counts(t, l.admin); after != before {
		t.Errorf("refused imports and exports changed rows: %v → %v", before, after)
	}
	// What the ceremony machine's ledger makes of it.
	if used, err := l.viewer.CeremonyUsed(ctx, r.ID); err != nil || !used {
		t.Errorf("CeremonyUsed after import: %v %v", used, err)
	}
	auditOK(t, l.admin)
}

func TestExpiredApprovalIsRefused(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	r := approved(t, l)
	req, _, next, _, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	expire(t, l, r.ID)
	got, err := l.viewer.Request(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != "expired" {
		t.Errorf("request past its validity is %s", got.Status)
	}
	if rs, err := l.viewer.Requests(ctx); err != nil || len(rs) != 1 || rs[0].Status != "expired" {
		t.Errorf("Requests: %+v %v", rs, err)
	}
	before := counts(t, l.admin)
	if _, _, _, _, err := l.alice.ExportRequest(ctx, r.ID, "alice"); err == nil ||
		!strings.Contains(err.Error(), "the approval "+r.ApprovalID+" of request "+r.ID+" expired at") {
		t.Errorf("export of an expired request: %v", err)
	}
	if _, err := l.alice.ImportCeremony(ctx, ceremonyFor(req, next, "late"), "alice"); err == nil ||
		!strings.Contains(err.Error(), "expired at") || !strings.Contains(err.Error(), "file a new request") {
		t.Errorf("import on an expired approval: %v", err)
	}
	if after := counts(t, l.admin); after != before {
		t.Errorf("refusals changed rows: %v → %v", before, after)
	}
	auditOK(t, l.admin)
}

// A version taken between export and import: refused, nothing changes, and a
// fresh export gives the next free version.
func TestImportRefusesATakenVersion(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	r := approved(t, l)
	req, _, next, _, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.admin.CreateWallet(ctx, store.NewWallet{Version: next, Description: "made meanwhile"}, "owner"); err != nil {
		t.Fatal(err)
	}
	before := counts(t, l.admin)
	_, err = l.alice.ImportCeremony(ctx, ceremonyFor(req, next, "one"), "alice")
	if err == nil || !strings.Contains(err.Error(), "wallet version v1 is already taken") ||
		!strings.Contains(err.Error(), "the ceremony must be run again with a fresh export") {
		t.Errorf("import onto a taken version: %v", err)
	}
	if after := counts(t, l.admin); after != before {
		t.Errorf("refused import changed rows: %v → %v", before, after)
	}
	// The wrong approval id, an unknown request, an incomplete import.
	wrong := ceremonyFor(req, 2, "two")
	wrong.ApprovalID = "WAP-19990101000000"
	if _, err := l.alice.ImportCeremony(ctx, wrong, "alice"); err == nil || !strings.Contains(err.Error(), "the transcript is not from this approval") {
		t.Errorf("wrong approval id: %v", err)
	}
	unknown := ceremonyFor(req, 2, "three")
	unknown.RequestID = "WCR-1999-01-01-001"
	if _, err := l.alice.ImportCeremony(ctx, unknown, "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown request: %v", err)
	}
	bad := ceremonyFor(req, 2, "four")
	bad.Fingerprint, bad.KeyLabel = "xyz", ""
	if _, err := l.alice.ImportCeremony(ctx, bad, "alice"); err == nil || !strings.Contains(err.Error(), "fingerprint is not 64 hex digits") ||
		!strings.Contains(err.Error(), "no key label") {
		t.Errorf("incomplete import: %v", err)
	}
	if after := counts(t, l.admin); after != before {
		t.Errorf("refused imports changed rows: %v → %v", before, after)
	}
	req, _, next, _, err = l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil || next != 2 {
		t.Fatalf("fresh export: next %d, %v", next, err)
	}
	if created, err := l.alice.ImportCeremony(ctx, ceremonyFor(req, next, "rerun"), "alice"); err != nil || !created {
		t.Errorf("import after a fresh export: %v %v", created, err)
	}
	auditOK(t, l.admin)
}

// Export refuses what is not approved.
func TestExportRefusesPendingAndRejected(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	id, err := l.alice.FileRequest(ctx, testingRequest(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := l.alice.ExportRequest(ctx, id, "alice"); err == nil ||
		!strings.Contains(err.Error(), "is pending: it still needs approval from security, operations") {
		t.Errorf("export of a pending request: %v", err)
	}
	if _, err := l.bob.DecideRequest(ctx, id, "security", "rejected", "no need", "bob"); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err := l.alice.ExportRequest(ctx, id, "alice"); err == nil ||
		!strings.Contains(err.Error(), "was rejected by bob as security: no need; file a new request") {
		t.Errorf("export of a rejected request: %v", err)
	}
	if _, _, _, _, err := l.alice.ExportRequest(ctx, "WCR-1999-01-01-001", "alice"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("export of an unknown request: %v", err)
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'creation_request_export'"); n != 0 {
		t.Errorf("refused exports wrote %d audit rows", n)
	}
}

// Two imports of one transcript at once: one creates, the other finds it done.
func TestConcurrentImportsCreateOnce(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	r := approved(t, l)
	req, _, next, _, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	in := ceremonyFor(req, next, "raced")
	type res struct {
		created bool
		err     error
	}
	done := make(chan res, 4)
	for range 4 {
		go func() {
			c, err := l.alice.ImportCeremony(ctx, in, "alice")
			done <- res{c, err}
		}()
	}
	made := 0
	for range 4 {
		r := <-done
		if r.err != nil {
			t.Errorf("concurrent import: %v", r.err)
		}
		if r.created {
			made++
		}
	}
	if made != 1 {
		t.Errorf("%d imports created the wallet, want exactly 1", made)
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'key_ceremony_import'"); n != 1 {
		t.Errorf("%d key_ceremony_import rows", n)
	}
	auditOK(t, l.admin)
}
