package store_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// psql runs sql through the real psql client as login, as an operator typing
// by hand would; it returns the output and whether psql reported an error.
func psql(t *testing.T, dbname, login, sql string) (string, bool) {
	t.Helper()
	c := pgtest.Cluster(t)
	cmd := exec.Command(filepath.Join(c.BinDir, "psql"), "-X", "-v", "ON_ERROR_STOP=1", "-q",
		"-h", c.SocketDir(), "-U", login, "-d", dbname, "-c", sql)
	out, err := cmd.CombinedOutput()
	return string(out), err == nil
}

func refused(t *testing.T, dbname, login, sql, want string) {
	t.Helper()
	out, ok := psql(t, dbname, login, sql)
	if ok {
		t.Errorf("psql as %s accepted %q; it must be refused", login, sql)
		return
	}
	if !strings.Contains(out, want) {
		t.Errorf("psql as %s on %q said %q; want it to mention %q", login, sql, strings.TrimSpace(out), want)
	}
}

func accepted(t *testing.T, dbname, login, sql string) {
	t.Helper()
	if out, ok := psql(t, dbname, login, sql); !ok {
		t.Errorf("psql as %s refused %q: %s", login, sql, out)
	}
}

func TestRawSQLCannotBreakTheRules(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	activeWallet(t, db, 1)
	activeWallet(t, db, 2)
	if err := db.CreateWallet(context.Background(), store.NewWallet{Version: 3}, "tester"); err != nil {
		t.Fatal(err)
	}
	su := "postgres"

	t.Run("skip a status", func(t *testing.T) {
		refused(t, name, su, "UPDATE wallet_versions SET status = 'active' WHERE version_id = 3",
			"illegal status transition for v3: created → active")
		refused(t, name, su, "UPDATE wallet_versions SET status = 'retired' WHERE version_id = 1",
			"active → retired")
		refused(t, name, su, "INSERT INTO wallet_versions (version_id, version_name, master_key_id, status) VALUES (9, 'v9', 'k', 'active')",
			"a new wallet version starts as created")
	})
	t.Run("one default, and only an active one", func(t *testing.T) {
		accepted(t, name, su, "UPDATE wallet_versions SET is_default = true WHERE version_id = 1")
		refused(t, name, su, "UPDATE wallet_versions SET is_default = true WHERE version_id = 2", "unique_default_wallet")
		refused(t, name, su, "UPDATE wallet_versions SET is_default = true WHERE version_id = 3", "default_wallet_is_active")
		// Seed 000's activation moves the default in one statement: allowed.
		accepted(t, name, su, "UPDATE wallet_versions SET is_default = CASE WHEN version_id = 2 THEN true ELSE false END WHERE status = 'active'")
		if n := count(t, db, "SELECT count(*) FROM wallet_versions WHERE is_default AND version_id = 2"); n != 1 {
			t.Errorf("default did not move to v2")
		}
	})
	t.Run("Plings, ranges, grammar", func(t *testing.T) {
		refused(t, name, su, "INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, registered_by) VALUES (1, 5, 'Plings', '"+store.SystemUserID+"')", "check_plings_index_one")
		refused(t, name, su, "INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, registered_by) VALUES (3, 1, 'Acme', '"+store.SystemUserID+"')", "check_plings_index_one")
		refused(t, name, su, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_range_start, allocated_range_end, allocated_by) VALUES (1, '2.9', 'test', 10, 1, 11, '"+store.SystemUserID+"')", "valid_range_end")
		refused(t, name, su, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (1, '2..3', 'test', 10, '"+store.SystemUserID+"')", "component 2 is empty")
		refused(t, name, su, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (1, '2.0.1', 'test', 10, '"+store.SystemUserID+"')", "components start at 1")
	})
	t.Run("overlap within a wallet, not across wallets", func(t *testing.T) {
		ins := func(w, p string) string {
			return "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (" + w + ", '" + p + "', 'production', 100, '" + store.SystemUserID + "')"
		}
		accepted(t, name, su, ins("1", "2.2.2.2"))
		refused(t, name, su, ins("1", "2.2.2.2.2"), "path 2.2.2.2.2 overlaps 2.2.2.2 in wallet v1")
		refused(t, name, su, ins("1", "2.2"), "path 2.2 overlaps 2.2.2.2 in wallet v1")
		accepted(t, name, su, ins("1", "2.2.2.22"))
		accepted(t, name, su, ins("2", "2.2.2.2.2"))
	})
	t.Run("overlap check only in READ COMMITTED", func(t *testing.T) {
		refused(t, name, su, "BEGIN ISOLATION LEVEL REPEATABLE READ; INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (1, '2.8', 'production', 1, '"+store.SystemUserID+"'); COMMIT",
			"live paths are allocated in READ COMMITTED transactions only (this one is repeatable read)")
		refused(t, name, su, "BEGIN ISOLATION LEVEL SERIALIZABLE; INSERT INTO wallet_operations_log (operation_type, initiated_by) VALUES ('x', 'y'); COMMIT",
			"READ COMMITTED transactions only")
	})
	t.Run("counters only through the triggers", func(t *testing.T) {
		refused(t, name, "alice", "UPDATE wallet_path_stats SET paths = 999999", "permission denied")
		refused(t, name, "alice", "INSERT INTO wallet_path_stats (wallet_version, manufacturer_index, allocation_type, status) VALUES (1, 2, 'test', 'active')", "permission denied")
	})
	t.Run("Plings however spelt", func(t *testing.T) {
		refused(t, name, su, "INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, registered_by) VALUES (1, 3, 'PLINGS ', '"+store.SystemUserID+"')", "check_plings_index_one")
	})
	t.Run("audit rows are dated by the database", func(t *testing.T) {
		accepted(t, name, su, `INSERT INTO wallet_operations_log (operation_type, initiated_by, "timestamp") VALUES ('backdated', 'mallory', '0044-03-15 12:00+00 BC')`)
		if n := count(t, db, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'backdated' AND "timestamp" > now() - interval '1 hour'`); n != 1 {
			t.Errorf("a client-supplied timestamp was kept")
		}
	})
	t.Run("audit rows are append-only", func(t *testing.T) {
		refused(t, name, su, "UPDATE wallet_operations_log SET initiated_by = 'mallory' WHERE seq = 1", "append-only")
		refused(t, name, su, "DELETE FROM wallet_operations_log WHERE seq = 1", "append-only")
		refused(t, name, su, "TRUNCATE wallet_operations_log", "append-only")
		refused(t, name, "alice", "UPDATE wallet_operations_log SET initiated_by = 'mallory' WHERE seq = 1", "permission denied")
	})
	t.Run("two-person rule on the login", func(t *testing.T) {
		refused(t, name, "alice", "INSERT INTO wallet_creation_requests (requested_by, environment, purpose, reason) VALUES ('bob', 'testing', 'capacity_expansion', 'more room')",
			"permission denied")
		// The function files as the login; a note cannot pass for another person.
		accepted(t, name, "alice", "SELECT wallet_file_request(NULL, NULL, 'testing', 'capacity_expansion', NULL, NULL, 'more room', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'psql')")
		accepted(t, name, "alice", "SELECT wallet_file_request(NULL, NULL, 'testing', 'capacity_expansion', NULL, NULL, 'more room', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'bob')")
		// The database issues the ids (issue 10, point 7): today's first two.
		var r1, r2 string
		if err := db.Pool().QueryRow(context.Background(), "SELECT min(request_id), max(request_id) FROM wallet_creation_requests").Scan(&r1, &r2); err != nil {
			t.Fatal(err)
		}
		if n := count(t, db, "SELECT count(*) FROM wallet_creation_requests WHERE requested_by = 'alice'"); n != 2 {
			t.Errorf("requests recorded for alice: %d, want 2", n)
		}
		mustExec(t, db, "GRANT wallet_approver TO alice")
		defer mustExec(t, db, "REVOKE wallet_approver FROM alice")
		decide := func(id, role, decision, reason string) string {
			return "SELECT wallet_decide_request('" + id + "', '" + role + "', '" + decision + "', '" + reason + "', NULL)"
		}
		refused(t, name, "alice", decide(r1, "security", "approved", ""),
			"two-person rule: alice filed request "+r1+" and cannot approve it")
		refused(t, name, "alice", "INSERT INTO wallet_creation_approvals (request_id, approver_role, approver, decision) VALUES ('"+r1+"', 'security', 'bob', 'approved')",
			"permission denied")
		// alice cannot write the outcome herself.
		refused(t, name, "alice", "UPDATE wallet_creation_requests SET status = 'approved' WHERE request_id = '"+r1+"'",
			"permission denied")
		refused(t, name, "alice", "UPDATE wallet_creation_requests SET approval_id = 'WAP-20261121000000' WHERE request_id = '"+r1+"'",
			"permission denied")
		accepted(t, name, "bob", decide(r1, "security", "approved", ""))
		if n := count(t, db, "SELECT count(*) FROM wallet_creation_approvals WHERE approver = 'bob' AND valid_until < now() + interval '8 days'"); n != 1 {
			t.Errorf("a client-supplied decision date was kept")
		}
		refused(t, name, "bob", decide(r1, "operations", "approved", ""),
			"bob already decided for request "+r1)
		refused(t, name, "carol", decide(r1, "executive", "approved", ""),
			"needs no executive approval")
		if n := count(t, db, "SELECT count(*) FROM wallet_creation_requests WHERE request_id = '"+r1+"' AND status = 'pending'"); n != 1 {
			t.Errorf("request approved before every required role decided")
		}
		accepted(t, name, "carol", decide(r1, "operations", "approved", ""))
		if n := count(t, db, `SELECT count(*) FROM wallet_creation_requests WHERE request_id = '`+r1+`'
			AND status = 'approved' AND approval_id ~ '^WAP-[0-9]{14}$' AND valid_until > now() + interval '6 days'`); n != 1 {
			t.Errorf("request not approved by the database after security and operations approved")
		}
		refused(t, name, "carol", decide(r2, "security", "rejected", ""), "rejection_has_reason")
		refused(t, name, "viewer", decide(r2, "security", "approved", ""), "permission denied for function wallet_decide_request")
	})
	t.Run("the viewer writes nothing", func(t *testing.T) {
		for _, sql := range []string{
			"INSERT INTO organizations (name, type) VALUES ('x', 'Company')",
			"UPDATE wallet_versions SET description = 'x'",
			"DELETE FROM path_registry",
			"INSERT INTO wallet_operations_log (operation_type, initiated_by) VALUES ('x', 'viewer')",
			"CREATE TABLE scratch (i int)",
			"CREATE TEMP TABLE scratch (i int)",
			"TRUNCATE path_registry",
			"SELECT lo_from_bytea(0, 'x')",
			"SELECT pg_advisory_lock(20251113, 1)",
			"SELECT pg_advisory_xact_lock(20251113, 1)",
		} {
			refused(t, name, "viewer", sql, "permission denied")
		}
		accepted(t, name, "viewer", "SELECT count(*) FROM path_registry")
	})
}

// The database's transition table and the Go model's must be the same table.
func TestTransitionTableMatchesModel(t *testing.T) {
	db := pgtest.Open(t)
	rows, err := db.Pool().Query(context.Background(), "SELECT from_status, to_status, action FROM wallet_status_transitions")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	inDB := map[model.Transition]bool{}
	for rows.Next() {
		var tr model.Transition
		var from, to string
		if err := rows.Scan(&from, &to, &tr.Action); err != nil {
			t.Fatal(err)
		}
		tr.From, tr.To = model.Status(from), model.Status(to)
		inDB[tr] = true
	}
	if len(inDB) != len(model.Transitions) {
		t.Errorf("database has %d transitions, model %d", len(inDB), len(model.Transitions))
	}
	for _, tr := range model.Transitions {
		if !inDB[tr] {
			t.Errorf("model transition %v missing from the database", tr)
		}
	}
}
