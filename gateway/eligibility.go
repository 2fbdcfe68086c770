package gateway

import (
	"context"
	"errors"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// Eligibility answers "may this wallet receive / send this asset?" from the
// static (eligibility) rules alone: amounts, balances and lockups are not
// part of the question.
type Eligibility struct {
	CanReceive     bool
	CanSend        bool
	ReceiveReasons []policies.Reason
	SendReasons    []policies.Reason
	Revision       string
	EvaluatedAt    time.Time
	// ValidUntil is the next instant a fact's time boundary may change the
	// answer (KYC expiry, effective dates, locks), capped at now + TTL.
	ValidUntil time.Time
}

// Eligibility evaluates the static rules for wallet as recipient and as
// sender of a TRANSFER of assetID at instant at (zero = now).
func (x *Decider) Eligibility(ctx context.Context, assetID, wallet string, at time.Time) (Eligibility, error) {
	return x.eligibility(ctx, assetID, wallet, at, false)
}

// eligibility evaluates at instant at; exact forces the registry reads to
// be as of at even when at is within HistoricalSkew of now.
func (x *Decider) eligibility(ctx context.Context, assetID, wallet string, at time.Time, exact bool) (Eligibility, error) {
	now := x.d.Clock()
	historical := false
	if at.IsZero() {
		at = now
	} else if exact || at.Before(now.Add(-x.d.HistoricalSkew)) {
		historical = true
	}
	ctx, cancel := context.WithTimeout(ctx, x.d.Timeout)
	defer cancel()
	eng := x.d.Engine
	if s, ok := eng.(snapshotter); ok {
		eng = s.Current()
	}
	out := Eligibility{Revision: eng.Revision(), EvaluatedAt: now}
	r := CheckRequest{Action: policies.ActionTransfer, AssetID: assetID, FromWallet: wallet, ToWallet: wallet, Amount: "0"}
	in, err := x.gather(ctx, &r, at, historical)
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			if fe.Field == "from_wallet" || fe.Field == "to_wallet" {
				fe.Field = "wallet"
			}
			return out, fe
		}
		reason := []policies.Reason{{Code: policies.CodeStaleFacts, Message: "facts could not be gathered", Policy: "gateway", Effect: "DENY"}}
		if errors.Is(err, context.DeadlineExceeded) {
			reason[0].Code = policies.CodeIndeterminate
		}
		out.ReceiveReasons, out.SendReasons = reason, reason
		return out, nil
	}
	// The question is about a TRANSFER, asked one side at a time: receiving
	// is evaluated as the recipient-only action (ISSUANCE) and sending as
	// the sender-only action (BURN), with the TRANSFER pause flags.
	party := in.To
	paused := transferPause(in.Asset.PausedActions)
	recv := *in
	recv.Action = policies.ActionIssuance
	recv.From, recv.FromWallet = nil, ""
	recv.To = party
	recv.Asset.PausedActions = swapPause(paused, policies.ActionIssuance)
	send := *in
	send.Action = policies.ActionBurn
	send.To, send.ToWallet = nil, ""
	send.From = party
	send.Asset.PausedActions = swapPause(paused, policies.ActionBurn)
	eval := func(p *policies.Input) (bool, []policies.Reason) {
		res, err := eng.Evaluate(ctx, p, policies.ScopeStatic)
		if err != nil {
			return false, []policies.Reason{{Code: policies.CodePolicyError, Message: err.Error(), Policy: "gateway", Effect: "DENY"}}
		}
		d := policies.Combine(out.Revision, res)
		return d.Effect == policies.Allow, d.Reasons
	}
	out.CanReceive, out.ReceiveReasons = eval(&recv)
	out.CanSend, out.SendReasons = eval(&send)
	out.ValidUntil = nextBoundary(in, at, at.Add(60*time.Second))
	return out, nil
}

// nextBoundary returns the earliest time boundary strictly after at carried
// by the parties' facts, or limit.
func nextBoundary(in *policies.Input, at, limit time.Time) time.Time {
	best := limit
	consider := func(sec int64) {
		if sec == 0 {
			return
		}
		t := time.Unix(sec, 0)
		if t.After(at) && t.Before(best) {
			best = t
		}
	}
	for _, p := range []*policies.PartyFacts{in.From, in.To} {
		if p == nil {
			continue
		}
		consider(p.Investor.KYCExpiresAt)
		consider(p.Investor.EffectiveFrom)
		consider(p.Investor.EffectiveTo)
		consider(p.Investor.LockedUntil)
	}
	return best
}

// EligibleAt reports whether wallet could receive assetID at instant at,
// evaluated on the facts in force then. It backs the registry's "who was
// eligible when" query.
func (x *Decider) EligibleAt(ctx context.Context, assetID, wallet string, at time.Time) (bool, []policies.Reason, error) {
	e, err := x.eligibility(ctx, assetID, wallet, at, true)
	if err != nil {
		return false, nil, err
	}
	return e.CanReceive, e.ReceiveReasons, nil
}

// transferPause reports whether TRANSFER is paused (or everything is).
func transferPause(paused []string) bool {
	for _, p := range paused {
		if p == string(policies.ActionTransfer) || p == "ALL" {
			return true
		}
	}
	return false
}

// swapPause returns pause flags that pause action exactly when TRANSFER is.
func swapPause(transferPaused bool, action policies.Action) []string {
	if transferPaused {
		return []string{string(action)}
	}
	return nil
}
