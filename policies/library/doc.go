// Package library embeds the shipped policy pack.
//
// The pack is written twice: in Rego (rego/*.rego, package clearance, entry
// points data.clearance.static and data.clearance.dynamic) and as a full port
// in CEL (cel/*.yaml). Both implement the same rules, emit the same codes and
// messages, and are checked against the same golden corpus
// (policies/testdata/decisions). Every emitted code is declared in
// policies.Catalogue.
//
// The embedded files are read-only; FS returns them as an fs.FS rooted at the
// pack directory, the same layout a compliance team edits on disk.
package library
