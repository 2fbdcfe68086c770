// Package decisionlog keeps the durable, append-only, hash-chained log of
// every decision the gateway makes.
//
// Invariants:
//   - Entries are only appended, never changed. A later settlement (a review
//     approval or rejection) is appended as a separate settlement entry that
//     names the decision it settles.
//   - Each entry's Hash is sha256(PrevHash || canonical JSON of the entry with
//     Hash cleared), so Verify detects any edit, removal or reordering.
//   - Writing is asynchronous: Logger.Append never blocks the decision path
//     on I/O. Entries waiting in the queue are still readable by Get. When the
//     queue is full, Append blocks briefly and then counts a drop (metric),
//     rather than stall checks indefinitely.
package decisionlog
