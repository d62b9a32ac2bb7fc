package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// walletsInEveryStatus makes v1 … v8, one per status (created, validated,
// deployed, active, inactive, deprecated, retired, compromised), each with
// Plings (1) and IKEA (2) registered, and returns status → version.
func walletsInEveryStatus(t *testing.T, db *store.DB) map[model.Status]int {
	t.Helper()
	ctx := context.Background()
	walks := map[model.Status][]model.Status{
		model.StatusCreated:     nil,
		model.StatusValidated:   {"validated"},
		model.StatusDeployed:    {"validated", "deployed"},
		model.StatusActive:      {"validated", "deployed", "active"},
		model.StatusInactive:    {"validated", "deployed", "active", "inactive"},
		model.StatusDeprecated:  {"validated", "deployed", "active", "deprecated"},
		model.StatusRetired:     {"validated", "deployed", "active", "deprecated", "retired"},
		model.StatusCompromised: {"compromised"},
	}
	out := map[model.Status]int{}
	for i, s := range model.AllStatuses {
		v := i + 1
		if err := db.CreateWallet(ctx, store.NewWallet{Version: v}, "tester"); err != nil {
			t.Fatal(err)
		}
		for j, name := range []string{"Plings", "IKEA"} {
			if err := db.RegisterManufacturer(ctx, store.NewManufacturer{Wallet: v, Index: j + 1, Name: name}, "tester"); err != nil {
				t.Fatal(err)
			}
		}
		for _, to := range walks[s] {
			if err := db.SetStatus(ctx, v, to, store.Op{Type: "wallet_" + string(to)}); err != nil {
				t.Fatal(err)
			}
		}
		out[s] = v
	}
	return out
}

func insertPath(wallet int, path, typ string) string {
	return "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES (" +
		itoa(wallet) + ", '" + path + "', '" + typ + "', 10, '" + store.SystemUserID + "')"
}

func itoa(n int) string { return strconv.Itoa(n) }

// The database's rule and the model's are the same table, in the same words.
func TestAllocationRuleMatchesModel(t *testing.T) {
	db := pgtest.Open(t)
	// Without a share (no rollout gives v3 traffic), then with one.
	for _, share := range []float64{model.NoRollout, 100} {
		if share > 0 {
			if err := db.CreateWallet(context.Background(), store.NewWallet{Version: 3}, "tester"); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, "INSERT INTO wallet_traffic_share (wallet_version, traffic_percentage) VALUES (3, $1)", share)
		}
		for _, s := range model.AllStatuses {
			for _, typ := range model.AllocationTypes {
				var inDB *string
				if err := db.Pool().QueryRow(context.Background(), "SELECT wallet_allocation_refusal(3, $1, $2)", string(s), typ).Scan(&inDB); err != nil {
					t.Fatal(err)
				}
				err := model.AllocationAllowed(3, s, typ, share)
				switch {
				case err == nil && inDB != nil:
					t.Errorf("%s/%s: the model takes it, the database refuses: %s", s, typ, *inDB)
				case err != nil && inDB == nil:
					t.Errorf("%s/%s: the model refuses (%v), the database takes it", s, typ, err)
				case err != nil && *inDB != err.Error():
					t.Errorf("%s/%s (share %g): the database says\n  %s\nthe model\n  %s", s, typ, share, *inDB, err)
				}
			}
		}
	}
}

// allocateFn is the operator's only way to allocate by hand (013): the
// schema's function, which writes the audit row too.
func allocateFn(wallet int, path, typ string) string {
	return "SELECT wallet_allocate_path(" + itoa(wallet) + ", '" + path + "', '" + typ + "', 10, 1, 10, 'by hand', '" +
		store.SystemUserID + "', NULL, 'psql')"
}

// The rule holds against SQL typed by hand: the operator (psql as alice)
// through the allocation function, its raw INSERT, UPDATE and COPY refused
// outright; every statement shape the rule has, as the owner.
func TestAllocationRuleByHand(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	w := walletsInEveryStatus(t, db)
	op := "postgres"
	live := func() int { return count(t, db, "SELECT count(*) FROM path_registry") }

	t.Run("the operator allocates only through the function", func(t *testing.T) {
		refused(t, name, "alice", insertPath(w["active"], "2.90", "test"), "permission denied for table path_registry")
		refused(t, name, "alice", "UPDATE path_registry SET status = 'active'", "permission denied for table path_registry")
		refused(t, name, "alice", allocateFn(w["deployed"], "2.90", "production"),
			"v3 is deployed: it takes test allocations only until a rollout gives it traffic")
		refused(t, name, "alice", allocateFn(w["retired"], "2.90", "test"), "v7 is retired")
		refused(t, name, "viewer", allocateFn(w["active"], "2.90", "test"), "permission denied for function wallet_allocate_path")
		refused(t, name, "bob", allocateFn(w["active"], "2.90", "test"), "permission denied for function wallet_allocate_path")
		if n := live(); n != 0 {
			t.Fatalf("%d rows written by refused statements", n)
		}
		accepted(t, name, "alice", allocateFn(w["active"], "2.90", "test"))
		if n := count(t, db, `SELECT count(*) FROM wallet_operations_log WHERE operation_type = 'path_allocation'
			AND db_user = 'alice' AND initiated_by = 'psql' AND operation_details->>'base_path' = '2.90'`); n != 1 {
			t.Errorf("%d audit rows for the function's allocation, want 1", n)
		}
		mustExec(t, db, "DELETE FROM path_registry WHERE base_path = '2.90'")
	})

	t.Run("production into every wallet that is not active", func(t *testing.T) {
		for _, s := range []model.Status{"created", "validated", "deployed", "inactive", "deprecated", "retired", "compromised"} {
			refused(t, name, op, insertPath(w[s], "2.1", "production"), model.VersionName(w[s])+" is "+string(s)+": it takes")
		}
		refused(t, name, op, insertPath(w["deployed"], "2.1", "production"),
			"v3 is deployed: it takes test allocations only until a rollout gives it traffic; allocate in an active wallet (console status lists them)")
		refused(t, name, op, insertPath(w["deployed"], "2.1", "reserved"), "v3 is deployed")
		refused(t, name, op, insertPath(w["deployed"], "2.1", "development"), "v3 is deployed")
		refused(t, name, op, insertPath(w["validated"], "2.1", "test"), "v2 is validated: it takes no allocations before it is deployed")
		refused(t, name, op, insertPath(w["deprecated"], "2.1", "test"), "v6 is deprecated")
		// Not even as history: an inserted row is an allocation, whatever its status.
		refused(t, name, op, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by, status) VALUES (7, '2.1', 'test', 10, '"+store.SystemUserID+"', 'exhausted')",
			"v7 is retired")
		if n := live(); n != 0 {
			t.Fatalf("%d rows written by refused statements", n)
		}
	})
	t.Run("test into deployed, everything into active", func(t *testing.T) {
		accepted(t, name, op, insertPath(w["deployed"], "2.1", "test"))
		for i, typ := range model.AllocationTypes {
			accepted(t, name, op, insertPath(w["active"], "2."+itoa(i+1), typ))
		}
	})
	t.Run("multi-row INSERT and INSERT ... SELECT", func(t *testing.T) {
		before := live()
		// One bad row among good ones: the statement is refused as a whole.
		refused(t, name, op, "INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by) VALUES "+
			"(3, '2.10', 'test', 1, '"+store.SystemUserID+"'), (3, '2.11', 'production', 1, '"+store.SystemUserID+"'), (4, '2.12', 'production', 1, '"+store.SystemUserID+"')",
			"v3 is deployed: it takes test allocations only until a rollout gives it traffic")
		// Copying the active wallet's allocations into the deployed one.
		refused(t, name, op, `INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by)
			SELECT 3, '1.' || base_path, allocation_type, quantity, allocated_by FROM path_registry WHERE wallet_version = 4`,
			"v3 is deployed")
		refused(t, name, op, `INSERT INTO path_registry (wallet_version, base_path, allocation_type, quantity, allocated_by)
			SELECT v, '2.20', 'test', 1, '`+store.SystemUserID+`' FROM generate_series(1, 8) v`, "v1 is created")
		if n := live(); n != before {
			t.Errorf("refused multi-row statements wrote %d rows", n-before)
		}
	})
	t.Run("an UPDATE cannot make what an INSERT may not", func(t *testing.T) {
		refused(t, name, op, "UPDATE path_registry SET allocation_type = 'production' WHERE wallet_version = 3 AND base_path = '2.1'",
			"v3 is deployed: it takes test allocations only")
		refused(t, name, op, "UPDATE path_registry SET wallet_version = 3 WHERE wallet_version = 4 AND allocation_type = 'production'",
			"v3 is deployed")
		refused(t, name, op, "UPDATE path_registry SET wallet_version = 6 WHERE wallet_version = 4 AND allocation_type = 'test'",
			"v6 is deprecated")
		// A path that comes back to life is allocated again.
		accepted(t, name, op, "UPDATE path_registry SET status = 'exhausted' WHERE wallet_version = 3 AND base_path = '2.1'")
		accepted(t, name, op, "UPDATE path_registry SET status = 'active' WHERE wallet_version = 3 AND base_path = '2.1'")
		// What is not an allocation stays possible: purpose, completion.
		accepted(t, name, op, "UPDATE path_registry SET purpose = 'label trial' WHERE wallet_version = 3")
		if n := count(t, db, "SELECT count(*) FROM path_registry WHERE wallet_version = 3 AND allocation_type <> 'test'"); n != 0 {
			t.Errorf("the deployed wallet holds %d allocations that are not test", n)
		}
	})
	t.Run("a live path in a wallet that is then deprecated may go on migrating", func(t *testing.T) {
		if _, err := db.AllocatePath(context.Background(), store.AllocationRequest{Wallet: 4, Path: "2.30", Type: "production", Quantity: 1}); err != nil {
			t.Fatal(err)
		}
		if err := db.SetStatus(context.Background(), 4, "deprecated", store.Op{Type: "wallet_deprecation"}); err != nil {
			t.Fatal(err)
		}
		accepted(t, name, op, "UPDATE path_registry SET status = 'migrating' WHERE wallet_version = 4 AND base_path = '2.30'")
		accepted(t, name, op, "UPDATE path_registry SET status = 'migrated' WHERE wallet_version = 4 AND base_path = '2.30'")
		refused(t, name, op, "UPDATE path_registry SET status = 'active' WHERE wallet_version = 4 AND base_path = '2.30'", "v4 is deprecated")
	})
	t.Run("COPY as the operator", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), pgtest.DSNAs(t, name, "alice"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows := [][]any{{int32(4), "2.40", "test", int32(1), store.SystemUserID}}
		_, err = conn.CopyFrom(context.Background(), pgx.Identifier{"path_registry"},
			[]string{"wallet_version", "base_path", "allocation_type", "quantity", "allocated_by"}, pgx.CopyFromRows(rows))
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "42501" {
			t.Errorf("the operator's COPY into path_registry: %v; want permission denied", err)
		}
	})
	t.Run("COPY as the owner", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), pgtest.DSN(t, name))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		rows := [][]any{{int32(3), "2.40", "test", int32(1), store.SystemUserID}, {int32(3), "2.41", "production", int32(1), store.SystemUserID}}
		_, err = conn.CopyFrom(context.Background(), pgx.Identifier{"path_registry"},
			[]string{"wallet_version", "base_path", "allocation_type", "quantity", "allocated_by"}, pgx.CopyFromRows(rows))
		var pg *pgconn.PgError
		if !errors.As(err, &pg) || pg.Code != "WLALC" || pg.ConstraintName != "allocation_type_for_wallet_status" {
			t.Errorf("COPY of a production row into deployed v3: %v; want SQLSTATE WLALC, constraint allocation_type_for_wallet_status", err)
		}
	})
}

// Through the store the refusal reads as the model's sentence, and nothing
// is written (no path, no audit row).
func TestAllocateRefusesByStatus(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	w := walletsInEveryStatus(t, db)
	before := count(t, db, "SELECT count(*) FROM wallet_operations_log")
	for _, s := range model.AllStatuses {
		for _, typ := range model.AllocationTypes {
			want := model.AllocationAllowed(w[s], s, typ, model.NoRollout)
			_, err := db.AllocatePath(ctx, store.AllocationRequest{Wallet: w[s], Path: "2." + itoa(len(typ)) + "." + itoa(w[s]), Type: typ, Quantity: 1})
			switch {
			case want == nil && err != nil:
				t.Errorf("%s/%s: %v", s, typ, err)
			case want != nil && (err == nil || !strings.HasSuffix(err.Error(), want.Error())):
				t.Errorf("%s/%s: %v; want it to end with %q", s, typ, err, want)
			case want != nil:
				var re *store.RuleError
				if !errors.As(err, &re) {
					t.Errorf("%s/%s: %T is not a *store.RuleError", s, typ, err)
				}
			}
		}
	}
	// v3 deployed took test, v4 active took four: five audit rows.
	if n := count(t, db, "SELECT count(*) FROM wallet_operations_log") - before; n != 5 {
		t.Errorf("%d audit rows written, want 5 (one per accepted allocation)", n)
	}
}
