// Package verdictcache caches the static (eligibility) part of a verdict:
// the policies.ScopeStatic result for one set of slowly changing facts.
//
// The gateway gathers every fact of a check into a *policies.Input, then asks
// Cache.Lookup for the static result; on a miss Lookup calls the supplied
// compute function (the engine) and stores its answer. Dynamic rules
// (amounts, balances, holder counts, AML, holds) are never cached.
//
// Two tiers: L1 is an in-process LRU (golang-lru/v2); L2 is an optional
// Remote (Redis through go-redis v9) shared by every replica.
//
// Invariants:
//
//   - Content addressing. The key is a hash over the policy revision, the
//     screening list version, the request's action, asset and wallets, and
//     every static fact of the asset and both parties, including their
//     registry versions. Facts are gathered fresh on every check, so a change
//     committed before a check starts yields a different key: an entry that
//     predates the change cannot be found by that check. Invalidation
//     (registry events, revision and list-version changes, cross-replica
//     pub/sub) is defence in depth and frees memory.
//   - Time. Static rules compare Now with time boundaries carried by the facts
//     (KYC expiry, effective_from, effective_to, locked_until). An entry is
//     valid only strictly between the boundaries that enclose the Now it was
//     computed at, and every hit checks the request's Now against them; a
//     request whose Now falls on a boundary, or within a second of the next
//     one, is not cached. The configured TTL (default 60 s) is only a backstop.
//   - Historical checks (Now far from the wall clock) bypass the cache.
//   - Errors are never cached. A Redis error or timeout is a miss: it never
//     fails a check and never changes a verdict; it is counted and logged at
//     a limited rate, and L2 is retried by itself.
//   - With a Remote, caching is off until RunSubscriber has a confirmed
//     subscription to the invalidation channel. Losing it empties L1 and
//     turns caching off (both tiers bypassed) until it is confirmed again,
//     so nothing is served while events may have been missed.
//   - Results returned by Lookup may share slices with the cache; callers
//     must treat them as read-only (policies.Combine copies what it keeps).
package verdictcache
