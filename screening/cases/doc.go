// Package cases is the escalation queue: every REVIEW verdict opens a case
// that reviewers assign, comment on and decide, and whose decision settles
// the original request.
//
// Lifecycle: OPEN -> ASSIGNED -> APPROVED | REJECTED | EXPIRED. A case at or
// above the configured four-eyes risk score needs two approvals by two
// different reviewers; below it, one. The requester can never approve their
// own request, and a reviewer cannot approve twice. One rejection rejects.
// A case past its expiry is EXPIRED (settled as a rejection) by the sweeper,
// or on the first decision attempted after expiry.
//
// Invariants:
//   - Every action is appended to the case's history with actor, time and
//     note, in the same transaction as the change it records.
//   - Final decisions are idempotent: approving an APPROVED case (or
//     rejecting a REJECTED one) returns it unchanged; deciding a case the
//     other way once final is ErrWrongState.
//   - Settlement is an outbox: the transaction that makes a case final also
//     records one pending delivery per registered Settler hook. Deliveries
//     are claimed with a lease, retried with exponential backoff, and marked
//     delivered once a hook succeeds, after which that hook never sees the
//     case again. ResumePending redelivers after a crash. A crash between a
//     hook succeeding and the mark can repeat that one delivery, so hooks
//     must be idempotent by case id (the ledger and decision log are).
//   - Time comes from the injected clock.
package cases
