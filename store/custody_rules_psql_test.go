package store_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
)

// consoleRoles are the logins of each console role in the test cluster.
var consoleRoles = []string{"alice", "bob", "viewer"}

// Point 2: no console role makes a wallet, or moves one, but through the
// schema's functions, which check the preconditions and write the audit row.
func TestNoConsoleRoleWritesWalletVersions(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	w := walletsInEveryStatus(t, l.admin) // owner-made, as the demo's: no ceremony
	for _, login := range consoleRoles {
		for _, sql := range []string{
			"INSERT INTO wallet_versions (version_id, version_name, master_key_id) VALUES (99, 'v99', 'plings_master_key_v99')",
			fmt.Sprintf("UPDATE wallet_versions SET status = 'validated' WHERE version_id = %d", w["created"]),
			fmt.Sprintf("UPDATE wallet_versions SET is_default = true WHERE version_id = %d", w["active"]),
			"DELETE FROM wallet_versions WHERE version_id = 1",
			"INSERT INTO key_ceremonies (ceremony_id, request_id, wallet_version, transcript_sha256, master_public_key, public_key_fingerprint, witness_count) VALUES ('x', 'x', 1, 'x', 'x', 'x', 3)",
			"INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed) VALUES (gen_random_uuid(), 1, 'hsm', 'critical', true)",
			"INSERT INTO wallet_rollouts (wallet_version, from_wallet, step_weights, step_dwells, measure_interval, failure_limit, on_failure, gate_timeout, max_error_rate, max_allocation_ms, max_signature_ms, state, reason, started_by) VALUES (2, 1, '{100}', '{0}', '1 min', 1, 'rollback', '1 day', 1, 1, 1, 'completed', 'by hand', 'alice')",
			"INSERT INTO wallet_minute_metrics (wallet_version, minute, requests, errors) VALUES (2, date_trunc('minute', now()), 100, 0)",
			"INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES (4, 100)",
			"INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, registered_by) VALUES (4, 9, 'Mallory', '" + store.SystemUserID + "')",
			"SELECT setval('wallet_health_checks_id_seq', 1)",
		} {
			refused(t, l.name, login, sql, "permission denied")
		}
	}
	transition := func(v int, to string) string {
		return fmt.Sprintf("SELECT wallet_transition(%d, '%s', 'by hand', 'psql')", v, to)
	}
	// The approver and the viewer may not move a wallet at all.
	refused(t, l.name, "bob", transition(w["created"], "validated"), "permission denied for function wallet_transition")
	refused(t, l.name, "viewer", transition(w["created"], "validated"), "permission denied for function wallet_transition")
	refused(t, l.name, "viewer", fmt.Sprintf("SELECT wallet_move_default(%d, NULL)", w["active"]), "permission denied for function wallet_move_default")
	// The operator may, but each step forward only through its own flow,
	// and the activation only where every precondition holds.
	refused(t, l.name, "alice", transition(w["created"], "validated"), "console validate v1")
	refused(t, l.name, "alice", transition(w["validated"], "deployed"), "console deploy start v2")
	refused(t, l.name, "alice", transition(w["deployed"], "active"), "console activate v3")
	refused(t, l.name, "alice", transition(w["created"], "active"), "illegal status transition for v1: created → active")
	refused(t, l.name, "alice", fmt.Sprintf("SELECT wallet_transition(%d, 'deprecated', '', NULL)", w["active"]), "needs a reason")
	refused(t, l.name, "alice", fmt.Sprintf("SELECT wallet_move_default(%d, NULL)", w["deployed"]), "only an active wallet can be the default")
	activate := fmt.Sprintf("SELECT wallet_activate(%d, false, 0, 'psql')", w["deployed"])
	refused(t, l.name, "bob", activate, "permission denied for function wallet_activate")
	refused(t, l.name, "viewer", activate, "permission denied for function wallet_activate")
	for _, missing := range []string{"no rollout of it reached 100 %", "no validation run of v3 passed all seven tests",
		"v3 has no imported key ceremony"} {
		refused(t, l.name, "alice", activate, missing)
	}
	readyToActivate(t, l.admin, w["deployed"])
	refused(t, l.name, "alice", activate, "v3 has no imported key ceremony, so nothing proves its backup")
	// What stays with wallet_transition is checked and logged.
	before := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice'")
	accepted(t, l.name, "alice", fmt.Sprintf("SELECT wallet_transition(%d, 'compromised', 'key exposure suspected', 'psql')", w["validated"]))
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice' AND initiated_by = 'psql'
		AND operation_type = 'wallet_compromise' AND wallet_version = $1 AND operation_details->>'reason' = 'key exposure suspected'`, w["validated"]); n != 1 ||
		count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice'") != before+1 {
		t.Errorf("the compromise wrote %d matching audit rows, want 1", n)
	}
	mustExec(t, l.admin, `INSERT INTO validation_results (run_id, wallet_version, test_name, severity, passed)
		SELECT '00000000-0000-0000-0000-0000000000bb', $1, 'test ' || g, 'critical', true FROM generate_series(1, 7) g`, w["created"])
	refused(t, l.name, "alice", transition(w["created"], "validated"), "use console validate v1")
	// The suite's function: only the operator may call it, and it refuses a
	// run that is not the seven tests passed (a failed run records nothing).
	run := func(failed string) string {
		tests := []string{}
		for _, n := range []string{"hsm_connectivity", "crypto_operations", "path_derivation", "database_integration",
			"performance", "security_controls", "backup_recovery"} {
			tests = append(tests, fmt.Sprintf(`{"name": "%s", "severity": "critical", "passed": %v, "details": {}}`, n, n != failed))
		}
		return fmt.Sprintf(`SELECT wallet_record_validation(%d, jsonb_build_object('run_id', gen_random_uuid(), 'started_at', now(), 'finished_at', now(),
			'baseline', '{}'::jsonb, 'tests', '[%s]'::jsonb, 'signature', repeat('ab', 64)), 'psql')`, w["created"], strings.Join(tests, ", "))
	}
	refused(t, l.name, "viewer", run(""), "permission denied for function wallet_record_validation")
	refused(t, l.name, "bob", run(""), "permission denied for function wallet_record_validation")
	refused(t, l.name, "alice", run("backup_recovery"), "its run failed backup_recovery")
	refused(t, l.name, "alice", strings.Replace(run(""), `"name": "performance"`, `"name": "coffee"`, 1), "not the seven of the suite")
	if n := count(t, l.admin, "SELECT count(*) FROM validation_runs"); n != 0 {
		t.Fatalf("%d runs recorded by refused calls", n)
	}
	before = count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice'")
	accepted(t, l.name, "alice", run(""))
	if n := count(t, l.admin, `SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice' AND initiated_by = 'psql'
		AND operation_type = 'wallet_validation' AND wallet_version = $1 AND operation_details->>'from' = 'created'`, w["created"]); n != 1 ||
		count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE db_user = 'alice'") != before+1 ||
		count(t, l.admin, "SELECT count(*) FROM validation_runs WHERE validated_by = 'alice'") != 1 ||
		count(t, l.admin, "SELECT count(*) FROM wallet_versions WHERE version_id = $1 AND status = 'validated'", w["created"]) != 1 {
		t.Errorf("the validation wrote %d matching audit rows, want 1, with its run, and the wallet validated", n)
	}
	refused(t, l.name, "alice", run(""), "only a created wallet is validated")
	// Moving the default through the function, with its audit row.
	if _, err := l.alice.MoveDefault(ctx, w["active"], "alice@plings.io"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.alice.MoveDefault(ctx, w["active"], ""); err == nil || !strings.Contains(err.Error(), "is already the default wallet; nothing changed") {
		t.Errorf("moving the default to the default: %v", err)
	}
	refused(t, l.name, "alice", transition(w["active"], "deprecated"), "is the default wallet: move the default to another active wallet first")
	auditOK(t, l.admin)
}

// Point 3: a proof is written only by its function, which refuses what is
// not a signature; one that is a signature but does not verify is found by
// the console at activation and by audit verify, loudly.
func TestForgedBackupProofBlocks(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	req, _, next, head, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	_, pubPEM, fp := realKey(t)
	in := ceremonyFor(req, next, "forged proof")
	in.PublicKey, in.Fingerprint, in.BackupProof, in.AuditHead = pubPEM, fp, nil, head
	if _, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil {
		t.Fatal(err)
	}
	v := next
	for _, login := range consoleRoles {
		refused(t, l.name, login, fmt.Sprintf(`INSERT INTO key_ceremony_backup_proofs (ceremony_id, wallet_version, backup_token,
			key_label, public_key_fingerprint, challenge, signature) VALUES ('%s', %d, 'b', 'k', '%s', '\x%s', '\x%s')`,
			in.CeremonyID, v, fp, strings.Repeat("11", 32), strings.Repeat("00", 64)), "permission denied")
		refused(t, l.name, login, fmt.Sprintf("UPDATE key_ceremonies SET backup_proven = true WHERE wallet_version = %d", v), "permission denied")
	}
	proofFn := func(serial, sigHex string) string {
		return fmt.Sprintf(`SELECT wallet_record_backup_proof(%d, 'backup', '%s', 'SoftHSM v2', 'plings_master_key_v%d', '%s', '\x%s', '\x%s', NULL)`,
			v, serial, v, fp, strings.Repeat("11", 32), sigHex)
	}
	refused(t, l.name, "alice", proofFn("other-serial", strings.Repeat("00", 64)), "not an Ed25519 signature (64 bytes, not all zero)")
	refused(t, l.name, "alice", proofFn("other-serial", strings.Repeat("ab", 10)), "not an Ed25519 signature")
	refused(t, l.name, "alice", proofFn("", strings.Repeat("ab", 64)), "the backup token's serial is missing")
	// Point 9: the ceremony token itself, or a copy of its files (the same serial).
	refused(t, l.name, "alice", proofFn(in.TokenSerial, strings.Repeat("ab", 64)), "is the same token that made the key")
	refused(t, l.name, "viewer", proofFn("other-serial", strings.Repeat("ab", 64)), "permission denied for function")
	refused(t, l.name, "bob", proofFn("other-serial", strings.Repeat("ab", 64)), "permission denied for function")
	if n := count(t, l.admin, "SELECT count(*) FROM key_ceremony_backup_proofs"); n != 0 {
		t.Fatalf("%d proofs written by refused calls", n)
	}
	// A signature-shaped forgery gets past the database, which cannot verify
	// Ed25519 ...
	accepted(t, l.name, "alice", proofFn("other-serial", strings.Repeat("ab", 64)))
	for _, s := range []model.Status{model.StatusValidated, model.StatusDeployed} {
		if err := l.admin.SetStatus(ctx, v, s, store.Op{Type: "wallet_" + string(s)}); err != nil {
			t.Fatal(err)
		}
	}
	// ... but not past the console.
	readyToActivate(t, l.admin, v)
	_, err = l.alice.Activate(ctx, v, false, 0, "alice")
	if err == nil || !strings.Contains(err.Error(), "REFUSED") || !strings.Contains(err.Error(), "does NOT verify under the master public key") {
		t.Errorf("activation on a forged proof: %v", err)
	}
	if w, _ := l.viewer.Wallet(ctx, v); w.Status != model.StatusDeployed {
		t.Errorf("after the refused activation v%d is %s", v, w.Status)
	}
	rep, err := l.viewer.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !rep.ChainOK() || rep.Keys != 1 || len(rep.KeyProblems) != 1 || rep.KeyProblems[0].Wallet != v {
		t.Errorf("audit verify on a forged proof: %+v", rep)
	}
}

// Point 3, the proof a ceremony carries: recorded at import, re-verified
// like any other.
func TestImportedProofIsVerified(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	req, _, next, head, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	in := ceremonyFor(req, next, "proven in the ceremony")
	in.AuditHead = head
	if _, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil {
		t.Fatal(err)
	}
	rep, err := l.viewer.VerifyAudit(ctx)
	if err != nil || !rep.OK || rep.Keys != 1 {
		t.Errorf("audit verify after an import with its proof: %+v, %v", rep, err)
	}
	if n := count(t, l.admin, `SELECT count(*) FROM key_ceremony_backup_proofs p JOIN key_ceremonies k USING (ceremony_id)
		WHERE k.backup_proven AND p.backup_token_serial = 'backup-serial-1' AND k.ceremony_token_serial = 'ceremony-serial-1'`); n != 1 {
		t.Errorf("the ceremony's proof is not recorded with both serials")
	}
	// A proof from the ceremony token itself is refused at import too.
	req2, _, next2, head2, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	same := ceremonyFor(req2, next2, "backup on the ceremony token")
	same.AuditHead = head2
	same.BackupProof.TokenSerial = same.TokenSerial
	if _, err := l.alice.ImportCeremony(ctx, same, "alice"); err == nil || !strings.Contains(err.Error(), "is the same token that made the key") {
		t.Errorf("import with a proof from the ceremony token: %v", err)
	}
	// An import carrying a proof that does not verify is recorded (the
	// database cannot tell) and caught by audit verify.
	req3, _, next3, head3, err := l.alice.ExportRequest(ctx, approved(t, l).ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	bad := ceremonyFor(req3, next3, "a proof that does not verify")
	bad.AuditHead = head3
	bad.BackupProof.Signature = ed25519.Sign(ed25519.NewKeyFromSeed(make([]byte, 32)), bad.BackupProof.Challenge)
	if _, err := l.alice.ImportCeremony(ctx, bad, "alice"); err != nil {
		t.Fatal(err)
	}
	if rep, err := l.viewer.VerifyAudit(ctx); err != nil || rep.OK || len(rep.KeyProblems) != 1 || rep.KeyProblems[0].Wallet != next3 {
		t.Errorf("audit verify with one bad proof: %+v, %v", rep, err)
	}
}

// Point 4: identity and history cannot be rewritten, by any role; the
// owner's identity edits are refused as well.
func TestRecordsCannotBeRewritten(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	addWitnesses(t, l.alice, "wanda", "walter", "wilma")
	r := approved(t, l)
	req, _, next, head, err := l.alice.ExportRequest(ctx, r.ID, "alice")
	if err != nil {
		t.Fatal(err)
	}
	in := ceremonyFor(req, next, "identity")
	in.AuditHead = head
	if _, err := l.alice.ImportCeremony(ctx, in, "alice"); err != nil {
		t.Fatal(err)
	}
	pending, err := l.alice.FileRequest(ctx, testingRequest(), "")
	if err != nil {
		t.Fatal(err)
	}
	v := next
	for _, login := range consoleRoles {
		for _, sql := range []string{
			fmt.Sprintf("UPDATE wallet_versions SET public_key_fingerprint = repeat('0', 64) WHERE version_id = %d", v),
			fmt.Sprintf("UPDATE wallet_versions SET master_key_id = 'plings_master_key_v99' WHERE version_id = %d", v),
			fmt.Sprintf("UPDATE wallet_versions SET activated_at = now() - interval '1 year' WHERE version_id = %d", v),
			fmt.Sprintf("UPDATE wallet_creation_requests SET wallet_version = 1 WHERE request_id = '%s'", r.ID),
			fmt.Sprintf("UPDATE wallet_creation_requests SET status = 'used' WHERE request_id = '%s'", pending),
			fmt.Sprintf("UPDATE wallet_creation_requests SET status = 'expired' WHERE request_id = '%s'", pending),
			fmt.Sprintf("UPDATE wallet_creation_requests SET reason = 'rewritten' WHERE request_id = '%s'", pending),
			fmt.Sprintf("UPDATE key_ceremonies SET master_public_key = 'x' WHERE wallet_version = %d", v),
		} {
			refused(t, l.name, login, sql, "permission denied")
		}
	}
	// Even the owner cannot change who a wallet is.
	for _, sql := range []string{
		fmt.Sprintf("UPDATE wallet_versions SET public_key_fingerprint = repeat('0', 64) WHERE version_id = %d", v),
		fmt.Sprintf("UPDATE wallet_versions SET master_key_id = 'k' WHERE version_id = %d", v),
		fmt.Sprintf("UPDATE wallet_versions SET creation_request_id = 'WCR-2020-01-01-001' WHERE version_id = %d", v),
		fmt.Sprintf("UPDATE wallet_versions SET environment = 'production' WHERE version_id = %d", v),
	} {
		refused(t, l.name, "postgres", sql, "cannot change once written")
	}
	refused(t, l.name, "postgres", fmt.Sprintf("UPDATE key_ceremonies SET public_key_fingerprint = 'x' WHERE wallet_version = %d", v),
		"only a backup proof may be added")
	// The functions move a request only along its own lifecycle: a used
	// request cannot be used again, nor decided.
	refused(t, l.name, "bob", fmt.Sprintf("SELECT wallet_decide_request('%s', 'executive', 'approved', NULL, NULL)", r.ID), "its decisions are closed")
	if got, err := l.viewer.Request(ctx, r.ID); err != nil || got.Status != "used" || got.WalletVersion != v {
		t.Errorf("request %s after the attempts: %s, v%d (%v)", r.ID, got.Status, got.WalletVersion, err)
	}
	if got, err := l.viewer.Request(ctx, pending); err != nil || got.Status != "pending" {
		t.Errorf("pending request after the attempts: %s (%v)", got.Status, err)
	}
}

// Point 5: the log is written only by the schema's functions; the actor is
// the login, whatever note is given.
func TestAuditActorIsTheLogin(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	for _, login := range consoleRoles {
		refused(t, l.name, login, `INSERT INTO wallet_operations_log (operation_type, initiated_by, operation_details)
			VALUES ('creation_request_export', 'carol', '{"request_id": "WCR-2026-01-01-001", "next_version": 9}')`, "permission denied")
		refused(t, l.name, login, "SELECT wallet_log('creation_request_export', NULL, NULL, 'carol', NULL, '{}')", "permission denied for function wallet_log")
	}
	id, err := l.alice.FileRequest(ctx, testingRequest(), "carol@plings.io")
	if err != nil {
		t.Fatal(err)
	}
	ops, err := l.viewer.Operations(ctx, store.OpFilter{Type: "creation_request", Limit: 5})
	if err != nil || len(ops) != 1 {
		t.Fatalf("operations: %v, %v", ops, err)
	}
	if o := ops[0]; o.Actor() != "alice" || o.Note() != "carol@plings.io" || !strings.Contains(string(o.Details), id) {
		t.Errorf("the request's audit row: actor %q, note %q, details %s", o.Actor(), o.Note(), o.Details)
	}
	// --by is the login: the note does not match.
	if ops, _ := l.viewer.Operations(ctx, store.OpFilter{Operator: "carol@plings.io", Limit: 5}); len(ops) != 0 {
		t.Errorf("filtering by a note found %d rows", len(ops))
	}
	if ops, _ := l.viewer.Operations(ctx, store.OpFilter{Operator: "alice", Limit: 5}); len(ops) != 1 {
		t.Errorf("filtering by the login found %d rows, want 1", len(ops))
	}
}

// Point 8: 16 sessions × 20 moves of the default among three active
// wallets: no deadlock, every refusal a sentence, one default at the end,
// one audit row per move made.
func TestConcurrentDefaultMovesQueue(t *testing.T) {
	l := openLogins(t)
	ctx := context.Background()
	for v := 1; v <= 3; v++ {
		activeWallet(t, l.admin, v)
	}
	var mu sync.Mutex
	moved, refusedMoves := 0, 0
	var unexpected []error
	var wg sync.WaitGroup
	for s := 0; s < 16; s++ {
		wg.Add(1)
		go func(s int) {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				_, err := l.alice.MoveDefault(ctx, 1+(s+i)%3, fmt.Sprintf("session %d", s))
				mu.Lock()
				var pg *pgconn.PgError
				switch {
				case err == nil:
					moved++
				case strings.Contains(err.Error(), "is already the default wallet; nothing changed"):
					refusedMoves++
				case errors.As(err, &pg), errors.Is(err, store.ErrConflict):
					unexpected = append(unexpected, err)
				default:
					unexpected = append(unexpected, err)
				}
				mu.Unlock()
			}
		}(s)
	}
	wg.Wait()
	if len(unexpected) > 0 {
		t.Errorf("%d moves failed otherwise than 'already the default', first: %v", len(unexpected), unexpected[0])
	}
	t.Logf("%d moves made, %d already the default", moved, refusedMoves)
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_versions WHERE is_default"); n != 1 {
		t.Errorf("%d defaults after the moves", n)
	}
	if n := count(t, l.admin, "SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'default_wallet_change' AND db_user = 'alice'"); n != moved {
		t.Errorf("%d audit rows for %d moves", n, moved)
	}
	auditOK(t, l.admin)
}
