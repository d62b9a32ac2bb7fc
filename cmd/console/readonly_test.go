package main

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/registry"
	"github.com/plings/walletconsole/store"
)

// fingerprint is what a change to the database would move: the row count of
// every table of the schema and the audit chain's head.
func fingerprint(t *testing.T, db *store.DB) string {
	t.Helper()
	var out string
	err := db.Pool().QueryRow(context.Background(), `
		SELECT string_agg(format('%s=%s', relname, n_live), ',' ORDER BY relname) || ' head=' ||
		       coalesce((SELECT max(seq)::text FROM wallet_operations_log), '0')
		FROM (SELECT c.relname, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM public.%I', c.relname), false, true, '')))[1]::text AS n_live
		      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		      WHERE n.nspname = 'public' AND c.relkind = 'r') t`).Scan(&out)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestReadOnlyConsoleChangesNothing presses every key on every screen and
// every flow of a --read-only console over a real database with the demo
// data, then checks that no table gained or lost a row and the audit head
// did not move; and that its own session refuses a write.
func TestReadOnlyConsoleChangesNothing(t *testing.T) {
	dsn := demoDSN(t)
	admin, ro := openStore(t, dsn, false), openStore(t, dsn, true)
	before := fingerprint(t, admin)
	d := consoleOver(t, ro, true)
	press := func(k string) {
		if k == "q" || k == "ctrl+c" {
			return // leaving is not a change; the rest must not be one either
		}
		d.press(k)
	}

	// Every printable key and the keys that act, on every screen, then in
	// every flow, with "y" and enter after each to accept whatever asks.
	keys := []string{"a", "n", "x", "w", "v", "s", "S", "r", "e", "o", "y", "Y", "enter", "ctrl+s", "tab", "down", "enter", "y", "esc"}
	visit := func(line string) {
		for _, k := range append([]string{":"}, strings.Split(line, "")...) {
			press(k)
		}
		press("enter")
		for _, k := range keys {
			press(k)
			press("y")
			press("enter")
		}
		press("esc")
		press("esc")
		press("esc")
	}
	for _, e := range registry.Of(registry.Screen) {
		visit(e.Name)
	}
	for _, e := range registry.Of(registry.Flow) {
		visit(e.Name + " v2")
	}
	attemptWrites(d)
	if after := fingerprint(t, admin); after != before {
		t.Fatalf("a read-only console changed the database:\nbefore %s\nafter  %s", before, after)
	}
	// Below the UI: the session itself refuses a write through the same pool.
	_, err := ro.Pool().Exec(context.Background(), `INSERT INTO users (email) VALUES ('intruder@example.org')`)
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a read-only session accepted an INSERT: %v", err)
	}
}

// attemptWrites walks the changes a writable console makes with these same
// keys: an allocation in v1 and a creation request, each confirmed.
func attemptWrites(d *appDriver) {
	d.press("esc")
	d.press("esc")
	d.colon("allocate v1")
	d.press("tab")
	d.typeText("1.888.1")
	for _, k := range []string{"ctrl+s", "enter", "y", "enter", "esc", "esc", "y"} {
		d.press(k)
	}
	d.colon("requests")
	d.press("n")
	d.press("tab")
	d.typeText("capacity")
	for range 3 {
		d.press("tab")
	}
	d.typeText("v1 is full")
	for _, k := range []string{"ctrl+s", "enter", "y", "enter", "esc", "esc", "y"} {
		d.press(k)
	}
}

// TestWritableConsoleWrites is the control of the read-only test: the same
// keys on a writable console do change the database, so the read-only
// test's "nothing changed" means something.
func TestWritableConsoleWrites(t *testing.T) {
	db := openStore(t, demoDSN(t), false)
	before := fingerprint(t, db)
	d := consoleOver(t, db, false)
	attemptWrites(d)
	var paths, reqs int
	if err := db.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM path_registry WHERE base_path = '1.888.1'),
		(SELECT count(*) FROM wallet_creation_requests WHERE purpose = 'capacity')`).Scan(&paths, &reqs); err != nil {
		t.Fatal(err)
	}
	if paths != 1 || reqs != 1 || fingerprint(t, db) == before {
		t.Fatalf("the writable console did not allocate (%d) or file (%d):\n%s", paths, reqs, d.screen())
	}
}
