// Package importer reads and writes registry rows in bulk: the backend of
// `clearance registry import FILE` and `clearance registry export`.
//
// Formats: JSON lines, one object per line with a "kind" of investor,
// wallet, asset or whitelist and the fields of the matching registry type
// (registry.Investor, registry.Wallet, registry.Asset; whitelist rows carry
// asset_id, investor_id and an optional "remove": true); and CSV with a
// header row and a "kind" column (see Columns). An investor's
// beneficial_owners are a JSON array in both formats (in CSV, the cell
// holds the JSON text). The format is chosen by the file extension, else
// by the first non-blank byte ('{' means JSON lines).
//
// Invariants: every bad row is reported with its 1-based line number and
// the validation message, and is never applied; valid rows are applied in
// batches through registry.Store.Upsert, or, with Options.Atomic, in one
// transaction that applies nothing if any row is bad. Re-importing the
// same content creates no new versions.
package importer
