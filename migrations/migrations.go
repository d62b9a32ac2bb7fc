// Package migrations holds the database schema as SQL files, embedded so the
// console carries its schema with it (the air-gapped machine has nothing else).
// They are applied in order by store.Migrate through tern.
package migrations

import "embed"

// FS holds NNN_name.sql files; tern applies each in its own transaction.
//
//go:embed *.sql
var FS embed.FS
