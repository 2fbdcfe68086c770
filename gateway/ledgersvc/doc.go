// Package ledgersvc serves the reference ledger (registry/ledger) as the
// gRPC service clearance.ledger.v1.LedgerService with its REST routes.
//
// Invariants: every handler checks the caller's role first (issuer
// operations: admin or agent; transfers and redemptions: venue, wallet or
// agent; recovery and forced transfers: agent; settling: reviewer;
// observations: agent or compliance; reads: any role); every mutating call
// requires idempotency_key; ledger errors map to gRPC codes (NotFound,
// InvalidArgument naming the field, FailedPrecondition for wrong state,
// paused, frozen, insufficient balance and the seed-002 errors — whose
// name and code are in the message and an ErrorInfo detail —,
// AlreadyExists for idempotency-key conflicts, Unavailable when the gateway
// could not clear).
package ledgersvc
