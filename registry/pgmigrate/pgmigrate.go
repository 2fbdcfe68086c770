// Package pgmigrate applies a component's embedded PostgreSQL migrations.
//
// Every component that keeps state in the shared PostgreSQL database (the
// registry, the reference ledger, the review queue, screening statuses, the
// decision log) ships its migrations as migrations/*.sql in an embed.FS and
// applies them with Apply.
//
// Invariants: migrations run in file-name order, each at most once per
// database (recorded in <component>_schema_migrations); all pending
// migrations of a component apply in one transaction under an advisory lock,
// so concurrent replicas running `clearance registry migrate` neither race
// nor leave half a schema behind. Apply is idempotent.
package pgmigrate

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

var componentName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,40}$`)

// Apply runs the pending migrations/*.sql files of fsys for component.
// extra, if set, returns SQL appended to a migration (by version, the file
// name without .sql), for statements generated from code.
func Apply(ctx context.Context, pool *pgxpool.Pool, component string, fsys fs.FS, extra func(version string) string) error {
	if !componentName.MatchString(component) {
		return fmt.Errorf("pgmigrate: bad component name %q", component)
	}
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", component, err)
	}
	sort.Strings(names)
	table := component + "_schema_migrations"
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext($1))`, table); err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		for _, n := range names {
			v := strings.TrimSuffix(strings.TrimPrefix(n, "migrations/"), ".sql")
			var done bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table+` WHERE version = $1)`, v).Scan(&done); err != nil {
				return err
			}
			if done {
				continue
			}
			body, err := fs.ReadFile(fsys, n)
			if err != nil {
				return err
			}
			stmt := string(body)
			if extra != nil {
				stmt += extra(v)
			}
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("migration %s: %w", v, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO `+table+` (version) VALUES ($1)`, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("pgmigrate: %s: %w", component, err)
	}
	return nil
}
