// Package reconcile compares Clearance's view of holdings with a chain's
// balances, on a schedule and on demand, and records each mismatch as a
// reconciliation exception (item, difference, detected at, status) through
// the sidecar Reporter.
//
// Invariants:
//   - A wallet whose two sides differ, or whose chain balance cannot be read,
//     is never reported as reconciled: a mismatch is recorded, a read error is
//     returned in the run's report.
//   - Recording is idempotent: the ledger returns the open exception for the
//     same (asset, wallet, chain, item) instead of a duplicate.
//   - The hold effect of an open exception (blocking the wallet's transfers
//     per asset policy) is the ledger's and gateway's (Held facts); this
//     package only records and resolves.
//   - Amounts are integers in the asset's smallest unit.
package reconcile
