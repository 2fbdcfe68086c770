// Package ledger is Clearance's reference token ledger: the register of
// holdings an issuer can run as it is, and the model the chain sidecars map
// external ledgers onto.
//
// It keeps, per asset, the seed-001 balance buckets (treasury,
// reserved_investments, confirmed_investments, distributed, redeemed), per
// wallet balances made of holding lots (acquisition time, amount; consumed
// FIFO), investments and their token distribution (seed 000), revenue
// rounds (seed 002 V2, and V1 push), and the positions and reconciliation
// exceptions sidecars report for external chains.
//
// Invariants:
//   - amounts are int64 in the asset's smallest unit, never negative;
//   - an asset's total (minted minus burned) equals the sum of its buckets
//     after every operation; a violation aborts the transaction;
//   - the distributed bucket equals the sum of investor wallet balances, and
//     the redeemed bucket the redemption wallet's balance;
//   - every mutating operation carries an idempotency key: a replay returns
//     the first result and is never applied twice; the same key with a
//     different body fails with ErrIdempotencyConflict;
//   - every operation is one store transaction and appends its events to an
//     append-only, hash-chained log (Verify checks the chain);
//   - every token movement is cleared by the gateway (Clearer) first: DENY
//     changes nothing, REVIEW parks the operation until Settle executes or
//     cancels it exactly once, a Clearer error fails closed;
//   - a revenue round's total_claimed never exceeds its total_amount.
//
// State lives behind Store, a small transactional key-value interface with
// two implementations: boltstore (embedded, shared *bbolt.DB) and pgstore
// (PostgreSQL, shared pgxpool). ledgertest holds the conformance suite both
// pass.
package ledger
