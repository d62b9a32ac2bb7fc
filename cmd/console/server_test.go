package main

import (
	"context"
	"strings"
	"testing"

	"github.com/plings/walletconsole/store"
	"github.com/plings/walletconsole/store/pgtest"
)

// A server the operator runs themselves: the test cluster, by --dsn and by
// libpq variables.
func TestServerByDSNAndEnvironment(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	r := console(t, nil, "migrate", "--dsn", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "up to date") {
		t.Errorf("migrate on a migrated database: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo --dsn: %s", r.stderr)
	}
	r = console(t, nil, "status", "--dsn", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "postgres@") || !strings.Contains(r.stdout, "v2") {
		t.Errorf("status --dsn: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// No sub-command and no terminal (a pipe, cron): the inventory as text.
	r = console(t, nil, "--dsn", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "VERSION") || !strings.Contains(r.stdout, "deprecated") {
		t.Errorf("console without a terminal: %d %q %q", r.code, r.stdout, r.stderr)
	}
	c := pgtest.Cluster(t)
	env := []string{"PGHOST=" + c.SocketDir(), "PGPORT=5432", "PGUSER=postgres", "PGDATABASE=" + name}
	r = console(t, env, "status", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"name": "v1"`) {
		t.Errorf("status from libpq variables: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestMigrateSaysWhatItDid(t *testing.T) {
	c := pgtest.Cluster(t)
	ctx := context.Background()
	admin, err := store.Open(ctx, store.Options{DSN: c.DSN("postgres")})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Pool().Exec(ctx, "CREATE DATABASE fresh_migrate"); err != nil {
		t.Fatal(err)
	}
	r := console(t, nil, "migrate", "--dsn", c.DSN("fresh_migrate"))
	if r.code != 0 || !strings.Contains(r.stdout, "applied 001 001_roles_people_wallets.sql") ||
		!strings.Contains(r.stdout, "schema migrated from version 0 to") {
		t.Errorf("first migrate: %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = console(t, nil, "migrate", "--dsn", c.DSN("fresh_migrate"))
	if r.code != 0 || !strings.Contains(r.stdout, "nothing to do") {
		t.Errorf("second migrate: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

func TestBadInputIsRefusedClearly(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	before := console(t, nil, "audit", "log", "--dsn", dsn, "--limit", "1").stdout
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"allocate", "--wallet", "v1", "--path", "2..3"}, "component 2 is empty"},
		{[]string{"allocate", "--wallet", "v1", "--path", "2.0.1"}, "component 2"},
		{[]string{"allocate", "--wallet", "v1", "--path", "2.x"}, `"x"`},
		{[]string{"allocate", "--wallet", "v1", "--path", strings.Repeat("2.", 29) + "22"}, "60"},
		{[]string{"allocate", "--wallet", "v99", "--path", "2.3"}, "wallet v99"},
		{[]string{"show", "v99"}, "wallet v99"},
		{[]string{"show", "vx"}, "a wallet version like v2"},
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
	} {
		r := console(t, nil, append(tc.args, "--dsn", dsn)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want a refusal mentioning %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	if after := console(t, nil, "audit", "log", "--dsn", dsn, "--limit", "1").stdout; after != before {
		t.Errorf("refused commands changed the log:\n%s\n%s", before, after)
	}
	c := pgtest.Cluster(t)
	r := console(t, nil, "status", "--dsn", "host="+c.SocketDir()+" user=postgres dbname=no_such_db")
	if r.code == 0 || !strings.Contains(r.stderr, `refused the connection: database "no_such_db" does not exist`) {
		t.Errorf("missing database: %d %q", r.code, r.stderr)
	}
	r = console(t, nil, "status", "--dsn", "host=127.0.0.1 port=1 user=ops password=hunter2 dbname=x connect_timeout=2")
	if r.code == 0 || !strings.Contains(r.stderr, "does not answer") || strings.Contains(r.stderr, "hunter2") {
		t.Errorf("unanswering DSN: %d %q", r.code, r.stderr)
	}
}

func TestAuditVerifyNamesTheBrokenRow(t *testing.T) {
	name := pgtest.NewDatabase(t)
	dsn := pgtest.DSN(t, name)
	if r := console(t, nil, "demo", "--dsn", dsn); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", dsn); r.code != 0 {
		t.Fatalf("verify on demo data: %q %q", r.stdout, r.stderr)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.Options{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx, _ := db.Pool().Begin(ctx)
	tx.Exec(ctx, "SET LOCAL session_replication_role = replica")
	if _, err := tx.Exec(ctx, "UPDATE wallet_operations_log SET initiated_by = 'mallory' WHERE seq = 10"); err != nil {
		t.Fatal(err)
	}
	tx.Commit(ctx)
	r := console(t, nil, "audit", "verify", "--dsn", dsn)
	if r.code != 1 || !strings.Contains(r.stderr, "BROKEN at row 10") {
		t.Errorf("verify after tampering: %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// The viewer login reads everything and the console works for it: it does not
// try to migrate an up-to-date schema.
func TestViewerLoginCanReadButNotWrite(t *testing.T) {
	name := pgtest.NewDatabase(t)
	if r := console(t, nil, "demo", "--dsn", pgtest.DSN(t, name)); r.code != 0 {
		t.Fatalf("demo: %s", r.stderr)
	}
	dsn := pgtest.DSNAs(t, name, "viewer")
	r := console(t, nil, "status", "--dsn", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "deprecated") {
		t.Errorf("status as viewer: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if r := console(t, nil, "audit", "verify", "--dsn", dsn); r.code != 0 {
		t.Errorf("audit verify as viewer: %q", r.stderr)
	}
	r = console(t, nil, "allocate", "--wallet", "v1", "--path", "2.99.1", "--dsn", dsn)
	if r.code == 0 || !strings.Contains(r.stderr, "permission denied") {
		t.Errorf("allocate as viewer: %d %q", r.code, r.stderr)
	}
}
