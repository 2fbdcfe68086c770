// Command clearance is the Clearance binary: the decision API server
// (`serve`), the operator CLI (`check`, `policy test|lint`, `registry
// migrate|import|export`, `decisions verify`, `screening load|screen`,
// `version`) and the chain sidecars (`sidecar evm|stellar`).
//
// This package is the only composition root: it loads configuration
// (defaults < file < CLEARANCE_* environment < flags, unknown keys are
// errors), opens the stores, builds every component in dependency order and
// passes them to constructors. It holds no business logic. Invariants: the
// server refuses to listen on a non-loopback address without authentication;
// secrets come from environment variables or files and are never logged.
package main
