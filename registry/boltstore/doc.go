// Package boltstore is the embedded default registry.Store, on bbolt (pure
// Go, no cgo). It uses only buckets prefixed "registry_" in the shared
// *bbolt.DB that cmd/clearance opens.
//
// Layout: "current" buckets hold the latest version of each investor
// (by id), wallet (by normalised address), asset (by id) and whitelist entry
// (by asset/investor), so decision-path reads are one B+tree lookup
// whatever the store size. Every version is also written to a per-kind
// history bucket keyed id\x00big-endian(version); reads with an asOf older
// than the current version's commit time walk that history backwards.
//
// Invariants: every write is one bbolt transaction; a stale expected
// version changes nothing and returns registry.ErrConflict; events are
// published only after the transaction committed, with the global sequence
// kept in registry_meta.
package boltstore
