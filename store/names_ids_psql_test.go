package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/plings/walletconsole/model"
	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// Issue 10, point 6: "Plings is index 1 however spelt", tried through psql as
// the operator alice with the spellings that got past it, and names with
// control or format characters or white space at an end refused.
func TestManufacturerNamesThroughPsql(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	activeWallet(t, db, 1) // Plings 1, IKEA 2
	if err := db.CreateWallet(context.Background(), store.NewWallet{Version: 2}, "tester"); err != nil {
		t.Fatal(err)
	}
	ins := func(w, idx int, mfr string) string {
		return fmt.Sprintf("INSERT INTO manufacturer_registry (wallet_version, manufacturer_index, manufacturer_name, registered_by) VALUES (%d, %d, '%s', '%s')",
			w, idx, mfr, store.SystemUserID)
	}

	t.Run("Plings however spelt is index 1", func(t *testing.T) {
		for _, spelt := range []string{
			"Plings", "PLINGS ", "ＰＬＩＮＧＳ", "Pl\u0456ngs", "\u0420l\u0456ng\u0455", "\u03a1L\u0399NGS", "PIings", "Pl1ngs",
		} {
			refused(t, name, "postgres", ins(1, 5, spelt), "check_plings_index_one")
		}
	})
	t.Run("invisible and control characters", func(t *testing.T) {
		for spelt, cp := range map[string]string{
			"Pl\u200bings":   "U+200B",
			"Pl\tings":       "U+0009",
			"Plings\n":       "U+000A",
			"Acme\u202eCorp": "U+202E",
			"\ufeffAcme":     "U+FEFF",
			"Acme\u0085":     "U+0085",
			"Ac\u00adme":     "U+00AD",
			"Acme\u2028":     "U+2028",
		} {
			refused(t, name, "postgres", ins(1, 5, spelt), "may not contain "+cp+" (a control or format character)")
			refused(t, name, "postgres", ins(2, 1, spelt), cp) // not even as Plings itself
		}
	})
	t.Run("white space at an end", func(t *testing.T) {
		for _, spelt := range []string{"Plings\u00a0", "\u00a0Plings", "Plings\u3000"} {
			refused(t, name, "postgres", ins(1, 5, spelt), "check_plings_index_one")
			refused(t, name, "postgres", ins(2, 1, spelt), "manufacturer_name_trimmed")
		}
		refused(t, name, "postgres", ins(1, 5, "Acme "), "manufacturer_name_trimmed")
		refused(t, name, "postgres", ins(1, 5, "\u2003Acme"), "manufacturer_name_trimmed")
	})
	t.Run("one name per wallet however spelt", func(t *testing.T) {
		refused(t, name, "postgres", ins(1, 5, "ＩＫＥＡ"), "manufacturer_name_fold_per_wallet")
		refused(t, name, "postgres", ins(1, 5, "ikea"), "manufacturer_name_fold_per_wallet")
		accepted(t, name, "postgres", ins(1, 5, "Acme Corp"))
		accepted(t, name, "postgres", ins(1, 6, "Ünicode 株式会社"))
	})
	t.Run("renaming is held to the same rules", func(t *testing.T) {
		refused(t, name, "postgres", "UPDATE manufacturer_registry SET manufacturer_name = 'Pl\u0456ngs' WHERE wallet_version = 1 AND manufacturer_index = 2", "check_plings_index_one")
		refused(t, name, "postgres", "UPDATE manufacturer_registry SET manufacturer_name = 'IKEA\u200b' WHERE wallet_version = 1 AND manufacturer_index = 2", "U+200B")
		refused(t, name, "postgres", "UPDATE manufacturer_registry SET manufacturer_name = 'Acme' WHERE wallet_version = 1 AND manufacturer_index = 1", "check_plings_index_one")
		refused(t, name, "alice", "UPDATE manufacturer_registry SET manufacturer_name = 'Acme' WHERE wallet_version = 1 AND manufacturer_index = 2", "permission denied")
	})
	t.Run("Plings itself at index 1", func(t *testing.T) {
		accepted(t, name, "postgres", ins(2, 1, "Plings"))
		refused(t, name, "postgres", ins(2, 2, "Acme\u200b"), "U+200B")
		accepted(t, name, "postgres", ins(2, 2, "Acme"))
	})
	if n := count(t, db, "SELECT count(*) FROM manufacturer_registry"); n != 6 {
		t.Errorf("manufacturers registered: %d, want 6", n)
	}
}

// The database and model.CheckManufacturer give the same answers, so a front
// end's early word is the database's.
func TestManufacturerNameRuleMatchesModel(t *testing.T) {
	db := pgtest.Open(t)
	ctx := context.Background()
	// Every control, format and separator character Go knows.
	var bad []int32
	for r := rune(1); r <= unicode.MaxRune; r++ {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			bad = append(bad, r)
		}
	}
	var missed []int32
	if err := db.Pool().QueryRow(ctx, `SELECT coalesce(array_agg(c), '{}') FROM unnest($1::int[]) c
		WHERE manufacturer_name_bad_char('a' || chr(c) || 'b') IS NULL`, bad).Scan(&missed); err != nil {
		t.Fatal(err)
	}
	if len(missed) > 0 {
		t.Errorf("the database lets through %d characters Go calls control or format: %U ...", len(missed), missed[0])
	}
	var extra []int32
	if err := db.Pool().QueryRow(ctx, `SELECT coalesce(array_agg(c), '{}') FROM generate_series(1, 1114111) c
		WHERE c NOT BETWEEN 55296 AND 57343 AND manufacturer_name_bad_char('a' || chr(c) || 'b') IS NOT NULL`).Scan(&extra); err != nil {
		t.Fatal(err)
	}
	if len(extra) != len(bad) {
		t.Errorf("the database refuses %d characters, Go %d", len(extra), len(bad))
	}
	// White space at an end, for every White_Space character.
	for r := rune(1); r <= 0x3000; r++ {
		if !unicode.IsSpace(r) {
			continue
		}
		var untrimmed bool
		if err := db.Pool().QueryRow(ctx, "SELECT manufacturer_name_untrimmed('a' || chr($1))", int32(r)).Scan(&untrimmed); err != nil {
			t.Fatal(err)
		}
		if !untrimmed {
			t.Errorf("the database takes %U at the end of a name for no space", r)
		}
	}
	// Skeleton and fold of names, look-alikes included.
	names := []string{"Plings", "PLINGS ", "ＰＬＩＮＧＳ", "Pl\u0456ngs", "PIings", "Pl1ngs", "Plingson", "Acme", "ＡＣＭＥ", "Ünicode 株式会社", "ﬁne", "Ⅸ"}
	for _, n := range names {
		var fold, skel string
		var plings bool
		if err := db.Pool().QueryRow(ctx, "SELECT manufacturer_name_fold($1), manufacturer_name_skeleton($1), manufacturer_name_is_plings($1)", n).Scan(&fold, &skel, &plings); err != nil {
			t.Fatal(err)
		}
		// The database's lower() is ASCII only in a C-locale database: compare
		// the fold where the two agree by construction.
		if goFold := model.FoldManufacturerName(n); fold != goFold && strings.ToLower(fold) != goFold {
			t.Errorf("fold of %q: database %q, Go %q", n, fold, goFold)
		}
		if plings != model.IsPlingsName(n) {
			t.Errorf("is %q Plings: database %v, Go %v", n, plings, model.IsPlingsName(n))
		}
	}
	for r := range model.NameLookAlikes() {
		var skel string
		s := "x" + string(r) + "x"
		if err := db.Pool().QueryRow(ctx, "SELECT manufacturer_name_skeleton($1)", s).Scan(&skel); err != nil {
			t.Fatal(err)
		}
		if want := model.ManufacturerNameSkeleton(s); skel != want {
			t.Errorf("skeleton of %q: database %q, Go %q", s, skel, want)
		}
	}
}

// Issue 10, point 7: request ids come only from the database's issuing
// function, always of the current UTC day, whatever a console role's INSERT
// says.
func TestRequestIDsOnlyFromTheDatabase(t *testing.T) {
	name := pgtest.NewDatabase(t)
	db, err := store.Open(context.Background(), store.Options{DSN: pgtest.DSN(t, name)})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var today string
	if err := db.Pool().QueryRow(context.Background(), "SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD')").Scan(&today); err != nil {
		t.Fatal(err)
	}
	if goToday := time.Now().UTC().Format(time.DateOnly); goToday != today {
		t.Logf("the database's UTC day %s is not Go's %s (midnight?)", today, goToday)
	}
	file := func(id string) string {
		return "INSERT INTO wallet_creation_requests (request_id, environment, purpose, reason) VALUES ('" + id + "', 'testing', 'capacity_expansion', 'more room')"
	}
	const issued = "creation request ids are issued by the database"

	t.Run("console roles file only through the function, which takes no id", func(t *testing.T) {
		for _, login := range []string{"alice", "bob", "viewer"} {
			refused(t, name, login, file("WCR-2020-01-01-001"), "permission denied for table wallet_creation_requests")
		}
	})
	t.Run("naming an id is refused even with a grant given by mistake", func(t *testing.T) {
		mustExec(t, db, "GRANT INSERT ON wallet_creation_requests TO wallet_operator")
		defer mustExec(t, db, "REVOKE INSERT ON wallet_creation_requests FROM wallet_operator")
		refused(t, name, "alice", file("WCR-"+today+"-999"), issued+": alice may not name one (WCR-"+today+"-999)")
		refused(t, name, "alice", file("WCR-2020-01-01-001"), issued)
		refused(t, name, "alice", file("WCR-"+today+"-001"), issued)
		// SET ROLE changes current_user, not session_user.
		refused(t, name, "alice", "SET ROLE wallet_operator; "+file("WCR-2020-01-01-002"), issued)
		refused(t, name, "alice", "INSERT INTO wallet_creation_requests (request_id, environment, purpose, reason) SELECT 'WCR-2020-01-01-00' || g, 'testing', 'capacity_expansion', 'x' FROM generate_series(3, 4) g", issued)
		refused(t, name, "bob", file("WCR-2020-01-01-005"), "permission denied")
		refused(t, name, "viewer", file("WCR-2020-01-01-006"), "permission denied")
	})
	fileFn := "SELECT wallet_file_request(NULL, NULL, 'testing', 'capacity_expansion', NULL, NULL, 'more room', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'psql')"
	t.Run("the database issues today's next id", func(t *testing.T) {
		accepted(t, name, "alice", fileFn)
		accepted(t, name, "alice", fileFn)
		out, ok := psql(t, name, "alice", "SELECT string_agg(request_id, ',' ORDER BY request_id) FROM wallet_creation_requests")
		if want := "WCR-" + today + "-001,WCR-" + today + "-002"; !ok || !strings.Contains(out, want) {
			t.Errorf("requests: %q; want %s (nothing used up, nothing backdated)", strings.TrimSpace(out), want)
		}
		if n := count(t, db, "SELECT count(*) FROM wallet_creation_requests WHERE request_id LIKE 'WCR-2020%' OR request_id LIKE '%-999'"); n != 0 {
			t.Errorf("%d requests with an id the login chose", n)
		}
	})
	t.Run("an issued id cannot be changed", func(t *testing.T) {
		refused(t, name, "alice", "UPDATE wallet_creation_requests SET request_id = 'WCR-2020-01-01-001' WHERE request_id = 'WCR-"+today+"-001'", "permission denied")
		refused(t, name, "alice", "UPDATE wallet_creation_requests SET request_id = 'WCR-"+today+"-999' WHERE request_id = 'WCR-"+today+"-002'", "permission denied")
	})
	t.Run("the owner may still load a fixed id", func(t *testing.T) {
		mustExec(t, db, "INSERT INTO wallet_creation_requests (request_id, environment, purpose, reason) VALUES ('WCR-2020-01-01-001', 'testing', 'capacity_expansion', 'history')")
	})
}
