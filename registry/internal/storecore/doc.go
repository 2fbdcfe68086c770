// Package storecore holds the logic both registry stores share: commit
// times, change validation, normalisation before a write, content equality
// for idempotent upserts, the in-process event bus and change-point
// collection. It has no I/O of its own.
package storecore
