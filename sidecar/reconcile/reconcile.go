package reconcile

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/clearancehq/clearance/sidecar"
)

// Holdings is Clearance's view of a wallet's holding of an asset on a chain
// (the positions the ledger keeps from sidecar reports). A wallet Clearance
// does not know holds zero.
type Holdings interface {
	Holding(ctx context.Context, chain, assetID, wallet string) (*big.Int, error)
}

// ChainBalances reads balances from the chain itself (EVM: balanceOf; Stellar:
// the trust line balance).
type ChainBalances interface {
	Balance(ctx context.Context, assetID, wallet string) (*big.Int, error)
}

// Targets lists what to reconcile.
type Targets interface {
	Targets(ctx context.Context) ([]Target, error)
}

// Target is one wallet's holding of one asset.
type Target struct {
	AssetID string `yaml:"asset_id"`
	Wallet  string `yaml:"wallet"`
}

// StaticTargets is a fixed target list.
type StaticTargets []Target

// Targets implements Targets.
func (s StaticTargets) Targets(context.Context) ([]Target, error) { return s, nil }

// Config configures a reconciler.
type Config struct {
	// Enabled runs the scheduled reconciliation (the composition root reads
	// it; New does not).
	Enabled bool `yaml:"enabled"`
	// Chain is the chain name reported with exceptions ("evm", "stellar").
	// Inside an adapter's config it defaults to the adapter's chain.
	Chain string `yaml:"chain"`
	// Interval is the schedule of Run.
	Interval time.Duration `yaml:"interval"`
	// AutoResolve resolves an open balance exception when a later run finds
	// both sides equal again. Off, only Resolve (a person) clears it.
	AutoResolve bool `yaml:"auto_resolve"`
	// MaxTargets bounds one run.
	MaxTargets int `yaml:"max_targets"`
	// Targets is a static list of holdings to reconcile (StaticTargets); a
	// composition root may supply Targets from the registry instead.
	Targets []Target `yaml:"targets"`
}

// DefaultConfig reconciles daily (seed book: a daily reconciliation).
func DefaultConfig() Config {
	return Config{Interval: 24 * time.Hour, MaxTargets: 100_000}
}

// Validate reports the first invalid field.
func (c Config) Validate() error {
	switch {
	case c.Chain == "":
		return errors.New("reconcile: chain is required")
	case c.Interval <= 0:
		return errors.New("reconcile: interval must be positive")
	case c.MaxTargets <= 0:
		return errors.New("reconcile: max_targets must be positive")
	}
	return nil
}

// Mismatch is one disagreement found by a run.
type Mismatch struct {
	Target      Target
	Expected    string // Clearance
	Observed    string // chain
	Difference  string // observed - expected
	ExceptionID string
}

// Report is the result of one run.
type Report struct {
	At         time.Time
	Checked    int
	Mismatches []Mismatch
	Resolved   []string // exception ids auto-resolved
	Errors     []error
}

// Reconciler runs reconciliations; RunOnce is safe for concurrent use (runs
// are serialised).
type Reconciler struct {
	cfg       Config
	clearance Holdings
	chain     ChainBalances
	targets   Targets
	rep       sidecar.Reporter
	log       *slog.Logger
	now       func() time.Time
	mu        sync.Mutex
}

// New returns a reconciler. A nil logger discards.
func New(cfg Config, clearance Holdings, chain ChainBalances, targets Targets, rep sidecar.Reporter, logger *slog.Logger) (*Reconciler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if clearance == nil || chain == nil || targets == nil || rep == nil {
		return nil, errors.New("reconcile: holdings, chain, targets and reporter are required")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Reconciler{cfg: cfg, clearance: clearance, chain: chain, targets: targets, rep: rep,
		log: logger.With("component", "sidecar.reconcile", "chain", cfg.Chain), now: time.Now}, nil
}

// Run reconciles every cfg.Interval until ctx is done, starting now.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.cfg.Interval)
	defer t.Stop()
	for {
		rep, err := r.RunOnce(ctx)
		if err != nil && ctx.Err() == nil {
			r.log.WarnContext(ctx, "reconciliation failed", "err", err)
		} else if err == nil {
			r.log.InfoContext(ctx, "reconciliation done", "checked", rep.Checked, "mismatches", len(rep.Mismatches), "errors", len(rep.Errors))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RunOnce reconciles every target now (on demand).
func (r *Reconciler) RunOnce(ctx context.Context) (Report, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{At: r.now().UTC()}
	targets, err := r.targets.Targets(ctx)
	if err != nil {
		return rep, fmt.Errorf("reconcile: targets: %w", err)
	}
	if len(targets) > r.cfg.MaxTargets {
		return rep, fmt.Errorf("reconcile: %d targets exceed max_targets %d", len(targets), r.cfg.MaxTargets)
	}
	var open map[string]sidecar.Exception // asset|wallet -> open balance exception
	if r.cfg.AutoResolve {
		if open, err = r.openBalanceExceptions(ctx); err != nil {
			return rep, err
		}
	}
	for _, tg := range targets {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		want, err := r.clearance.Holding(ctx, r.cfg.Chain, tg.AssetID, tg.Wallet)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Errorf("reconcile: clearance holding of %s/%s: %w", tg.AssetID, tg.Wallet, err))
			continue
		}
		got, err := r.chain.Balance(ctx, tg.AssetID, tg.Wallet)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Errorf("reconcile: chain balance of %s/%s: %w", tg.AssetID, tg.Wallet, err))
			continue
		}
		rep.Checked++
		if want.Cmp(got) == 0 {
			if x, ok := open[tg.AssetID+"|"+tg.Wallet]; ok {
				note := "balances agree again at " + rep.At.Format(time.RFC3339)
				if err := r.rep.ResolveException(ctx, x.ID, "reconcile", note); err != nil {
					rep.Errors = append(rep.Errors, fmt.Errorf("reconcile: resolve %s: %w", x.ID, err))
				} else {
					rep.Resolved = append(rep.Resolved, x.ID)
				}
			}
			continue
		}
		m := Mismatch{Target: tg, Expected: want.String(), Observed: got.String(), Difference: new(big.Int).Sub(got, want).String()}
		id, err := r.rep.RecordException(ctx, sidecar.Exception{
			Kind: sidecar.ExceptionBalanceMismatch, Chain: r.cfg.Chain, AssetID: tg.AssetID, Wallet: tg.Wallet,
			Item: sidecar.ItemBalance, Expected: m.Expected, Observed: m.Observed, Difference: m.Difference,
			DetectedAt: rep.At, Status: sidecar.ExceptionOpen,
		})
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Errorf("reconcile: record exception for %s/%s: %w", tg.AssetID, tg.Wallet, err))
		}
		m.ExceptionID = id
		rep.Mismatches = append(rep.Mismatches, m)
		r.log.WarnContext(ctx, "holdings mismatch", "asset", tg.AssetID, "wallet", tg.Wallet,
			"clearance", m.Expected, "chain", m.Observed, "difference", m.Difference, "exception", id)
	}
	return rep, nil
}

func (r *Reconciler) openBalanceExceptions(ctx context.Context) (map[string]sidecar.Exception, error) {
	xs, err := r.rep.ListExceptions(ctx, sidecar.ExceptionFilter{Chain: r.cfg.Chain, Status: sidecar.ExceptionOpen})
	if err != nil {
		return nil, fmt.Errorf("reconcile: list exceptions: %w", err)
	}
	out := map[string]sidecar.Exception{}
	for _, x := range xs {
		if x.Item == sidecar.ItemBalance {
			out[x.AssetID+"|"+x.Wallet] = x
		}
	}
	return out, nil
}

// Resolve closes an exception after a person has investigated it.
func (r *Reconciler) Resolve(ctx context.Context, id, actor, note string) error {
	if id == "" || note == "" {
		return errors.New("reconcile: resolving needs an exception id and a note")
	}
	if err := r.rep.ResolveException(ctx, id, actor, note); err != nil {
		return fmt.Errorf("reconcile: resolve %s: %w", id, err)
	}
	return nil
}
