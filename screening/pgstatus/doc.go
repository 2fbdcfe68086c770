// Package pgstatus is the PostgreSQL screening.StatusStore: precomputed
// per-investor and per-wallet screening statuses, false-positive exceptions
// and rescreen checkpoints, shared by every gateway replica.
//
// Invariants: tables are prefixed screening_; Migrate is idempotent; every
// write is one statement (an upsert), so a reader never sees half a record.
package pgstatus
