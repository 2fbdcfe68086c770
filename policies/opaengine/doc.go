// Package opaengine evaluates Rego policy packs with OPA v1.
//
// A pack is compiled once per revision into two prepared queries,
// data.clearance.static and data.clearance.dynamic, each evaluating to
// {"allow": bool, "deny": [reason], "review": [reason]}. The typed
// policies.Input is converted directly into an OPA ast.Value (no JSON or map
// round trip) and passed with rego.EvalParsedInput.
//
// Invariants:
//   - evaluation does no I/O: http.send, net.*, opa.runtime and the
//     non-deterministic builtins (time.now_ns, rand.intn, uuid.*) are removed
//     from the capabilities, so a module that uses them fails to compile;
//   - builtin errors are strict (rego.StrictBuiltinErrors);
//   - compile errors come back as *policies.Error{Code: "compile_error"} with
//     Rule "file:line"; an undefined entrypoint is *policies.Error{Code:
//     "undefined_decision"}, and callers fail closed on any error;
//   - an Engine is immutable and safe for concurrent use.
package opaengine
