package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// prepare makes, as the owner, what a console of this cluster needs before
// it logs in: the console's database and the administrative login. Under
// the cluster's lock, so that consoles starting together do not race on
// the roles (pg_authid updates conflict).
func (c *Cluster) prepare(ctx context.Context, name string) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return fmt.Errorf("connect to the embedded cluster in %s as its owner: %w", c.Dir, err)
	}
	defer conn.Close(ctx)
	if err := ensureDatabase(ctx, conn, name); err != nil {
		return err
	}
	return ensureAdmin(ctx, conn)
}

// ensureDatabase creates the console's database in a fresh cluster.
func ensureDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look for database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		// Another console starting at the same moment created it first.
		var pg *pgconn.PgError
		if errors.As(err, &pg) && (pg.Code == "42P04" || pg.Code == "23505") {
			return nil
		}
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// ensureAdmin makes ClusterAdmin as it must be: a login that is not a
// superuser, with CREATEROLE (in PostgreSQL 15 that lets it create logins
// and grant them any role but a superuser's) and the rights of an operator
// and of an approver. The console roles are made here too when missing (as
// migration 001 makes them; it leaves existing ones alone), since the
// membership needs them before the schema is applied. Done on every start:
// it also upgrades clusters made before logins existed.
func ensureAdmin(ctx context.Context, conn *pgx.Conn) error {
	var ok bool
	err := conn.QueryRow(ctx, `
SELECT EXISTS (
  SELECT 1 FROM pg_roles a
   WHERE a.rolname = $1 AND a.rolcanlogin AND a.rolcreaterole AND NOT a.rolsuper
     AND NOT a.rolbypassrls AND NOT a.rolreplication AND a.rolinherit
     AND (SELECT count(*) FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid
           WHERE m.member = a.oid AND r.rolname IN ('wallet_operator', 'wallet_approver')) = 2)`, ClusterAdmin).Scan(&ok)
	if err != nil {
		return fmt.Errorf("look for the administrative login %s: %w", ClusterAdmin, err)
	}
	if ok {
		return nil
	}
	admin := pgx.Identifier{ClusterAdmin}.Sanitize()
	for _, stmt := range []string{
		`DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['wallet_viewer', 'wallet_operator', 'wallet_approver'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '` + ClusterAdmin + `') THEN
    CREATE ROLE ` + admin + ` LOGIN;
  END IF;
END
$$`,
		"ALTER ROLE " + admin + " LOGIN CREATEROLE NOSUPERUSER NOCREATEDB NOREPLICATION NOBYPASSRLS INHERIT",
		"GRANT wallet_operator, wallet_approver TO " + admin,
	} {
		if _, err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("make the administrative login %s: %w", ClusterAdmin, err)
		}
	}
	return nil
}

// refused words, for the operator, why the embedded cluster did not let
// login in; nil when err is none of the reasons it knows.
func (c *Cluster) refused(err error, login string) error {
	switch {
	case errors.Is(err, syscall.EACCES) && c.guest && inGroup(c.dirGid()):
		// In the group, yet the socket is closed: a server started before
		// the cluster was shared keeps its old socket until it restarts.
		return fmt.Errorf("permission denied on the socket of the database in %s, though you (%s) are in its group: "+
			"the server was started before it was shared; it takes the group's socket when it next starts (when the last console on it has left, root starts a console)", c.Dir, c.me)
	case errors.Is(err, syscall.EACCES):
		return c.notInGroup()
	case c.guest && (errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)):
		return c.notRunning()
	}
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return nil
	}
	switch {
	case pg.Code == "28000" && strings.Contains(pg.Message, "not permitted to log in"):
		return fmt.Errorf("your database login %s is disabled (console user disable); its records stay: root can enable it again (ALTER ROLE %s LOGIN)", login, login)
	case pg.Code == "28000" && strings.Contains(pg.Message, "does not exist"):
		return fmt.Errorf("there is no database login %s in the database in %s: root adds it with `console user add %s --role viewer|operator|approver`", login, c.Dir, login)
	case pg.Code == "28000":
		return fmt.Errorf("the database in %s did not accept the OS user %s as the login %s: each OS user logs in only as themselves (peer authentication: %s)", c.Dir, c.me, login, pg.Message)
	case pg.Code == "3D000":
		return fmt.Errorf("the database %s does not exist yet in %s: root or %s makes it by starting a console on it once", ClusterDatabase, c.Dir, c.ownerName())
	}
	return nil
}
