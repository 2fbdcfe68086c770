// Package gateway is Clearance's decision API: it gathers the facts a
// request rests on, evaluates the policy engines, and answers ALLOW, DENY or
// REVIEW with stable reason codes.
//
// Invariants:
//   - Fail closed. An unknown investor, wallet or asset reaches the policies
//     as Known == false (and the packs deny it); a registry, holdings or
//     screening error, an engine error or a timeout gives DENY with
//     STALE_FACTS, SCREENING_UNAVAILABLE, POLICY_ERROR or INDETERMINATE and
//     retryable = true. Nothing but an explicit allow vote with no deny or
//     review reason yields ALLOW.
//   - Engines do no I/O: every fact is gathered here first, into a
//     policies.Input, so evaluation is deterministic and cacheable.
//   - Only the static (eligibility) scope goes through the verdict cache;
//     the dynamic scope (amounts, balances, lockups, AML) is evaluated on
//     every request. Historical checks (`at` in the past) never use the
//     cache and read the registry as of `at`.
//   - Every decision is appended to the hash-chained decision log off the
//     request path, and names the policy revision that produced it.
//   - Invalid input is InvalidArgument naming the field: never a 500 and
//     never an ALLOW. One port serves gRPC, REST (grpc-gateway, proto field
//     names), /healthz, /readyz, /metrics and /openapi/.
package gateway
