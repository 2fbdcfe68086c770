package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/gateway/decisionlog"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// MaxAmountDigits bounds the length of an amount string before parsing.
const MaxAmountDigits = 40

// CheckRequest is one request to clear, in domain form.
type CheckRequest struct {
	Action     policies.Action
	AssetID    string
	FromWallet string
	ToWallet   string
	Amount     string
	Venue      string
	RequestID  string
	// At is the instant to evaluate at; zero means now.
	At time.Time
	// Caller is the authenticated principal's name.
	Caller string
	// Origin names what asked ("api", "ledger:<op id>", "sidecar:evm", ...).
	Origin string
}

// Verdict is the decision on one CheckRequest.
type Verdict struct {
	Decision    policies.Effect
	Reasons     []policies.Reason
	DecisionID  string
	Revision    string
	ListVersion string
	EvaluatedAt time.Time
	AsOf        time.Time
	Cached      bool
	Retryable   bool
	Historical  bool
	CaseID      string
	RequestID   string
	// Input is the gathered facts (nil when the request failed validation).
	Input *policies.Input `json:"-"`
}

// FieldError is a validation failure of one request field. It maps to
// InvalidArgument.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// VerdictCache caches the static (eligibility) part of decisions.
type VerdictCache interface {
	Lookup(ctx context.Context, in *policies.Input, revision string, compute func(context.Context) (policies.Result, error)) (policies.Result, string, error)
}

// snapshotter is implemented by hot-swappable engines: Current returns the
// engine in force, so revision and evaluation come from the same set.
type snapshotter interface {
	Current() policies.Engine
}

// Deps are the decider's collaborators. Registry and Engine are required.
type Deps struct {
	Registry  RegistryReader
	Engine    policies.Engine
	Holdings  HoldingsReader
	Screener  Screener
	AML       AMLScorer
	Escalator Escalator
	Holds     HoldChecker
	Cache     VerdictCache
	Log       *decisionlog.Logger
	Clock     func() time.Time
	Logger    *slog.Logger
	// Timeout bounds one decision; past it the answer is DENY INDETERMINATE.
	Timeout time.Duration
	// HistoricalSkew: an `at` older than now minus this is a historical check.
	HistoricalSkew time.Duration
}

// Decider gathers facts, evaluates the policies and logs every decision.
type Decider struct {
	d         Deps
	log       *slog.Logger
	decisions *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	stages    *prometheus.HistogramVec
}

// NewDecider builds a Decider and registers its metrics on reg.
func NewDecider(d Deps, reg prometheus.Registerer) (*Decider, error) {
	if d.Registry == nil || d.Engine == nil {
		return nil, errors.New("gateway: decider needs a registry and an engine")
	}
	if d.Clock == nil {
		d.Clock = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Timeout <= 0 {
		d.Timeout = 2 * time.Second
	}
	if d.HistoricalSkew <= 0 {
		d.HistoricalSkew = 5 * time.Second
	}
	x := &Decider{
		d:   d,
		log: d.Logger.With("component", "decider"),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clearance_decisions_total", Help: "Decisions by action and outcome.",
		}, []string{"action", "decision", "cached"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "clearance_decision_duration_seconds", Help: "Time to decide one check.",
			Buckets: []float64{25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 25e-3, 100e-3, 1},
		}, []string{"action"}),
		stages: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "clearance_decision_stage_seconds", Help: "Time per decision stage (gather, static, dynamic).",
			Buckets: []float64{5e-6, 25e-6, 100e-6, 500e-6, 2.5e-3, 10e-3, 100e-3},
		}, []string{"stage"}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{x.decisions, x.latency, x.stages} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("gateway: register metrics: %w", err)
			}
		}
	}
	return x, nil
}

// Engine returns the policy engine in force.
func (x *Decider) Engine() policies.Engine { return x.d.Engine }

// Registry returns the registry reader.
func (x *Decider) Registry() RegistryReader { return x.d.Registry }

// NewDecisionID returns a time-ordered random id.
func NewDecisionID(now time.Time) string {
	var b [10]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("dec_%012x%s", now.UnixMilli(), hex.EncodeToString(b[:]))
}

// ParseAmount validates an amount string against the asset's decimals and
// returns it in smallest units. decimals < 0 means "unknown asset".
func ParseAmount(s string, decimals int) (int64, error) {
	if s == "" {
		return 0, &FieldError{"amount", "is required (an integer in the asset's smallest unit)"}
	}
	if len(s) > MaxAmountDigits {
		return 0, &FieldError{"amount", "is too long"}
	}
	if strings.HasPrefix(s, "-") {
		return 0, &FieldError{"amount", "must not be negative"}
	}
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac := strings.TrimRight(s[i+1:], "0")
		if decimals >= 0 && len(frac) > decimals {
			return 0, &FieldError{"amount", fmt.Sprintf("%q has more precision than the asset's %d decimals; amounts are integers in the smallest unit", s, decimals)}
		}
		return 0, &FieldError{"amount", fmt.Sprintf("%q is not an integer; amounts are integers in the asset's smallest unit", s)}
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return 0, &FieldError{"amount", fmt.Sprintf("%q is not a non-negative integer", s)}
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, &FieldError{"amount", fmt.Sprintf("%q exceeds the maximum of 9223372036854775807 smallest units", s)}
	}
	return n, nil
}

// sides reports which parties an action needs.
func sides(a policies.Action) (needFrom, needTo bool) {
	switch a {
	case policies.ActionIssuance:
		return false, true
	case policies.ActionBurn:
		return true, false
	case policies.ActionRedemption:
		return true, false // the recipient defaults to the asset's redemption wallet
	default:
		return true, true
	}
}

// Validate checks the request's shape (not the facts).
func Validate(r *CheckRequest) error {
	if !r.Action.Valid() {
		if r.Action == "" {
			return &FieldError{"action", "is required (one of ISSUANCE, TRANSFER, REDEMPTION, DISTRIBUTION, BURN, RECOVERY, FORCED_TRANSFER)"}
		}
		return &FieldError{"action", fmt.Sprintf("unknown action %q", r.Action)}
	}
	if r.AssetID == "" {
		return &FieldError{"asset_id", "is required"}
	}
	if len(r.AssetID) > 128 {
		return &FieldError{"asset_id", "is longer than 128 characters"}
	}
	needFrom, needTo := sides(r.Action)
	if needFrom && r.FromWallet == "" {
		return &FieldError{"from_wallet", fmt.Sprintf("is required for %s", r.Action)}
	}
	if needTo && r.ToWallet == "" {
		return &FieldError{"to_wallet", fmt.Sprintf("is required for %s", r.Action)}
	}
	for f, v := range map[string]string{"from_wallet": r.FromWallet, "to_wallet": r.ToWallet, "venue": r.Venue, "request_id": r.RequestID} {
		if len(v) > 256 {
			return &FieldError{f, "is longer than 256 characters"}
		}
	}
	if _, err := ParseAmount(r.Amount, -1); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) && !strings.Contains(fe.Message, "precision") && !strings.Contains(fe.Message, "not an integer") {
			return err
		}
	}
	return nil
}

// Check decides one request. An error is returned only for invalid input
// (a *FieldError); every other failure is a fail-closed DENY verdict.
func (x *Decider) Check(ctx context.Context, r CheckRequest) (Verdict, error) {
	start := x.d.Clock()
	if err := Validate(&r); err != nil {
		return Verdict{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, x.d.Timeout)
	defer cancel()

	eng := x.d.Engine
	if s, ok := eng.(snapshotter); ok {
		eng = s.Current()
	}
	v := Verdict{DecisionID: NewDecisionID(start), Revision: eng.Revision(), EvaluatedAt: start, RequestID: r.RequestID}
	at := r.At
	if at.IsZero() {
		at = start
	} else if at.Before(start.Add(-x.d.HistoricalSkew)) {
		v.Historical = true
	}
	v.AsOf = at

	in, err := x.gather(ctx, &r, at, v.Historical)
	tGathered := x.d.Clock()
	x.stages.WithLabelValues("gather").Observe(tGathered.Sub(start).Seconds())
	if err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			return Verdict{}, fe
		}
		x.failClosed(&v, err)
	} else {
		v.Input = in
		v.ListVersion = in.ListVersion
		x.evaluate(ctx, eng, in, &v)
	}
	if v.Decision == policies.Review && x.d.Escalator != nil && in != nil {
		// The case's risk is the higher of the two parties' scores.
		var score int64
		if in.From != nil {
			score = in.From.AML.Score
		}
		if in.To != nil {
			score = max(score, in.To.AML.Score)
		}
		origin := r.Origin
		if origin == "" {
			origin = "check"
		}
		caseID, err := x.d.Escalator.OpenCase(ctx, CaseRequest{DecisionID: v.DecisionID, Input: in, Reasons: v.Reasons, RiskScore: score, Origin: origin, RequestedBy: r.Caller})
		if err != nil {
			x.log.ErrorContext(ctx, "opening review case failed", "decision_id", v.DecisionID, "err", err)
		} else {
			v.CaseID = caseID
		}
	}
	end := x.d.Clock()
	x.latency.WithLabelValues(string(r.Action)).Observe(end.Sub(start).Seconds())
	x.decisions.WithLabelValues(string(r.Action), v.Decision.String(), strconv.FormatBool(v.Cached)).Inc()
	x.logDecision(r, v, end.Sub(start))
	return v, nil
}

func (x *Decider) failClosed(v *Verdict, err error) {
	v.Decision = policies.Deny
	v.Retryable = true
	code, msg := policies.CodeStaleFacts, "facts could not be gathered"
	var se *screeningError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code, msg = policies.CodeIndeterminate, "the decision timed out"
	case errors.As(err, &se):
		code, msg = policies.CodeScreeningUnavailable, "sanctions screening is unavailable"
	}
	v.Reasons = []policies.Reason{{Code: code, Message: msg, Policy: "gateway", Effect: "DENY"}}
	x.log.Error("check failed closed", "decision_id", v.DecisionID, "code", code, "err", err)
}

func (x *Decider) evaluate(ctx context.Context, eng policies.Engine, in *policies.Input, v *Verdict) {
	// An engine that evaluates both scopes in one pass shares the rules the
	// scopes have in common; on a cache miss the dynamic result of that pass
	// is kept, so the dynamic scope is not evaluated twice.
	both, _ := eng.(policies.BothEvaluator)
	var dynamic *policies.Result
	compute := func(ctx context.Context) (policies.Result, error) {
		if both != nil {
			s, d, err := both.EvaluateBoth(ctx, in)
			if err != nil {
				return s, err
			}
			dynamic = &d
			return s, nil
		}
		return eng.Evaluate(ctx, in, policies.ScopeStatic)
	}
	t0 := x.d.Clock()
	var static policies.Result
	var err error
	if x.d.Cache != nil && !v.Historical {
		var tier string
		static, tier, err = x.d.Cache.Lookup(ctx, in, v.Revision, compute)
		v.Cached = tier != ""
	} else {
		static, err = compute(ctx)
	}
	t1 := x.d.Clock()
	x.stages.WithLabelValues("static").Observe(t1.Sub(t0).Seconds())
	if err != nil {
		x.engineFailed(ctx, v, err)
		return
	}
	if dynamic == nil {
		d, err := eng.Evaluate(ctx, in, policies.ScopeDynamic)
		if err != nil {
			x.engineFailed(ctx, v, err)
			return
		}
		dynamic = &d
	}
	x.stages.WithLabelValues("dynamic").Observe(x.d.Clock().Sub(t1).Seconds())
	d := policies.Combine(v.Revision, static, *dynamic)
	v.Decision, v.Reasons = d.Effect, d.Reasons
}

func (x *Decider) engineFailed(ctx context.Context, v *Verdict, err error) {
	v.Decision = policies.Deny
	v.Retryable = true
	code := policies.CodePolicyError
	if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
		code = policies.CodeIndeterminate
	}
	v.Reasons = []policies.Reason{{Code: code, Message: "the policy could not be evaluated: " + err.Error(), Policy: "gateway", Effect: "DENY"}}
	x.log.Error("policy evaluation failed; denying", "decision_id", v.DecisionID, "err", err)
}

type screeningError struct{ err error }

func (e *screeningError) Error() string { return "screening: " + e.err.Error() }
func (e *screeningError) Unwrap() error { return e.err }

func unix(t *time.Time) int64 {
	if t == nil || t.IsZero() {
		return 0
	}
	return t.Unix()
}

// gather reads every fact the policies may consult. A *FieldError means bad
// input; any other error fails the check closed.
func (x *Decider) gather(ctx context.Context, r *CheckRequest, at time.Time, historical bool) (*policies.Input, error) {
	asOf := time.Time{}
	if historical {
		asOf = at
	}
	in := &policies.Input{Action: r.Action, AssetID: r.AssetID, Venue: r.Venue, Now: at.Unix()}
	asset, err := x.d.Registry.Asset(ctx, r.AssetID, asOf)
	decimals := -1
	switch {
	case errors.Is(err, registry.ErrNotFound):
		in.Asset = policies.AssetFacts{Known: false, ID: r.AssetID}
	case err != nil:
		return nil, fmt.Errorf("gateway: read asset %s: %w", r.AssetID, err)
	default:
		in.Asset = assetFacts(asset)
		decimals = asset.Decimals
	}
	amt, err := ParseAmount(r.Amount, decimals)
	if err != nil {
		return nil, err
	}
	in.Amount = amt

	if x.d.Screener != nil {
		in.ListVersion = x.d.Screener.ListVersion()
	}
	to := r.ToWallet
	if r.Action == policies.ActionRedemption && to == "" {
		to = asset.RedemptionWallet
	}
	if r.FromWallet != "" {
		p, err := x.party(ctx, &asset, in, r.FromWallet, "from_wallet", at, asOf)
		if err != nil {
			return nil, err
		}
		in.From = p
		in.FromWallet = p.Wallet.Address
	}
	if to != "" {
		if to == r.FromWallet && in.From != nil {
			in.To = in.From
		} else {
			p, err := x.party(ctx, &asset, in, to, "to_wallet", at, asOf)
			if err != nil {
				return nil, err
			}
			in.To = p
		}
		in.ToWallet = in.To.Wallet.Address
	}
	// Holder counts feed only the holder caps; an asset without caps does
	// not pay for counting.
	if x.d.Holdings != nil && in.Asset.Known && (in.Asset.MaxHolders > 0 || len(in.Asset.MaxHoldersPerJurisdiction) > 0) {
		total, byJ, err := x.d.Holdings.HolderCounts(ctx, r.AssetID)
		if err != nil {
			return nil, fmt.Errorf("gateway: holder counts: %w", err)
		}
		in.Asset.HolderCount, in.Asset.HolderCountByJurisdiction = total, byJ
	}
	if x.d.AML != nil && in.Asset.Known {
		// Each party is scored from its own side and profile: the sender's
		// payments, the recipient's receipts against its expected range.
		for i, p := range []*policies.PartyFacts{in.From, in.To} {
			if p == nil || !p.Known || (i == 1 && p == in.From) {
				continue
			}
			aml, err := x.d.AML.Score(ctx, in, p)
			if err != nil {
				return nil, fmt.Errorf("gateway: aml score: %w", err)
			}
			p.AML = aml
		}
	}
	return in, nil
}

func assetFacts(a registry.Asset) policies.AssetFacts {
	p := a.Params
	f := policies.AssetFacts{
		Known: true, ID: a.ID, Ticker: a.Ticker, Decimals: a.Decimals, Version: a.Version, Pack: a.Pack,
		PausedActions: a.PausedActions, AllowedJurisdictions: p.AllowedJurisdictions, BlockedJurisdictions: p.BlockedJurisdictions,
		AllowedCategories: p.AllowedCategories, Parties: p.Parties, LockupDays: p.LockupDays, RedeemInLockup: p.RedeemInLockup,
		MaxHolders: p.MaxHolders, MaxHoldersPerJurisdiction: p.MaxHoldersPerJurisdiction, MaxBalancePerInvestor: p.MaxBalancePerInvestor,
		MinInvestment: p.MinInvestment, MaxInvestment: p.MaxInvestment, RequireWhitelist: p.RequireWhitelist,
		ReviewScore: p.ReviewScore, EscalateScore: p.EscalateScore, TreasuryWallet: a.TreasuryWallet, RedemptionWallet: a.RedemptionWallet,
	}
	if f.Parties == "" {
		f.Parties = "recipient"
	}
	if f.ReviewScore == 0 {
		f.ReviewScore = 40
	}
	if f.EscalateScore == 0 {
		f.EscalateScore = 80
	}
	f.AMLReviewRatioPct, f.AMLEscalateRatioPct = p.AMLReviewRatioPct, p.AMLEscalateRatioPct
	if f.AMLReviewRatioPct == 0 {
		f.AMLReviewRatioPct = 300
	}
	if f.AMLEscalateRatioPct == 0 {
		f.AMLEscalateRatioPct = 600
	}
	for _, c := range p.Conditions {
		f.Conditions = append(f.Conditions, policies.Condition{ID: c.ID, Expr: c.Expr, Effect: c.Effect, Code: c.Code, Message: c.Message})
	}
	return f
}

func (x *Decider) party(ctx context.Context, asset *registry.Asset, in *policies.Input, raw, field string, at, asOf time.Time) (*policies.PartyFacts, error) {
	_, addr, err := registry.NormalizeAddress(raw)
	if err != nil {
		return nil, &FieldError{field, err.Error()}
	}
	p := &policies.PartyFacts{Wallet: policies.WalletFacts{Address: addr}}
	if in.Asset.Known {
		p.IsTreasury = sameAddr(addr, asset.TreasuryWallet)
		p.IsRedemption = sameAddr(addr, asset.RedemptionWallet)
	}
	w, err := x.d.Registry.Wallet(ctx, addr, asOf)
	if errors.Is(err, registry.ErrNotFound) {
		p.Screening = policies.ScreeningFacts{Status: "CLEAR"}
		if x.d.Screener != nil {
			s, err := x.d.Screener.Status(ctx, "", addr)
			if err != nil {
				return nil, &screeningError{err}
			}
			p.Screening = s
		}
		return p, nil // unknown wallet: Known stays false
	}
	if err != nil {
		return nil, fmt.Errorf("gateway: read wallet: %w", err)
	}
	p.Wallet = policies.WalletFacts{Address: w.Address, Chain: w.Chain, Verified: w.Verified, Active: w.Active, Frozen: w.Frozen, FrozenAmount: w.FrozenAmount, Version: w.Version}
	inv, err := x.d.Registry.Investor(ctx, w.InvestorID, asOf)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return p, nil
	case err != nil:
		return nil, fmt.Errorf("gateway: read investor: %w", err)
	}
	p.Known = true
	p.Investor = policies.InvestorFacts{
		Known: true, ID: inv.ID, Status: inv.Status, EffectiveFrom: unix(&inv.EffectiveFrom), EffectiveTo: unix(inv.EffectiveTo),
		KYCExpiresAt: unix(inv.KYCExpiresAt), Category: inv.Category, Jurisdiction: inv.Jurisdiction, Type: inv.Type, Active: inv.Active,
		LockedUntil: unix(inv.LockedUntil), ExpectedMin: inv.ExpectedMin, ExpectedMax: inv.ExpectedMax, Version: inv.Version,
	}
	if in.Asset.Known {
		wl, err := x.d.Registry.Whitelisted(ctx, asset.ID, inv.ID, asOf)
		if err != nil {
			return nil, fmt.Errorf("gateway: read whitelist: %w", err)
		}
		p.Investor.Whitelisted = wl
		if x.d.Holdings != nil {
			ws, err := x.d.Registry.WalletsOf(ctx, inv.ID, asOf)
			if err != nil {
				return nil, fmt.Errorf("gateway: read investor wallets: %w", err)
			}
			addrs := make([]string, 0, len(ws))
			for _, w := range ws {
				addrs = append(addrs, w.Address)
			}
			h, err := x.d.Holdings.Holding(ctx, asset.ID, addr, addrs, at)
			if err != nil {
				return nil, fmt.Errorf("gateway: read holdings: %w", err)
			}
			p.Holding = h
		}
		if x.d.Holds != nil {
			held, err := x.d.Holds.Held(ctx, asset.ID, addr)
			if err != nil {
				return nil, fmt.Errorf("gateway: read reconciliation holds: %w", err)
			}
			p.Hold = held
		}
	}
	if x.d.Screener != nil {
		s, err := x.d.Screener.Status(ctx, inv.ID, addr)
		if err != nil {
			return nil, &screeningError{err}
		}
		p.Screening = s
	} else {
		p.Screening = policies.ScreeningFacts{Status: "CLEAR"}
	}
	return p, nil
}

func sameAddr(a, b string) bool {
	if b == "" {
		return false
	}
	if a == b {
		return true
	}
	_, nb, err := registry.NormalizeAddress(b)
	return err == nil && nb == a
}

// logDecision queues the decision for the durable log; JSON encoding happens
// on the log writer's goroutine.
func (x *Decider) logDecision(r CheckRequest, v Verdict, latency time.Duration) {
	if x.d.Log == nil {
		return
	}
	in := v.Input
	x.d.Log.Append(decisionlog.Entry{
		Kind: "decision", DecisionID: v.DecisionID, Time: v.EvaluatedAt.UTC(), Caller: r.Caller,
		Decision: v.Decision.String(), Revision: v.Revision, LatencyUS: latency.Microseconds(),
		Build: func(e *decisionlog.Entry) {
			rq := r
			e.Request, _ = json.Marshal(requestJSON(rq))
			if in != nil {
				e.Facts, _ = json.Marshal(in)
			}
			e.Verdict, _ = json.Marshal(verdictJSON(v))
		},
	})
}

type requestRecord struct {
	Action     string `json:"action"`
	AssetID    string `json:"asset_id"`
	FromWallet string `json:"from_wallet,omitempty"`
	ToWallet   string `json:"to_wallet,omitempty"`
	Amount     string `json:"amount"`
	Venue      string `json:"venue,omitempty"`
	RequestID  string `json:"request_id,omitempty"`
	At         string `json:"at,omitempty"`
	Origin     string `json:"origin,omitempty"`
}

func requestJSON(r CheckRequest) requestRecord {
	rr := requestRecord{Action: string(r.Action), AssetID: r.AssetID, FromWallet: r.FromWallet, ToWallet: r.ToWallet, Amount: r.Amount, Venue: r.Venue, RequestID: r.RequestID, Origin: r.Origin}
	if !r.At.IsZero() {
		rr.At = r.At.UTC().Format(time.RFC3339Nano)
	}
	return rr
}

type verdictRecord struct {
	Decision    string            `json:"decision"`
	Reasons     []policies.Reason `json:"reasons"`
	DecisionID  string            `json:"decision_id"`
	Revision    string            `json:"policy_revision"`
	ListVersion string            `json:"list_version,omitempty"`
	EvaluatedAt string            `json:"evaluated_at"`
	AsOf        string            `json:"as_of"`
	Cached      bool              `json:"cached"`
	Retryable   bool              `json:"retryable"`
	Historical  bool              `json:"historical"`
	CaseID      string            `json:"case_id,omitempty"`
	RequestID   string            `json:"request_id,omitempty"`
}

func verdictJSON(v Verdict) verdictRecord {
	return verdictRecord{Decision: v.Decision.String(), Reasons: v.Reasons, DecisionID: v.DecisionID, Revision: v.Revision, ListVersion: v.ListVersion,
		EvaluatedAt: v.EvaluatedAt.UTC().Format(time.RFC3339Nano), AsOf: v.AsOf.UTC().Format(time.RFC3339Nano), Cached: v.Cached, Retryable: v.Retryable,
		Historical: v.Historical, CaseID: v.CaseID, RequestID: v.RequestID}
}

// Settle appends the final outcome of a reviewed decision to the log.
func (x *Decider) Settle(ctx context.Context, decisionID string, final policies.Effect, actor, note string) error {
	if x.d.Log == nil {
		return errors.New("gateway: no decision log")
	}
	x.d.Log.Append(decisionlog.Entry{Kind: "settlement", DecisionID: decisionID, Time: x.d.Clock().UTC(), Caller: actor, Decision: final.String(), Note: note})
	return nil
}

// CheckBatch decides many requests concurrently with at most workers in
// flight. Results are in request order; errs[i] is set for an invalid item.
func (x *Decider) CheckBatch(ctx context.Context, rs []CheckRequest, workers int) ([]Verdict, []error) {
	out := make([]Verdict, len(rs))
	errs := make([]error, len(rs))
	if workers <= 0 {
		workers = 8
	}
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers && w < len(rs); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = x.Check(ctx, rs[i])
			}
		}()
	}
	for i := range rs {
		next <- i
	}
	close(next)
	wg.Wait()
	return out, errs
}
