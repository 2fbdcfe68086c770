// Package source loads policy packs, compiles them into Bundles, runs their
// tests, lints them, and hot-swaps them.
//
// A pack is a directory (or fs.FS) holding:
//
//	**/*.rego        Rego modules (package clearance; entry points
//	                 data.clearance.static and data.clearance.dynamic)
//	**/*_test.rego   Rego unit tests, run by Test and before every swap
//	cel/*.yaml       CEL rule files (see package celengine)
//	tests/**/*.yaml  optional golden decision cases (see package policytest),
//	                 with an optional tests/base.yaml
//
// Invariants:
//   - the revision is the SHA-256 over the sorted (path, content) pairs of
//     every loaded file, so the same files always give the same revision;
//   - a Bundle is immutable; Live swaps whole Bundles atomically, and a
//     Watcher swaps only a pack that compiled and passed its tests, so a
//     broken edit never replaces the last good revision;
//   - Bundle.Evaluate unions the reasons of both engines (deduplicated),
//     and allows when either engine allows; an error from either engine is
//     returned and the caller fails closed.
package source
