package policies

import (
	"context"
	"errors"
	"fmt"
)

// Effect is the outcome of a decision. The zero value denies, so a decision
// that was never filled in fails closed.
type Effect uint8

const (
	// Deny refuses the request. It is the zero value.
	Deny Effect = iota
	// Review parks the request for a human reviewer.
	Review
	// Allow lets the request through.
	Allow
)

// String returns the wire name of the effect: ALLOW, DENY or REVIEW.
func (e Effect) String() string {
	switch e {
	case Allow:
		return "ALLOW"
	case Review:
		return "REVIEW"
	default:
		return "DENY"
	}
}

// ParseEffect parses ALLOW, DENY or REVIEW.
func ParseEffect(s string) (Effect, error) {
	switch s {
	case "ALLOW":
		return Allow, nil
	case "REVIEW":
		return Review, nil
	case "DENY":
		return Deny, nil
	}
	return Deny, fmt.Errorf("policies: unknown effect %q", s)
}

// Action is the kind of token movement being cleared.
type Action string

// The actions of the decision API.
const (
	ActionIssuance     Action = "ISSUANCE"
	ActionTransfer     Action = "TRANSFER"
	ActionRedemption   Action = "REDEMPTION"
	ActionDistribution Action = "DISTRIBUTION"
	ActionBurn         Action = "BURN"
	ActionRecovery     Action = "RECOVERY"
	// ActionForcedTransfer is an agent's forced transfer; frozen wallets do
	// not block it.
	ActionForcedTransfer Action = "FORCED_TRANSFER"
)

// Actions lists every valid action.
var Actions = []Action{ActionIssuance, ActionTransfer, ActionRedemption, ActionDistribution, ActionBurn, ActionRecovery, ActionForcedTransfer}

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	for _, x := range Actions {
		if a == x {
			return true
		}
	}
	return false
}

// Scope selects which part of a pack an evaluation runs.
//
// The static scope holds rules over slowly changing facts (status, KYC,
// category, whitelist, wallet flags, jurisdiction, screening status); its
// result may be cached under the versions of those facts. The dynamic scope
// holds rules over amounts, balances, holder counts, lots, velocity and AML
// scores, and is evaluated fresh on every request.
type Scope uint8

const (
	// ScopeAll evaluates both scopes.
	ScopeAll Scope = iota
	// ScopeStatic evaluates only the cacheable eligibility rules.
	ScopeStatic
	// ScopeDynamic evaluates only the per-request rules.
	ScopeDynamic
)

// String names the scope as the Rego entrypoints do: "all", "static", "dynamic".
func (s Scope) String() string {
	switch s {
	case ScopeStatic:
		return "static"
	case ScopeDynamic:
		return "dynamic"
	default:
		return "all"
	}
}

// Reason explains one failing (or reviewing) rule. Every reason code must be
// declared in the catalogue (reasons.go).
type Reason struct {
	Code      string `json:"code" yaml:"code"`
	Message   string `json:"message,omitempty" yaml:"message,omitempty"`
	Policy    string `json:"policy,omitempty" yaml:"policy,omitempty"`
	Observed  string `json:"observed,omitempty" yaml:"observed,omitempty"`
	Limit     string `json:"limit,omitempty" yaml:"limit,omitempty"`
	Reference string `json:"reference,omitempty" yaml:"reference,omitempty"`
	// Effect is DENY or REVIEW: the severity this reason carries.
	Effect string `json:"effect,omitempty" yaml:"effect,omitempty"`
}

// Result is what one engine produced for one scope: the reasons of every
// deny and review rule that fired, and whether any rule applied an allow.
type Result struct {
	Allow   bool     `json:"allow"`
	Deny    []Reason `json:"deny,omitempty"`
	Review  []Reason `json:"review,omitempty"`
	Engine  string   `json:"engine,omitempty"`
	Revised string   `json:"-"`
}

// Decision is the combined outcome of every engine and scope.
type Decision struct {
	Effect   Effect
	Reasons  []Reason
	Revision string
	// Retryable is true when the decision was a fail-closed denial whose
	// cause may pass (timeout, unavailable dependency, stale facts).
	Retryable bool
}

// Combine merges results: any deny gives DENY, otherwise any review gives
// REVIEW, otherwise ALLOW if at least one result allowed. If nothing allowed,
// the answer is DENY with NO_APPLICABLE_RULE. Reasons of every deny and
// review rule are kept, denies first, so a verdict lists every failing rule.
func Combine(revision string, results ...Result) Decision {
	d := Decision{Revision: revision, Effect: Deny}
	allow := false
	var denies, reviews []Reason
	for _, r := range results {
		allow = allow || r.Allow
		for _, x := range r.Deny {
			x.Effect = "DENY"
			denies = append(denies, x)
		}
		for _, x := range r.Review {
			x.Effect = "REVIEW"
			reviews = append(reviews, x)
		}
	}
	switch {
	case len(denies) > 0:
		d.Effect = Deny
	case len(reviews) > 0:
		d.Effect = Review
	case allow:
		d.Effect = Allow
	default:
		d.Effect = Deny
		denies = append(denies, Reason{Code: CodeNoApplicableRule, Message: "no policy rule allowed this request", Policy: "policies.Combine", Effect: "DENY"})
	}
	d.Reasons = append(denies, reviews...)
	return d
}

// Engine evaluates an immutable, compiled policy set. Implementations must be
// safe for concurrent use, do no I/O, and be deterministic: the same Input and
// scope always give the same Result.
type Engine interface {
	// Evaluate runs the rules of scope against in. An error means the engine
	// could not decide; callers must fail closed.
	Evaluate(ctx context.Context, in *Input, scope Scope) (Result, error)
	// Revision is the content hash of the compiled policy set.
	Revision() string
}

// BothEvaluator is implemented by engines that can evaluate the static and
// the dynamic scope in one pass, sharing the work the two scopes have in
// common. The results must equal Evaluate(ScopeStatic) and
// Evaluate(ScopeDynamic).
type BothEvaluator interface {
	EvaluateBoth(ctx context.Context, in *Input) (static, dynamic Result, err error)
}

// Error is the single error type of both engines.
type Error struct {
	// Code is one of compile_error, eval_error, eval_canceled,
	// cost_limit_exceeded, undefined_decision, test_failure.
	Code string
	// Rule names the file or rule, with "file:line" where known.
	Rule string
	Err  error
}

func (e *Error) Error() string {
	if e.Rule != "" {
		return fmt.Sprintf("policies: %s in %s: %v", e.Code, e.Rule, e.Err)
	}
	return fmt.Sprintf("policies: %s: %v", e.Code, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsCompileError reports whether err is a policy compile error.
func IsCompileError(err error) bool {
	var pe *Error
	return errors.As(err, &pe) && pe.Code == "compile_error"
}
