// Package casestest is the conformance suite every cases.Store must pass.
// It exercises the store directly and through a cases.Queue, so the
// four-eyes rules and exactly-once settlement hold on every backend.
package casestest
