// Package celengine evaluates CEL rule packs and the inline CEL conditions of
// an asset's configuration.
//
// A rule file (cel/*.yaml) holds named definitions and rules:
//
//	definitions:
//	  - name: sender_checked
//	    expr: has_from && action != "ISSUANCE"
//	rules:
//	  - id: sender_frozen
//	    description: a frozen wallet cannot send
//	    scope: static            # or dynamic
//	    when: sender_checked && from.wallet.frozen == true   # fires the rule
//	    effect: DENY             # DENY, REVIEW or ALLOW
//	    code: SENDER_FROZEN
//	    message: sender wallet is frozen
//	    observed: from.wallet.address   # optional, rendered to a string
//	    limit: "1"                       # optional
//
// The variables mirror the JSON of policies.Input: action (string), amount
// and now (int), asset (map), from and to (maps, or null when the side is
// absent; has_from and has_to say which), and list_version. Definitions are
// evaluated once per request in dependency order and are visible to every
// rule of the pack by name.
//
// Invariants:
//   - everything is compiled once, in New; a `when` whose type is not bool,
//     or any expression that fails to compile, is a compile_error naming the
//     file, line and rule id;
//   - programs run with OptOptimize, a cost limit (default 10000) and an
//     interrupt check every 100 iterations, under the caller's context;
//   - inline asset conditions (policies.Condition, dynamic scope) are
//     compiled on first use and cached in a bounded, concurrency-safe LRU
//     keyed by expression text. A condition that fails to compile, is not
//     bool, or errors denies with POLICY_ERROR naming the condition: it never
//     panics and never allows;
//   - an Engine is immutable apart from that cache and is safe for
//     concurrent use.
package celengine
