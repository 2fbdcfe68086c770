// Package boltstore is the embedded cases.Store on a shared bbolt database.
// It owns the buckets cases_cases (id -> case JSON), cases_by_decision
// (decision id -> case id) and cases_deliveries (case id NUL hook ->
// delivery JSON). Every method is one bbolt transaction.
package boltstore
