package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/tern/v2/migrate"

	"github.com/plings/walletconsole/migrations"
)

// versionTable records the applied schema version (tern's table).
const versionTable = "public.schema_version"

// Migration is one schema step that Migrate applied.
type Migration struct {
	Seq  int32
	Name string
}

// MigrateResult says what Migrate did.
type MigrateResult struct {
	From, To int32
	Applied  []Migration
}

// Migrate brings the schema up to date. tern holds a PostgreSQL advisory lock
// for the whole run, so two consoles starting together apply each step once;
// each step is its own transaction.
func (db *DB) Migrate(ctx context.Context) (MigrateResult, error) {
	var res MigrateResult
	// A step may run long, and may wait for another console's run: neither
	// session limit applies to it.
	ctx = withoutTimeouts(ctx, true)
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return res, fmt.Errorf("migrate: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return res, fmt.Errorf("migrate: load embedded migrations: %w", err)
	}
	if res.From, err = m.GetCurrentVersion(ctx); err != nil {
		return res, fmt.Errorf("migrate: read schema version: %w", err)
	}
	m.OnStart = func(seq int32, name, direction, _ string) {
		res.Applied = append(res.Applied, Migration{Seq: seq, Name: name})
	}
	if err := m.Migrate(ctx); err != nil {
		// A lost race is harmless: the other console applied it.
		return res, fmt.Errorf("migrate: %w", err)
	}
	res.To, err = m.GetCurrentVersion(ctx)
	return res, err
}

// latestVersion is the number of embedded migration steps.
func latestVersion() (int32, error) {
	names, err := migrate.FindMigrations(migrations.FS)
	return int32(len(names)), err
}

// EnsureSchema migrates only when the schema is behind, so that logins that
// may not change the schema (viewer, operator) can use an up-to-date database.
func (db *DB) EnsureSchema(ctx context.Context) error {
	latest, err := latestVersion()
	if err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	var current int32
	err = db.pool.QueryRow(ctx, "SELECT version FROM "+versionTable).Scan(&current)
	if err == nil && current == latest {
		return nil
	}
	if err == nil && current > latest {
		return fmt.Errorf("the database schema is at version %d, newer than this console knows (%d): use a newer console", current, latest)
	}
	if db.readOnly {
		// Migrating is writing: a read-only console says so instead — unless
		// the version could not even be read, which is the real news.
		if err != nil && !errors.Is(err, pgx.ErrNoRows) && !isUndefinedTable(err) {
			return fmt.Errorf("read the schema version: %w", explain(err))
		}
		return fmt.Errorf("the database schema is at version %d and this console needs %d, but this console is read-only (--read-only): run `console migrate` first", current, latest)
	}
	if _, merr := db.Migrate(ctx); merr != nil {
		var pg *pgconn.PgError
		if errors.As(merr, &pg) && pg.Code == "42501" {
			return fmt.Errorf("the database schema is at version %d and this console needs %d, but this login may not change the schema: run `console migrate` as the database owner", current, latest)
		}
		return merr
	}
	return nil
}

// isUndefinedTable: the version table does not exist yet (a new database).
func isUndefinedTable(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == "42P01"
}
