package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// asSuperuserBypassingTriggers alters the log the only way it can be altered:
// a superuser switching triggers off.
func asSuperuserBypassingTriggers(t *testing.T, db *store.DB, sql string) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, sql); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyFindsTheFirstBrokenRow(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, sql, want string
		at              int64
	}{
		{"edited details", `UPDATE wallet_operations_log SET operation_details = '{"hsm_key_id": "forged"}' WHERE seq = 3`, "row 3", 3},
		{"edited operator", `UPDATE wallet_operations_log SET initiated_by = 'mallory' WHERE seq = 5`, "row 5 (", 5},
		{"edited time", `UPDATE wallet_operations_log SET "timestamp" = "timestamp" - interval '1 day' WHERE seq = 2`, "row 2", 2},
		{"removed row", `DELETE FROM wallet_operations_log WHERE seq = 4`, "row 4 is missing", 5},
		{"rehashed row", `UPDATE wallet_operations_log SET initiated_by = 'mallory' WHERE seq = 4;
			UPDATE wallet_operations_log SET row_hash = sha256(convert_to(wallet_audit_canonical(wallet_operations_log), 'UTF8')) WHERE seq = 4`, "row 5 does not follow row 4", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := pgtest.Open(t)
			activeWallet(t, db, 1) // 1 creation + 3 transitions + 2 registrations = 6 rows
			if _, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: 1, Path: "2.1", Quantity: 1}); err != nil {
				t.Fatal(err)
			}
			rep, err := db.VerifyAudit(ctx)
			if err != nil || !rep.OK || rep.Rows != 7 {
				t.Fatalf("untouched log: %+v %v", rep, err)
			}
			asSuperuserBypassingTriggers(t, db, tc.sql)
			rep, err = db.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if rep.OK || rep.BrokenAt != tc.at || !strings.Contains(rep.Problem, tc.want) {
				t.Errorf("after %s: %+v; want broken at row %d mentioning %q", tc.name, rep, tc.at, tc.want)
			}
		})
	}
}

// The seed's own audit INSERT (seed 000, "Wallet Database Creation") runs as
// written and joins the chain.
func TestSeedAuditInsertJoinsTheChain(t *testing.T) {
	db := pgtest.Open(t)
	activeWallet(t, db, 1)
	mustExec(t, db, `INSERT INTO wallet_operations_log (operation_type, wallet_version, operation_status,
		initiated_by, approval_id, operation_details, timestamp)
		VALUES ('wallet_creation', 1, 'completed', 'ops@plings.io', 'WAP-20250713111759',
		jsonb_build_object('hsm_key_id', 'plings_master_key_v1', 'witness_count', 3), NOW())`)
	rep, err := db.VerifyAudit(context.Background())
	if err != nil || !rep.OK || rep.Rows != 7 {
		t.Fatalf("%+v %v", rep, err)
	}
	if n := count(t, db, "SELECT count(*) FROM wallet_operations_log WHERE db_user = 'postgres' AND seq = 7"); n != 1 {
		t.Errorf("db_user not recorded as the login")
	}
}
