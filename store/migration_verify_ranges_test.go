package store_test

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/plings/walletconsole/store"
)

// Verify compares the two wallets range by range (022): a set cut into many
// ranges finds what one range finds, every key of a mismatch counted, the
// first ones named, whichever range they fall in.
func TestMigrationVerifyByKeyRanges(t *testing.T) {
	name, owner := migrationFixture(t)
	volvoMany(t, owner)
	alice := asAlice(t, name)
	ctx := context.Background()
	st, err := alice.StartMigration(ctx, 2, 1, "Volvo", "wallet_deprecation", 5000, "alice", store.MigrationLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if r := runBatches(t, alice, st.ID, 5000, 10); r.State != "moved" {
		t.Fatalf("after the batches: %+v", r)
	}
	// Three copies lost in the target, far apart in key order (the first
	// range, a middle one, the last), and one changed.
	mustExec(t, owner, `DELETE FROM path_registry WHERE wallet_version = 1 AND base_path IN ('3.200.1', '3.200.3333', '3.200.999')`)
	mustExec(t, owner, `SET wallet.engine = 'on'; UPDATE path_registry SET purpose = 'tampered' WHERE wallet_version = 1 AND base_path = '3.200.5000'`)

	verify := func(perRange int) store.VerifyResult {
		var js []byte
		if err := alice.Pool().QueryRow(ctx, "SELECT wallet_migration_verify($1, '', $2)", st.ID, perRange).Scan(&js); err != nil {
			t.Fatal(err)
		}
		var v store.VerifyResult
		if err := json.Unmarshal(js, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	find := func(v store.VerifyResult, kind string) store.VerifyFinding {
		for _, f := range v.Findings {
			if f.Kind == kind {
				return f
			}
		}
		return store.VerifyFinding{}
	}
	whole, cut := verify(100000), verify(1000)
	if whole.Counts["key_ranges"] != 1 || cut.Counts["key_ranges"] < 6 {
		t.Errorf("ranges: %d whole, %d cut at 1000 keys", whole.Counts["key_ranges"], cut.Counts["key_ranges"])
	}
	for _, v := range []store.VerifyResult{whole, cut} {
		missing := find(v, "missing in the target")
		if missing.Count != 3 || !slices.Equal(missing.Keys, []string{"3.200.1", "3.200.3333", "3.200.999"}) {
			t.Errorf("%d ranges: missing %+v", v.Counts["key_ranges"], missing)
		}
		if d := find(v, "different in the target"); d.Count != 1 || !slices.Equal(d.Keys, []string{"3.200.5000"}) {
			t.Errorf("%d ranges: different %+v", v.Counts["key_ranges"], d)
		}
		if v.Completed || v.State != "moved" {
			t.Errorf("a verify with findings completed the migration: %+v", v)
		}
	}
	refused(t, name, "alice", "SELECT wallet_migration_verify(1, NULL, 10)", "verify compares at least 1000 keys per range, not 10")
	for _, login := range []string{"viewer", "bob"} {
		refused(t, name, login, "SELECT wallet_migration_verify(1, NULL, 1000)", "permission denied for function wallet_migration_verify")
	}
}
