package store_test

import (
	"context"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

func inventoryByVersion(t *testing.T, db *store.DB) map[int]model.WalletSummary {
	t.Helper()
	inv, err := db.Inventory(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m := map[int]model.WalletSummary{}
	for _, w := range inv {
		m[w.Version] = w
	}
	return m
}

func verifyAuditOK(t *testing.T, db *store.DB) {
	t.Helper()
	rep, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("audit chain broken at row %d: %s", rep.BrokenAt, rep.Problem)
	}
}

// overlaps counts pairs of live paths in one wallet where one is a proper
// prefix of the other. like uses the seed's LIKE form (a full self-join, for
// small tables); otherwise the "C"-collated range form that uses the index.
func overlaps(t *testing.T, db *store.DB, like bool) int {
	t.Helper()
	cond := `b.base_path >= a.base_path || '.' AND b.base_path < a.base_path || '/'`
	if like {
		cond = `b.base_path LIKE a.base_path || '.%'`
	}
	var n int
	err := db.Pool().QueryRow(context.Background(), `
		SELECT count(*) FROM path_registry a
		  JOIN path_registry b ON b.wallet_version = a.wallet_version AND b.id <> a.id AND `+cond+`
		 WHERE a.status IN ('active', 'migrating') AND b.status IN ('active', 'migrating')`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestLoadDemo(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	sum, err := db.LoadDemo(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", sum)
	if sum.Elapsed > 30*time.Second {
		t.Errorf("LoadDemo took %s; it should take a few seconds", sum.Elapsed)
	}

	inv := inventoryByVersion(t, db)
	if len(inv) != 6 {
		t.Fatalf("inventory has %d wallets, want 6", len(inv))
	}
	v1 := inv[1]
	if v1.Status != model.StatusActive || !v1.IsDefault || v1.Environment != model.EnvironmentProduction || v1.Manufacturers != 15 {
		t.Errorf("v1 = %s default=%v %s with %d manufacturers; want active, default, production, 15",
			v1.Status, v1.IsDefault, v1.Environment, v1.Manufacturers)
	}
	if v1.Health != model.HealthHealthy {
		t.Errorf("v1 health %s, want healthy", v1.Health)
	}
	v2 := inv[2]
	if v2.Status != model.StatusDeprecated || v2.Manufacturers != 3 {
		t.Errorf("v2 = %s with %d manufacturers; want deprecated with 3", v2.Status, v2.Manufacturers)
	}
	if v2.MigrationCompletion == nil || math.Abs(*v2.MigrationCompletion-85) > 0.5 {
		t.Errorf("v2 migration completion %v, want 85", v2.MigrationCompletion)
	}
	if inv[3].Environment != model.EnvironmentTesting {
		t.Errorf("v3 environment %s, want testing", inv[3].Environment)
	}
	if inv[4].Environment != model.EnvironmentDevelopment {
		t.Errorf("v4 environment %s, want development", inv[4].Environment)
	}
	if inv[5].Status != model.StatusRetired {
		t.Errorf("v5 status %s, want retired", inv[5].Status)
	}
	// v6 is fresh from its ceremony, with a backup proof that verifies under
	// its real key, ready to be validated.
	if inv[6].Status != model.StatusCreated {
		t.Errorf("v6 status %s, want created", inv[6].Status)
	}
	if _, _, _, proven, err := db.CeremonyKey(ctx, 6); err != nil || !proven {
		t.Errorf("v6's ceremony: proven %v, %v", proven, err)
	}
	if rep, err := db.VerifyAudit(ctx); err != nil || !rep.OK || rep.Keys != 1 {
		t.Errorf("audit verify over the demo: %+v, %v", rep, err)
	}
	if v1.Paths < 1000 || v1.Identifiers == 0 || v1.LastAllocation.IsZero() {
		t.Errorf("v1 has %d live paths, %d identifiers, last allocation %v", v1.Paths, v1.Identifiers, v1.LastAllocation)
	}

	for _, v := range []int{1, 2} {
		d, err := db.WalletDetail(ctx, v, 5)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range d.Manufacturers {
			if m.Name == "Plings" {
				found = true
				if m.Index != 1 {
					t.Errorf("Plings is index %d in v%d, want 1", m.Index, v)
				}
			}
		}
		if !found {
			t.Errorf("Plings is not registered in v%d", v)
		}
	}

	if n := overlaps(t, db, true); n != 0 {
		t.Errorf("%d pairs of overlapping live paths", n)
	}
	verifyAuditOK(t, db)

	var days int
	if err := db.Pool().QueryRow(ctx, `SELECT count(DISTINCT (allocated_at AT TIME ZONE 'UTC')::date)
		FROM path_registry WHERE wallet_version = 1 AND allocated_at > now() - interval '90 days'`).Scan(&days); err != nil {
		t.Fatal(err)
	}
	if days < 60 {
		t.Errorf("v1 allocations fall on %d distinct days of the last 90, want at least 60", days)
	}

	// The migration queue agrees with the lineage: 85 % of v2's queued paths
	// moved, each moved path marked migrated to v1 and present there.
	var queued, completed, migrated, copies int
	if err := db.Pool().QueryRow(ctx, `SELECT
		(SELECT count(*) FROM path_migration_queue WHERE source_wallet_version = 2),
		(SELECT count(*) FROM path_migration_queue WHERE source_wallet_version = 2 AND migration_status = 'completed'),
		(SELECT count(*) FROM path_registry WHERE wallet_version = 2 AND status = 'migrated' AND migrated_to_wallet = 1),
		(SELECT count(*) FROM path_registry o JOIN path_registry n
		    ON n.wallet_version = 1 AND n.base_path = o.base_path AND n.status = 'active'
		  WHERE o.wallet_version = 2 AND o.status = 'migrated')`).Scan(&queued, &completed, &migrated, &copies); err != nil {
		t.Fatal(err)
	}
	if queued == 0 || completed*100 != queued*85 || migrated != completed || copies != completed {
		t.Errorf("migration: %d queued, %d completed, %d marked migrated, %d in v1", queued, completed, migrated, copies)
	}
	var avgAllocs float64
	if err := db.Pool().QueryRow(ctx, `SELECT avg(allocations_count) FROM wallet_health_metrics WHERE wallet_version = 1`).Scan(&avgAllocs); err != nil {
		t.Fatal(err)
	}
	t.Logf("v1 daily allocations average %.0f identifiers", avgAllocs)

	_, err = db.LoadDemo(ctx, time.Now())
	if err == nil || !strings.Contains(err.Error(), "already has 6 wallet versions") {
		t.Errorf("second LoadDemo: %v; want a refusal", err)
	}
}

func TestGeneratePaths(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	if _, err := db.LoadDemo(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	before := inventoryByVersion(t, db)[1].Paths
	res, err := db.GeneratePaths(ctx, 1, 50_000, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Rows != 50_000 || res.ManufacturerIndex < 100 {
		t.Errorf("result %+v", res)
	}
	if after := inventoryByVersion(t, db)[1].Paths; after-before != 50_000 {
		t.Errorf("v1 live paths went from %d to %d, want +50,000", before, after)
	}
	verifyAuditOK(t, db)
	if n := overlaps(t, db, false); n != 0 {
		t.Errorf("%d pairs of overlapping live paths", n)
	}

	// A second run takes the next bench manufacturer.
	res2, err := db.GeneratePaths(ctx, 1, 1_000, 2)
	if err != nil {
		t.Fatal(err)
	}
	if res2.ManufacturerIndex != res.ManufacturerIndex+1 {
		t.Errorf("second run used manufacturer %d after %d", res2.ManufacturerIndex, res.ManufacturerIndex)
	}

	if _, err := db.GeneratePaths(ctx, 99, 10, 1); err == nil || !strings.Contains(err.Error(), "v99") {
		t.Errorf("GeneratePaths in v99: %v; want an error naming v99", err)
	}
	if _, err := db.GeneratePaths(ctx, 2, 10, 1); err == nil || !strings.Contains(err.Error(), "deprecated") {
		t.Errorf("GeneratePaths in deprecated v2: %v; want a refusal", err)
	}
}

// TestGeneratePathsScale times a big load; it runs only when
// WALLETCONSOLE_GENERATE_PATHS gives the number of paths, e.g.
// WALLETCONSOLE_GENERATE_PATHS=1000000 go test ./store -run GeneratePathsScale -v
func TestGeneratePathsScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("WALLETCONSOLE_GENERATE_PATHS"))
	if n <= 0 {
		t.Skip("set WALLETCONSOLE_GENERATE_PATHS=N to time GeneratePaths for N paths")
	}
	db := pgtest.Open(t)
	ctx := context.Background()
	if _, err := db.LoadDemo(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	res, err := db.GeneratePaths(ctx, 1, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	start := time.Now()
	inv := inventoryByVersion(t, db)
	t.Logf("inventory with %d live paths in v1 took %s", inv[1].Paths, time.Since(start))
	start = time.Now()
	verifyAuditOK(t, db)
	t.Logf("audit verify took %s", time.Since(start))
}
