// Package screening screens parties against sanctions lists and keeps a
// precomputed screening status for the pre-trade path.
//
// The shape follows moov-io/watchman: one package per list under
// screening/sources maps its published format into the common Entity model;
// Service builds an immutable Index from a parsed list set and swaps it
// atomically, so a screen never sees a half-loaded list. A list set that
// fails to parse never replaces the set in force; the error is reported by
// Service.Status.
//
// Invariants:
//   - A ListSet's Version is derived from the content hash of its files, so
//     the same files always give the same version.
//   - Screen never scores every name: candidates come from a token,
//     phonetic-key and prefix index (see Index).
//   - The pre-trade path (Screener.Status) is a lookup in precomputed
//     statuses; a fuzzy screen happens only when an investor has not yet been
//     screened against the list version in force.
//   - With no list loaded, Screener.Status returns UNAVAILABLE, which the
//     policies treat as a deny (fail closed).
//
// Scoring is documented on NameScore.
package screening
