// Package policies is the engine-neutral contract of Clearance's compliance
// decisions: the Input every engine sees (the request and every fact the
// gateway gathered), the Engine interface with its two implementations
// (opaengine for Rego, celengine for CEL), how results combine, and the
// catalogue of reason codes.
//
// Invariants:
//   - Effect's zero value is Deny, so a decision that was never filled in
//     fails closed.
//   - Combine: any deny gives DENY, otherwise any review gives REVIEW,
//     otherwise ALLOW only if some rule voted allow; with no allow vote the
//     answer is DENY with NO_APPLICABLE_RULE. Reasons of every failing rule
//     are kept, denies first.
//   - Engines do no I/O and are deterministic: the same Input and Scope give
//     the same Result. The static scope reads only slowly changing facts and
//     may be cached under their versions; the dynamic scope is evaluated on
//     every request.
//   - An engine error means "could not decide"; callers fail closed.
//   - Every reason code is declared in Catalogue and never renamed.
package policies
