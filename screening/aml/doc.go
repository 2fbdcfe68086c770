// Package aml computes the AML risk score of one party of a token movement.
//
// A Scorer gathers feature values for the party (amount against the
// investor's expected range, velocity counts and sums over configurable
// windows per investor across all of its wallets, new counterparties and
// fan-out to new wallets within a short window, jurisdiction risk and the
// sanctions match score) and turns them into contributions with CEL
// expressions from configuration, so compliance can retune weights and
// thresholds without a rebuild. The score is the clamped sum of the
// contributions; every contribution is reported by feature name so a
// verdict can explain itself.
//
// Invariants:
//   - Windowing uses the request's Now, never the wall clock, so evaluation
//     is repeatable and tests control time.
//   - Expressions are compiled and type-checked (int result) once, in New; a
//     bad expression is a construction error, never a runtime surprise.
//   - Any window-store error (Redis down, timeout) is returned as an error:
//     the gateway then fails the check closed. A score is never guessed.
//   - Windows hold bounded state: MemoryWindows caps investors, buckets and
//     counterparties; RedisWindows expires every key after the retention.
package aml
