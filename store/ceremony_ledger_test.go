package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/ceremony"
	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// The store is the ceremony machine's ledger; the store package itself does
// not import ceremony.
var _ ceremony.Ledger = (*store.DB)(nil)

func TestCeremonyLedger(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	const req = "WCR-2026-01-31-001" // filed on the connected side, not here
	sha := strings.Repeat("ab", 32)
	if used, err := l.alice.CeremonyUsed(ctx, req); err != nil || used {
		t.Fatalf("unused request: %v %v", used, err)
	}
	aborted := model.CeremonyRun{CeremonyID: "CER-1", RequestID: req, ApprovalID: "WAP-20260131120000", Version: 4,
		Outcome: "aborted", Step: "witnesses", Reason: "a witness key is not on the roster", At: time.Now()}
	if err := l.alice.RecordCeremony(ctx, aborted); err != nil {
		t.Fatal(err)
	}
	if used, err := l.alice.CeremonyUsed(ctx, req); err != nil || used {
		t.Errorf("an aborted ceremony used the request: %v %v", used, err)
	}
	done := model.CeremonyRun{CeremonyID: "CER-2", RequestID: req, ApprovalID: "WAP-20260131120000", Version: 4,
		Outcome: "completed", TranscriptPath: "/media/usb/CER-2.transcript", TranscriptSHA256: sha}
	if err := l.alice.RecordCeremony(ctx, done); err != nil {
		t.Fatal(err)
	}
	if used, err := l.viewer.CeremonyUsed(ctx, req); err != nil || !used {
		t.Errorf("after a completed ceremony: %v %v", used, err)
	}
	again := done
	again.CeremonyID = "CER-3"
	var rule *store.RuleError
	if err := l.alice.RecordCeremony(ctx, again); !errors.As(err, &rule) || !strings.Contains(err.Error(), "already used by a completed ceremony") {
		t.Errorf("second completed ceremony: %v", err)
	}
	if err := l.alice.RecordCeremony(ctx, done); !errors.As(err, &rule) || !strings.Contains(err.Error(), "CER-2 is already recorded") {
		t.Errorf("the same ceremony twice: %v", err)
	}
	for _, bad := range []model.CeremonyRun{
		{CeremonyID: "CER-4", RequestID: req, Outcome: "aborted"},
		{CeremonyID: "CER-5", RequestID: req, Outcome: "completed"},
		{CeremonyID: "CER-6", RequestID: req, Outcome: "paused"},
	} {
		if err := l.alice.RecordCeremony(ctx, bad); err == nil {
			t.Errorf("%+v was recorded", bad)
		}
	}
	if err := l.viewer.RecordCeremony(ctx, model.CeremonyRun{CeremonyID: "CER-7", RequestID: "WCR-2026-01-31-002",
		Outcome: "aborted", Reason: "x"}); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("viewer recording: %v", err)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'key_ceremony'
		AND operation_status = 'aborted' AND operation_details->>'step' = 'witnesses'`); n != 1 {
		t.Errorf("%d aborted key_ceremony audit rows", n)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'key_ceremony'
		AND operation_status = 'completed' AND operation_details->>'transcript_sha256' = $1`, sha); n != 1 {
		t.Errorf("%d completed key_ceremony audit rows", n)
	}
	// Append-only, even for the owner.
	for _, sql := range []string{"UPDATE ceremony_runs SET outcome = 'aborted', reason = 'x'", "DELETE FROM ceremony_runs", "TRUNCATE ceremony_runs"} {
		if _, err := l.admin.Pool().Exec(ctx, sql); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v", sql, err)
		}
	}
	if _, err := l.alice.Pool().Exec(ctx, "DELETE FROM ceremony_runs"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("alice deleting ceremony runs: %v", err)
	}
	auditOK(t, l.admin)
}

func TestWitnessRoster(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	key := sshKey(t, "wanda@laptop")
	if err := l.alice.AddWitness(ctx, model.Witness{Name: "wanda", PublicKey: "  " + strings.ReplaceAll(key, " ", "\t ") + "\n"}, "alice"); err != nil {
		t.Fatal(err)
	}
	var rule *store.RuleError
	for _, tc := range []struct {
		w    model.Witness
		want string
	}{
		{model.Witness{Name: "wanda", PublicKey: sshKey(t, "")}, "witness wanda is already on the roster"},
		{model.Witness{Name: "walter", PublicKey: strings.Replace(key, "wanda@laptop", "other comment", 1)}, "is already on the roster as witness wanda"},
		{model.Witness{Name: "two words", PublicKey: sshKey(t, "")}, "cannot be an ssh principal"},
		{model.Witness{Name: "*", PublicKey: sshKey(t, "")}, "cannot be an ssh principal"},
		{model.Witness{Name: "walter", PublicKey: "ssh-dss AAAAB3NzaC1kc3M= x"}, `key type "ssh-dss" is not one ssh-keygen -Y signs with`},
		{model.Witness{Name: "walter", PublicKey: "ssh-ed25519 not*base64"}, "not base64"},
		{model.Witness{Name: "walter", PublicKey: "ssh-rsa " + strings.Fields(key)[1]}, "does not hold a ssh-rsa key"},
		{model.Witness{Name: "walter", PublicKey: "ssh-ed25519"}, "one line"},
		{model.Witness{Name: "walter", PublicKey: sshKey(t, "evil\x1b[2J")}, "control characters"},
	} {
		err := l.alice.AddWitness(ctx, tc.w, "alice")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want %q", tc.w.Name, err, tc.want)
		}
		if strings.Contains(tc.want, "already") && !errors.As(err, &rule) {
			t.Errorf("%q: not a RuleError: %T", tc.w.Name, err)
		}
	}
	if err := l.viewer.AddWitness(ctx, model.Witness{Name: "walter", PublicKey: sshKey(t, "")}, "viewer"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("viewer adding a witness: %v", err)
	}
	addWitnesses(t, l.alice, "walter", "a.b+c@d-e_f")
	ws, err := l.viewer.Witnesses(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 3 || ws[0].Name != "a.b+c@d-e_f" || ws[2].Name != "wanda" || ws[2].PublicKey != key {
		t.Errorf("roster %+v", ws)
	}
	// An inactive witness is not on the list; nobody is removed.
	mustExec(t, l.admin, "UPDATE ceremony_witnesses SET active = false WHERE name = 'walter'")
	if ws, _ := l.viewer.Witnesses(ctx); len(ws) != 2 {
		t.Errorf("inactive witness listed: %+v", ws)
	}
	if _, err := l.admin.Pool().Exec(ctx, "DELETE FROM ceremony_witnesses WHERE name = 'walter'"); err == nil || !strings.Contains(err.Error(), "cannot be removed") {
		t.Errorf("delete a witness: %v", err)
	}
	if _, err := l.admin.Pool().Exec(ctx, "UPDATE ceremony_witnesses SET public_key = $1 WHERE name = 'wanda'", sshKey(t, "")); err == nil || !strings.Contains(err.Error(), "cannot be edited") {
		t.Errorf("edit a witness key: %v", err)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'witness_addition'
		AND operation_details->>'witness' = 'wanda' AND operation_details->>'fingerprint' LIKE 'SHA256:%'`); n != 1 {
		t.Errorf("%d witness_addition rows for wanda", n)
	}
	auditOK(t, l.admin)
}

func TestParseWitnessKeyFingerprint(t *testing.T) {
	// A key and its fingerprint as ssh-keygen -l -E sha256 prints them.
	const line = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc03xt61/JF2DIj+a+UFM2qqq2IHJrzHQpb77rtdluG test"
	norm, fp, err := store.ParseWitnessKey(line)
	if err != nil {
		t.Fatal(err)
	}
	if norm != line || fp != "SHA256:bIuChiQqmXXtBG7uWYJ4P9s98SvHToAFOyKZdIxZ9rc" {
		t.Errorf("ParseWitnessKey: %q %q", norm, fp)
	}
}
