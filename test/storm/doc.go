// Package storm holds the stale-verdict storm test: two `clearance serve`
// processes built from ./cmd/clearance share PostgreSQL and Redis while a
// driver streams checks at them and changes the registry through both.
//
// Invariant checked: no replica answers ALLOW when a change acknowledged
// before the check began makes the check ineligible (a frozen recipient
// wallet, a revoked recipient investor, or a recipient jurisdiction the
// asset no longer allows).
//
// Run:
//
//	go test ./test/storm -run Storm -v
//
// It needs CLEARANCE_TEST_POSTGRES_DSN and CLEARANCE_TEST_REDIS_ADDR (or the
// local defaults). CLEARANCE_TEST_STORM_SECONDS sets the storm length
// (default 30), CLEARANCE_TEST_STORM_RATE the check rate per second (default
// 1500) and CLEARANCE_TEST_STORM_BIN a prebuilt binary to use instead of
// building one. It is skipped with -short.
package storm
