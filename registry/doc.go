// Package registry holds the facts every decision rests on: investors,
// wallets, assets and whitelists, with every version kept.
//
// Reader is the decision path's read side; Store adds the writes, lists,
// history, change points, bulk upsert and change events. The two
// implementations are registry/boltstore (the embedded default, bbolt) and
// registry/postgres (shared by replicas); both pass registry/storetest.
// registry/importer reads and writes the bulk format (JSON lines, CSV).
//
// Invariants:
//   - every write carries a Change (actor, reason, optional commit time)
//     and bumps the entity's Version by one; an update with a stale
//     expected version fails with ErrConflict and changes nothing;
//   - a read with asOf T returns the version committed at or before T;
//     asOf zero means the latest;
//   - validation errors are *ValidationError, naming the field and the
//     rule, and wrap ErrInvalid; wallet addresses are normalised by
//     NormalizeAddress (EVM lowercase after an EIP-55 check, Stellar
//     G-addresses, ledger account ids), so one address has one key;
//   - events are emitted only after commit, synchronously, in Seq order;
//     subscribers must be fast and must not write to the store.
package registry
