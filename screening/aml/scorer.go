package aml

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/clearancehq/clearance/policies"
)

// Variables lists the feature variables a Feature expression may use and
// their CEL types. Velocity figures are for the party's side of the
// movement, before this request; "in_*" and "out_*" are receipts and
// payments of the investor across all of its wallets.
var Variables = []struct{ Name, Type, Doc string }{
	{"amount", "int", "amount of the request, smallest units"},
	{"expected_min", "int", "investor's declared expected minimum"},
	{"expected_max", "int", "investor's declared expected maximum (0 = not declared)"},
	{"amount_ratio_pct", "int", "amount*100/expected_max (0 when expected_max is 0)"},
	{"in_month_ratio_pct", "int", "(30-day receipts, plus amount if receiving)*100/expected_max"},
	{"out_month_ratio_pct", "int", "(30-day payments, plus amount if sending)*100/expected_max"},
	{"max_ratio_pct", "int", "the largest of the three ratios above"},
	{"count_24h", "int", "movements on this side in the day window"},
	{"sum_24h", "int", "their sum"},
	{"count_7d", "int", "movements on this side in the week window"},
	{"sum_7d", "int", "their sum"},
	{"count_30d", "int", "movements on this side in the month window"},
	{"sum_30d", "int", "their sum"},
	{"in_sum_short", "int", "receipts within the short window"},
	{"out_count_short", "int", "payments within the short window"},
	{"counterparty_new", "bool", "the other side's wallet was never seen on this side"},
	{"counterparty_known", "bool", "the other side's wallet is onboarded (known to the registry)"},
	{"fan_out", "int", "distinct new counterparties within the short window, this one included"},
	{"new_counterparties_24h", "int", "distinct new counterparties within the day window, this one included"},
	{"jurisdiction_risk", "int", "country risk of the investor's jurisdiction"},
	{"entity", "bool", "the investor is an ENTITY"},
	{"known", "bool", "the party's wallet is known to the registry"},
	{"outgoing", "bool", "the party is the sender"},
	{"sanctions_score_pct", "int", "screening match score, 0-100"},
	{"sanctions_confirmed", "bool", "confirmed sanctions match"},
	{"sanctions_potential", "bool", "potential match not suppressed by an exception"},
	{"sanctions_unavailable", "bool", "screening status unavailable"},
}

// Scorer computes AML facts. It satisfies the gateway's AMLScorer.
type Scorer struct {
	cfg      Config
	win      Windows
	log      *slog.Logger
	features []compiled
	spans    []int64 // short, day, week, month in seconds
}

type compiled struct {
	name string
	prg  cel.Program
}

// New compiles cfg's expressions (each must type-check to int) and returns
// a Scorer reading and writing windows in win.
func New(cfg Config, win Windows, log *slog.Logger) (*Scorer, error) {
	if win == nil {
		return nil, errors.New("aml: nil windows")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	opts := make([]cel.EnvOption, 0, len(Variables))
	for _, v := range Variables {
		t := cel.IntType
		if v.Type == "bool" {
			t = cel.BoolType
		}
		opts = append(opts, cel.Variable(v.Name, t))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("aml: cel env: %w", err)
	}
	s := &Scorer{cfg: cfg, win: win, log: log.With("component", "aml")}
	for i, f := range cfg.Features {
		ast, iss := env.Compile(f.Expr)
		if iss.Err() != nil {
			return nil, fmt.Errorf("aml: config: features[%d] (%s): %w", i, f.Name, iss.Err())
		}
		if !ast.OutputType().IsExactType(types.IntType) {
			return nil, fmt.Errorf("aml: config: features[%d] (%s): expression yields %s, want int", i, f.Name, ast.OutputType())
		}
		prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
		if err != nil {
			return nil, fmt.Errorf("aml: config: features[%d] (%s): %w", i, f.Name, err)
		}
		s.features = append(s.features, compiled{name: f.Name, prg: prg})
	}
	s.spans = []int64{secs(cfg.Short), secs(cfg.Day), secs(cfg.Week), secs(cfg.Month)}
	return s, nil
}

func secs(d time.Duration) int64 { return int64(d / time.Second) }

// vars is the activation of one evaluation.
type vars struct {
	ints  map[string]int64
	bools map[string]bool
}

func (v *vars) ResolveName(name string) (any, bool) {
	if i, ok := v.ints[name]; ok {
		return types.Int(i), true
	}
	if b, ok := v.bools[name]; ok {
		return types.Bool(b), true
	}
	return nil, false
}

func (v *vars) Parent() interpreter.Activation { return nil }

// Score computes the AML facts of party, one side of in. party must be
// in.From or in.To (compared by pointer, then by wallet address).
func (s *Scorer) Score(ctx context.Context, in *policies.Input, party *policies.PartyFacts) (policies.AMLFacts, error) {
	if in == nil || party == nil {
		return policies.AMLFacts{}, errors.New("aml: score: nil input or party")
	}
	dir, other := side(in, party)
	if dir == 0 {
		return policies.AMLFacts{}, errors.New("aml: score: party is neither side of the request")
	}
	v, ratio, err := s.features0(ctx, in, party, dir, other)
	if err != nil {
		return policies.AMLFacts{}, err
	}
	out := policies.AMLFacts{Features: make(map[string]int64, len(s.features)), AmountRatioPct: ratio}
	var sum int64
	for _, f := range s.features {
		val, _, err := f.prg.ContextEval(ctx, v)
		if err != nil {
			return policies.AMLFacts{}, fmt.Errorf("aml: feature %s: %w", f.name, err)
		}
		n, ok := val.(types.Int)
		if !ok {
			return policies.AMLFacts{}, fmt.Errorf("aml: feature %s: result %v is not an int", f.name, val)
		}
		out.Features[f.name] = int64(n)
		sum = satAdd(sum, int64(n))
	}
	out.Score = min(max(sum, 0), 100)
	return out, nil
}

// side reports the party's direction and the other side's wallet and facts.
func side(in *policies.Input, party *policies.PartyFacts) (Direction, *policies.PartyFacts) {
	switch {
	case party == in.From:
		return Out, in.To
	case party == in.To:
		return In, in.From
	case in.FromWallet != "" && party.Wallet.Address == in.FromWallet:
		return Out, in.To
	case in.ToWallet != "" && party.Wallet.Address == in.ToWallet:
		return In, in.From
	}
	return 0, nil
}

// investorKey keys the windows: the investor, else the wallet.
func investorKey(p *policies.PartyFacts, wallet string) string {
	if p != nil && p.Investor.Known && p.Investor.ID != "" {
		return p.Investor.ID
	}
	if p != nil && p.Wallet.Address != "" {
		wallet = p.Wallet.Address
	}
	if wallet == "" {
		return ""
	}
	return "wallet:" + wallet
}

func (s *Scorer) features0(ctx context.Context, in *policies.Input, party *policies.PartyFacts, dir Direction, other *policies.PartyFacts) (*vars, int64, error) {
	ownWallet, otherWallet := in.FromWallet, in.ToWallet
	if dir == In {
		ownWallet, otherWallet = in.ToWallet, in.FromWallet
	}
	inv := party.Investor
	v := &vars{ints: make(map[string]int64, 24), bools: make(map[string]bool, 10)}
	v.ints["amount"] = in.Amount
	v.ints["expected_min"] = inv.ExpectedMin
	v.ints["expected_max"] = inv.ExpectedMax

	var snap Snapshot
	if key := investorKey(party, ownWallet); key != "" {
		var err error
		snap, err = s.win.Read(ctx, Query{
			Investor: key, Direction: dir, Counterparty: otherWallet, Now: in.Now,
			Spans: s.spans, Short: s.spans[0], Day: s.spans[1],
		})
		if err != nil {
			return nil, 0, fmt.Errorf("aml: windows: %w", err)
		}
	} else {
		snap = Snapshot{In: make([]Total, len(s.spans)), Out: make([]Total, len(s.spans))}
	}
	own := snap.In
	if dir == Out {
		own = snap.Out
	}
	v.ints["count_24h"], v.ints["sum_24h"] = own[1].Count, own[1].Sum
	v.ints["count_7d"], v.ints["sum_7d"] = own[2].Count, own[2].Sum
	v.ints["count_30d"], v.ints["sum_30d"] = own[3].Count, own[3].Sum
	v.ints["in_sum_short"] = snap.In[0].Sum
	v.ints["out_count_short"] = snap.Out[0].Count

	ratio := pct(in.Amount, inv.ExpectedMax)
	inSum, outSum := snap.In[3].Sum, snap.Out[3].Sum
	if dir == In {
		inSum = satAdd(inSum, in.Amount)
	} else {
		outSum = satAdd(outSum, in.Amount)
	}
	inMonth, outMonth := pct(inSum, inv.ExpectedMax), pct(outSum, inv.ExpectedMax)
	v.ints["amount_ratio_pct"] = ratio
	v.ints["in_month_ratio_pct"] = inMonth
	v.ints["out_month_ratio_pct"] = outMonth
	v.ints["max_ratio_pct"] = max(ratio, inMonth, outMonth)

	// The issuer's own treasury and redemption wallets are the asset's
	// entry and exit: never a new counterparty, never fan-out.
	isNew := otherWallet != "" && !snap.CounterpartySeen && !issuerWallet(other)
	add := int64(0)
	if isNew {
		add = 1
	}
	v.bools["counterparty_new"] = isNew
	v.bools["counterparty_known"] = other != nil && other.Known
	v.ints["fan_out"] = snap.FanOut + add
	v.ints["new_counterparties_24h"] = snap.NewCounterparties + add

	risk := s.cfg.DefaultCountryRisk
	if r, ok := s.cfg.CountryRisk[strings.ToUpper(inv.Jurisdiction)]; ok {
		risk = r
	}
	v.ints["jurisdiction_risk"] = risk
	v.bools["entity"] = inv.Type == "ENTITY"
	v.bools["known"] = party.Known
	v.bools["outgoing"] = dir == Out

	sc := party.Screening
	score := sc.Score
	if score <= 1 {
		score *= 100
	}
	if math.IsNaN(score) {
		score = 100 // fail towards risk
	}
	v.ints["sanctions_score_pct"] = int64(min(max(score, 0), 100))
	v.bools["sanctions_confirmed"] = sc.Status == "CONFIRMED"
	v.bools["sanctions_potential"] = sc.Status == "POTENTIAL" && !sc.Exception
	v.bools["sanctions_unavailable"] = sc.Status == "UNAVAILABLE" || sc.Status == ""
	return v, ratio, nil
}

// pct returns a*100/b, saturating, or 0 when b <= 0.
func pct(a, b int64) int64 {
	if b <= 0 || a <= 0 {
		return 0
	}
	if a > math.MaxInt64/100 {
		return a / b * 100
	}
	return a * 100 / b
}

// Observe records a movement that went ahead in both parties' windows: a
// payment for the sender's investor, a receipt for the recipient's.
func (s *Scorer) Observe(ctx context.Context, in *policies.Input) error {
	if in == nil {
		return errors.New("aml: observe: nil input")
	}
	if in.Amount <= 0 {
		return nil
	}
	if key := investorKey(in.From, in.FromWallet); key != "" {
		if err := s.win.Record(ctx, Event{Investor: key, Direction: Out, Counterparty: counterparty(in.To, in.ToWallet), At: in.Now, Amount: in.Amount}); err != nil {
			return fmt.Errorf("aml: observe sender: %w", err)
		}
	}
	if key := investorKey(in.To, in.ToWallet); key != "" {
		if err := s.win.Record(ctx, Event{Investor: key, Direction: In, Counterparty: counterparty(in.From, in.FromWallet), At: in.Now, Amount: in.Amount}); err != nil {
			return fmt.Errorf("aml: observe recipient: %w", err)
		}
	}
	return nil
}

// issuerWallet reports whether p is the asset's treasury or redemption wallet.
func issuerWallet(p *policies.PartyFacts) bool {
	return p != nil && (p.IsTreasury || p.IsRedemption)
}

// counterparty is the wallet recorded as the other side of a movement; the
// issuer's own wallets are recorded as none, so they never count as new
// counterparties or fan-out.
func counterparty(p *policies.PartyFacts, wallet string) string {
	if issuerWallet(p) {
		return ""
	}
	return wallet
}
