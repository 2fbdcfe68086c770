// Package postgres is the registry.Store on PostgreSQL (pgx/v5, pgxpool),
// the shared store when several gateway replicas run. Its tables are
// prefixed "registry_" and created by the embedded migrations that Migrate
// applies (tracked in registry_schema_migrations); New never migrates.
//
// Layout: registry_<kind>s hold the latest version of each entity with
// the columns lookups and filters need; registry_<kind>_history hold every
// version with its actor, commit time and reason. Reads with asOf zero use
// the current tables; reads with an asOf use the history tables.
//
// Invariants: every write (single or a bulk batch) is one transaction that
// locks the rows it reads (SELECT ... FOR UPDATE), so of two updates with
// the same expected version exactly one commits; the global change
// sequence is one row (registry_seq) bumped at the end of each write
// transaction, so sequence order is commit order; events are published
// after commit.
package postgres
