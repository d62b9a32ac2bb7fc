package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// This file: the people's database logins (`console user add|list|disable`).

// LoginRoles are the console roles a login may be given, by the name the
// console uses for them.
var LoginRoles = map[string]string{
	"viewer":   "wallet_viewer",
	"operator": "wallet_operator",
	"approver": "wallet_approver",
}

// loginName is an OS login's grammar (Debian's adduser): on the embedded
// cluster the login is the OS user's name. Nothing a role name would need
// quoting for beyond the hyphen, and short enough for both.
var loginName = regexp.MustCompile(`^[a-z_][a-z0-9_-]{0,31}$`)

// ErrLoginExists: the login is there already.
var ErrLoginExists = errors.New("login exists")

// ErrNoSuchLogin: no console login has that name.
var ErrNoSuchLogin = errors.New("no such login")

// ErrNotAdmin: this login may not manage logins.
var ErrNotAdmin = errors.New("only an administrative login may add users: run as root or as a login with CREATEROLE")

// Login is one person's database login.
type Login struct {
	Name    string   `json:"login"`
	Roles   []string `json:"roles"` // viewer, operator, approver; admin for CREATEROLE
	Enabled bool     `json:"enabled"`
}

// CheckLoginName refuses a name that is not an OS-login-like name, or one
// the console keeps for itself.
func CheckLoginName(name string) error {
	if !loginName.MatchString(name) {
		return fmt.Errorf("%q is not a login name: use the person's OS login, lower-case letters, digits, _ and - (at most 32, not starting with a digit or -)", name)
	}
	switch {
	case name == ClusterSuperuser:
		return fmt.Errorf("%s is the database's owner, used only to migrate; it is not a person's login", name)
	case name == ClusterAdmin:
		return fmt.Errorf("%s is the login of root's console (and of the server's own user); it is not a person's login to add or disable", name)
	case name == "root":
		return fmt.Errorf("root's console logs in as %s; root is not a database login", ClusterAdmin)
	case len(name) >= 3 && name[:3] == "pg_", len(name) >= 7 && name[:7] == "wallet_":
		return fmt.Errorf("%s: names beginning pg_ or wallet_ are PostgreSQL's and the console's own roles, not people", name)
	}
	return nil
}

// AddLogin creates the login name with the console role role (viewer,
// operator, approver). It needs a login with CREATEROLE.
func (db *DB) AddLogin(ctx context.Context, name, role string) error {
	if err := CheckLoginName(name); err != nil {
		return err
	}
	group, ok := LoginRoles[role]
	if !ok {
		return fmt.Errorf("no such role %q: use viewer, operator or approver", role)
	}
	sql := "CREATE ROLE " + pgx.Identifier{name}.Sanitize() + " LOGIN IN ROLE " + pgx.Identifier{group}.Sanitize()
	if _, err := db.pool.Exec(ctx, sql); err != nil {
		var pg *pgconn.PgError
		if errors.As(err, &pg) {
			switch pg.Code {
			case "42710": // duplicate_object
				return fmt.Errorf("%w: %s is a database login already (`console user list` shows its roles)", ErrLoginExists, name)
			case "42501": // insufficient_privilege
				return ErrNotAdmin
			case "42704": // undefined_object: the role group is missing
				return fmt.Errorf("no such role %s in this database: run `console migrate` as the owner first", group)
			}
		}
		return fmt.Errorf("add login %s: %w", name, explain(err))
	}
	return nil
}

// Logins lists the console's logins: every role that is in a console role,
// and the administrative login, with whether each may log in.
func (db *DB) Logins(ctx context.Context) ([]Login, error) {
	rows, err := db.pool.Query(ctx, `
SELECT r.rolname, r.rolcanlogin, r.rolcreaterole,
       coalesce(array_agg(g.rolname ORDER BY g.rolname) FILTER (WHERE g.rolname IS NOT NULL), '{}')
  FROM pg_roles r
  LEFT JOIN pg_auth_members m ON m.member = r.oid
  LEFT JOIN pg_roles g ON g.oid = m.roleid AND g.rolname IN ('wallet_viewer', 'wallet_operator', 'wallet_approver')
 WHERE NOT r.rolsuper AND r.rolname NOT IN ('wallet_viewer', 'wallet_operator', 'wallet_approver')
 GROUP BY r.rolname, r.rolcanlogin, r.rolcreaterole
HAVING bool_or(g.rolname IS NOT NULL) OR r.rolname = $1
 ORDER BY r.rolname`, ClusterAdmin)
	if err != nil {
		return nil, fmt.Errorf("list logins: %w", explain(err))
	}
	defer rows.Close()
	short := map[string]string{}
	for k, v := range LoginRoles {
		short[v] = k
	}
	var out []Login
	for rows.Next() {
		var l Login
		var admin bool
		var groups []string
		if err := rows.Scan(&l.Name, &l.Enabled, &admin, &groups); err != nil {
			return nil, fmt.Errorf("list logins: %w", err)
		}
		l.Roles = []string{}
		for _, g := range groups {
			l.Roles = append(l.Roles, short[g])
		}
		if admin {
			l.Roles = append(l.Roles, "admin")
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list logins: %w", explain(err))
	}
	return out, nil
}

// DisableLogin stops name from logging in (NOLOGIN). Its rows (requests,
// approvals, the log's db_user) stay as they are.
func (db *DB) DisableLogin(ctx context.Context, name string) error {
	if err := CheckLoginName(name); err != nil {
		return err
	}
	ls, err := db.Logins(ctx)
	if err != nil {
		return err
	}
	found := false
	for _, l := range ls {
		found = found || l.Name == name
	}
	if !found {
		return fmt.Errorf("%w: %s is not a console login (`console user list` shows them)", ErrNoSuchLogin, name)
	}
	if _, err := db.pool.Exec(ctx, "ALTER ROLE "+pgx.Identifier{name}.Sanitize()+" NOLOGIN"); err != nil {
		var pg *pgconn.PgError
		if errors.As(err, &pg) && pg.Code == "42501" {
			return errors.New("only an administrative login may disable users: run as root or as a login with CREATEROLE")
		}
		return fmt.Errorf("disable login %s: %w", name, explain(err))
	}
	return nil
}
