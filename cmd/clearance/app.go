package main

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/gen"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/ledger"
	ledgerbolt "github.com/clearancehq/clearance/registry/ledger/boltstore"
	ledgerpg "github.com/clearancehq/clearance/registry/ledger/pgstore"
)

// app is the composed gateway: every component, wired in dependency order.
type app struct {
	decider  *gateway.Decider
	services []gateway.Service
	openapi  fs.FS
	ready    gateway.Readiness
	closers  closers
}

func (a *app) Close() { a.closers.Close() }

// liveEngine exposes the policy bundle in force to the decider, so the
// revision a verdict names is the one that produced it.
type liveEngine struct{ *source.Live }

func (l liveEngine) Current() policies.Engine { return l.Live.Current() }

// lateClearer lets the ledger ask the decider, which is built after it.
type lateClearer struct{ dec *gateway.Decider }

func (c *lateClearer) Clear(ctx context.Context, r ledger.ClearRequest) (ledger.Clearance, error) {
	if c.dec == nil {
		return ledger.Clearance{}, fmt.Errorf("gateway not ready")
	}
	v, err := c.dec.Check(ctx, gateway.CheckRequest{Action: r.Action, AssetID: r.AssetID, FromWallet: r.From, ToWallet: r.To,
		Amount: fmt.Sprint(r.Amount), Caller: r.Actor, Origin: r.Origin})
	if err != nil {
		return ledger.Clearance{}, err
	}
	return ledger.Clearance{Effect: v.Decision, Reasons: v.Reasons, DecisionID: v.DecisionID, CaseID: v.CaseID}, nil
}

func buildApp(ctx context.Context, cfg Config, st *stores, logger *slog.Logger, reg prometheus.Registerer) (*app, error) {
	a := &app{openapi: gen.OpenAPI()}
	fail := func(err error) (*app, error) { a.Close(); return nil, err }

	// Example data on first start of the embedded default.
	if cfg.Seed && cfg.Store == "embedded" {
		seq, err := st.reg.Seq(ctx)
		if err != nil {
			return fail(err)
		}
		if seq == 0 {
			res, err := exampledata.SeedRegistry(ctx, st.reg, registry.Change{Actor: "example-seed", Reason: "embedded default example data"})
			if err != nil {
				return fail(err)
			}
			logger.Info("seeded the registry with the example data", "rows", res.Total, "applied", res.Applied)
		}
	}

	// Policies: the shipped packs, or a watched directory.
	eng, statusFn, err := buildPolicies(ctx, cfg, logger, reg, a)
	if err != nil {
		return fail(err)
	}

	// Reference ledger: holdings, holder counts and reconciliation holds.
	var lstore ledger.Store
	if st.pool != nil {
		s, err := ledgerpg.New(st.pool)
		if err != nil {
			return fail(err)
		}
		lstore = s
	} else {
		s, err := ledgerbolt.New(st.bolt)
		if err != nil {
			return fail(err)
		}
		lstore = s
	}
	clr := &lateClearer{}
	led, err := ledger.New(lstore, st.reg, clr, ledger.Options{Logger: logger})
	if err != nil {
		return fail(err)
	}

	dlog, err := newDecisionLog(ctx, st, logger, reg)
	if err != nil {
		return fail(err)
	}
	a.closers = append(a.closers, dlog.Close)

	dec, err := gateway.NewDecider(gateway.Deps{
		Registry: st.reg, Engine: eng, Holdings: led, Holds: led, Log: dlog, Logger: logger, Timeout: cfg.DecisionTimeout,
	}, reg)
	if err != nil {
		return fail(err)
	}
	clr.dec = dec
	a.decider = dec

	if cfg.Seed && cfg.Store == "embedded" {
		if err := seedLedger(ctx, led, logger); err != nil {
			return fail(err)
		}
	}

	a.services = append(a.services, gateway.NewAPI(dec, dlog, statusFn, cfg.BatchWorkers))
	a.ready = func(ctx context.Context) error {
		_, err := st.reg.Seq(ctx)
		return err
	}
	return a, nil
}

func buildPolicies(ctx context.Context, cfg Config, logger *slog.Logger, reg prometheus.Registerer, a *app) (policies.Engine, gateway.PolicyStatusFunc, error) {
	var fsys fs.FS = library.FS()
	if cfg.PolicyDir != "" {
		fsys = osDirFS(cfg.PolicyDir)
	}
	b, err := source.Compile(ctx, fsys)
	if err != nil {
		return nil, nil, fmt.Errorf("policies: %w", err)
	}
	live := source.NewLive(b)
	logger.Info("policies loaded", "revision", b.Revision())
	return liveEngine{live}, nil, nil
}
