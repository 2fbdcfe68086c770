package sidecar

import (
	"context"
	"errors"
	"fmt"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// Adapter is one chain's translation between native requests and gateway
// checks. Req is the native request (a JSON-RPC call, a SEP-8 envelope) and
// Resp what goes back to the native client.
//
// Handle is the only caller: Forward runs only after every check came back
// ALLOW or when Translate found nothing to check.
type Adapter[Req, Resp any] interface {
	// Name labels metrics and logs ("evm", "stellar").
	Name() string
	// Translate maps the request to the checks that clear it. No checks and no
	// error means the request moves no regulated token and passes through. An
	// error refuses the request (it was recognised but cannot be cleared, for
	// example an amount beyond int64).
	Translate(ctx context.Context, req Req) (Translation, error)
	// Forward sends a cleared (or unregulated) request on to the ledger.
	Forward(ctx context.Context, req Req, out Outcome) (Resp, error)
	// Refuse answers a request that is not forwarded: denied, parked for
	// review, invalid, or failed closed.
	Refuse(ctx context.Context, req Req, out Outcome) (Resp, error)
}

// Translation is what an adapter found in a native request.
type Translation struct {
	// Key identifies the request across resubmissions (the transaction hash);
	// it becomes every check's request_id (suffixed "#i" for batch items) and
	// keys the pending-case map.
	Key string
	// Checks are the gateway checks; empty means passthrough.
	Checks []*gatewayv1.CheckRequest
}

// Kind is the outcome class of a handled request.
type Kind int

// Outcome kinds. The zero value refuses.
const (
	KindFailedClosed Kind = iota
	KindAllowed
	KindDenied
	KindReview
	KindPassthrough
	KindInvalid
)

// String returns the metric label of k.
func (k Kind) String() string {
	switch k {
	case KindAllowed:
		return "forwarded"
	case KindDenied, KindInvalid:
		return "denied"
	case KindReview:
		return "review"
	case KindPassthrough:
		return "passthrough"
	default:
		return "failed_closed"
	}
}

// Outcome is the combined result of clearing one native request.
type Outcome struct {
	Kind Kind
	// Key is the translation's key.
	Key string
	// Verdicts are the gateway verdicts, in check order (empty on
	// passthrough, invalid and failed closed).
	Verdicts []*gatewayv1.Verdict
	// CaseID is set on REVIEW.
	CaseID string
	// Err explains KindFailedClosed and KindInvalid.
	Err error
}

// DecisionIDs lists the verdicts' decision ids.
func (o Outcome) DecisionIDs() []string {
	ids := make([]string, 0, len(o.Verdicts))
	for _, v := range o.Verdicts {
		if v.GetDecisionId() != "" {
			ids = append(ids, v.GetDecisionId())
		}
	}
	return ids
}

// ReasonCodes lists the distinct reason codes of the verdicts that are not
// ALLOW, in order of first appearance.
func (o Outcome) ReasonCodes() []string {
	var codes []string
	seen := map[string]bool{}
	for _, v := range o.Verdicts {
		if v.GetDecision() == gatewayv1.Decision_ALLOW {
			continue
		}
		for _, r := range v.GetReasons() {
			if r.GetCode() != "" && !seen[r.GetCode()] {
				seen[r.GetCode()] = true
				codes = append(codes, r.GetCode())
			}
		}
	}
	return codes
}

// Retryable reports whether any refusing verdict is marked retryable, or the
// request failed closed (the gateway may answer later).
func (o Outcome) Retryable() bool {
	if o.Kind == KindFailedClosed {
		return true
	}
	for _, v := range o.Verdicts {
		if v.GetDecision() != gatewayv1.Decision_ALLOW && v.GetRetryable() {
			return true
		}
	}
	return false
}

// ErrInvalid marks a recognised request that cannot be cleared (malformed
// call data, an amount out of range). Adapters wrap it in Translate errors.
var ErrInvalid = errors.New("sidecar: invalid request")

// Handle clears req through r and lets the adapter forward or refuse it.
// It is the one place the forward decision is made.
func Handle[Req, Resp any](ctx context.Context, r *Runner, a Adapter[Req, Resp], req Req) (Resp, error) {
	tr, err := a.Translate(ctx, req)
	var out Outcome
	switch {
	case err != nil:
		out = Outcome{Kind: KindInvalid, Key: tr.Key, Err: fmt.Errorf("%w: %w", ErrInvalid, err)}
	case len(tr.Checks) == 0:
		out = Outcome{Kind: KindPassthrough, Key: tr.Key}
	default:
		out = r.Clear(ctx, tr)
	}
	r.count(a.Name(), out)
	r.log(ctx, a.Name(), out)
	if out.Kind == KindAllowed || out.Kind == KindPassthrough {
		return a.Forward(ctx, req, out)
	}
	return a.Refuse(ctx, req, out)
}
