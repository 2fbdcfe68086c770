// Package pgtest gives registry tests and benchmarks an isolated
// PostgreSQL schema on the real local server: CLEARANCE_TEST_POSTGRES_DSN,
// or postgres://postgres@127.0.0.1:5432/test?sslmode=disable by default.
// Each call creates a schema with a random suffix, points the pool's
// search_path at it, and drops it when the test ends.
package pgtest
