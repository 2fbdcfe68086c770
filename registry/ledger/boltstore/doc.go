// Package boltstore keeps the reference ledger in a bbolt database shared
// with other components. The ledger's tables are buckets named
// "ledger_<table>"; every Update is one bbolt read-write transaction, and
// bbolt serializes those, so checks inside a transaction cannot race.
package boltstore
