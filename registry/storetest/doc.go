// Package storetest is the conformance suite every registry.Store runs:
// registry/boltstore and registry/postgres call Run from their tests.
//
// Each subtest asks the factory for a fresh, empty store; the suite writes
// with explicit Change.At times where it checks history, so as_of answers
// are compared with the recorded history, never with the wall clock.
package storetest
