// Package pgstore keeps the reference ledger in PostgreSQL, in tables named
// ledger_<table> (key text COLLATE "C", value bytea) on a shared pgxpool.
//
// Every Update is one transaction that first locks the ledger's single
// row in ledger_lock, so writers are serialized: a balance checked inside a
// transaction cannot be overdrawn by a concurrent one. Reads run in
// REPEATABLE READ read-only transactions (one consistent snapshot).
// Serialization failures and deadlocks are retried.
package pgstore
