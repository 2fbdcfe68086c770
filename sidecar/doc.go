// Package sidecar puts Clearance beside ledgers it does not run: every native
// request that would move a regulated token is translated into gateway checks
// and cleared before it reaches the ledger, and what happens on the ledger is
// reported back to Clearance.
//
// The package holds the extension point, Adapter (one implementation per
// chain: sidecar/evm, sidecar/stellar), the Runner that owns the gateway
// round trip, and Reporter, the observation API a sidecar writes to.
//
// Invariants:
//   - Fail closed. Handle forwards a request only when the adapter found no
//     regulated movement in it (passthrough) or every check came back ALLOW.
//     A gateway that is unreachable, errors, answers out of shape, or is slower
//     than the configured timeout refuses the request; nothing is forwarded
//     unchecked.
//   - The most severe verdict wins: any DENY refuses, otherwise any REVIEW
//     parks the request, otherwise ALLOW.
//   - A REVIEW's case id is remembered per request key (the transaction hash),
//     so a resubmission while the case is pending gets the same case id back,
//     and an ALLOW on resubmission is the approval.
//   - Every handled request is counted once in
//     clearance_sidecar_transactions_total{adapter,outcome}.
package sidecar
