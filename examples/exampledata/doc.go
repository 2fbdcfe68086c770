// Package exampledata embeds the example data that seeds the embedded
// default: registry.jsonl (investors, assets, wallets and whitelist
// entries, in the registry import format) and ledger.yaml (the reference
// ledger's seed). README.md lists the cases and which wallet pairs give
// ALLOW, DENY and REVIEW.
//
// Invariants: the files are read-only; seeding is idempotent (re-seeding a
// store that already holds the same rows creates no new versions).
package exampledata
