package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/gen"
	"github.com/clearancehq/clearance/gateway/ledgersvc"
	"github.com/clearancehq/clearance/gateway/verdictcache"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/source"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/ledger"
	ledgerbolt "github.com/clearancehq/clearance/registry/ledger/boltstore"
	ledgerpg "github.com/clearancehq/clearance/registry/ledger/pgstore"
	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/aml"
	"github.com/clearancehq/clearance/screening/cases"
	casesbolt "github.com/clearancehq/clearance/screening/cases/boltstore"
	casespg "github.com/clearancehq/clearance/screening/cases/pgstore"
)

// app is the composed gateway: every component, wired in dependency order.
type app struct {
	decider  *gateway.Decider
	services []gateway.Service
	openapi  fs.FS
	ready    gateway.Readiness
	closers  closers
	queue    *cases.Queue
	ledger   *ledger.Ledger
	cache    *verdictcache.Cache
}

func (a *app) Close() { a.closers.Close() }

// liveEngine exposes the policy bundle in force to the decider, so the
// revision a verdict names is the one that produced it.
type liveEngine struct{ *source.Live }

func (l liveEngine) Current() policies.Engine { return l.Live.Current() }

// lateClearer lets the ledger ask the decider, which is built after it.
type lateClearer struct {
	dec *gateway.Decider
	aml *aml.Scorer
}

func (c *lateClearer) Clear(ctx context.Context, r ledger.ClearRequest) (ledger.Clearance, error) {
	if c.dec == nil {
		return ledger.Clearance{}, errors.New("gateway not ready")
	}
	v, err := c.dec.Check(ctx, gateway.CheckRequest{Action: r.Action, AssetID: r.AssetID, FromWallet: r.From, ToWallet: r.To,
		Amount: fmt.Sprint(r.Amount), Caller: r.Actor, Origin: r.Origin})
	if err != nil {
		return ledger.Clearance{}, err
	}
	if v.Decision == policies.Allow && c.aml != nil && v.Input != nil {
		// Executed movements feed the velocity windows.
		_ = c.aml.Observe(ctx, v.Input)
	}
	return ledger.Clearance{Effect: v.Decision, Reasons: v.Reasons, DecisionID: v.DecisionID, CaseID: v.CaseID}, nil
}

// escalator adapts the review queue to the gateway's Escalator.
type escalator struct{ q *cases.Queue }

func (e escalator) OpenCase(ctx context.Context, r gateway.CaseRequest) (string, error) {
	or := cases.OpenRequest{DecisionID: r.DecisionID, Origin: r.Origin, Reasons: r.Reasons, RiskScore: r.RiskScore, RequestedBy: r.RequestedBy}
	if in := r.Input; in != nil {
		or.Action, or.AssetID, or.Amount, or.FromWallet, or.ToWallet = string(in.Action), in.AssetID, in.Amount, in.FromWallet, in.ToWallet
		if in.From != nil {
			or.FromInvestor = in.From.Investor.ID
		}
		if in.To != nil {
			or.ToInvestor = in.To.Investor.ID
		}
	}
	c, err := e.q.Open(ctx, or)
	if err != nil {
		return "", err
	}
	return c.ID, nil
}

func buildApp(ctx context.Context, cfg Config, st *stores, logger *slog.Logger, reg prometheus.Registerer) (*app, error) {
	a := &app{openapi: gen.OpenAPI()}
	fail := func(err error) (*app, error) { a.Close(); return nil, err }
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.closers = append(a.closers, cancel)

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

	// Redis: L2 cache, invalidation fan-out and AML windows.
	var rdb *redis.Client
	if cfg.Redis != "" {
		opts := verdictcache.ClientOptions(cfg.Redis) // context deadlines reach the socket; no slow retries
		opts.PoolSize = 32
		rdb = redis.NewClient(opts)
		a.closers = append(a.closers, func() { _ = rdb.Close() })
	}

	// Policies: the shipped packs, or a watched directory.
	eng, statusFn, watcher, err := buildPolicies(ctx, cfg, logger, reg)
	if err != nil {
		return fail(err)
	}

	// Verdict cache (static scope only).
	var vcache gateway.VerdictCache
	if !cfg.Cache.Disabled {
		vc := verdictcache.DefaultConfig()
		vc.L1Size, vc.TTL = cfg.Cache.L1Size, cfg.Cache.TTL
		if cfg.Cache.RedisTimeout > 0 {
			vc.RedisTimeout = cfg.Cache.RedisTimeout
		}
		var remote verdictcache.Remote
		if rdb != nil {
			remote = verdictcache.NewRedis(rdb, cfg.RedisPrefix, vc.RedisTimeout)
		}
		c, err := verdictcache.New(vc, remote, logger, reg)
		if err != nil {
			return fail(err)
		}
		a.cache, vcache = c, c
		if rdb != nil {
			go func() {
				if err := c.RunSubscriber(runCtx, rdb); err != nil && runCtx.Err() == nil {
					logger.Error("verdict cache subscriber stopped", "err", err)
				}
			}()
		}
		// Registry changes committed here invalidate this replica and,
		// through Redis, every other one.
		// The subscriber runs under the store's commit: invalidate locally at
		// once and publish to the other replicas without blocking the write.
		// (Keys carry fact versions, so correctness never waits on delivery.)
		cancelSub := st.reg.Subscribe(func(ev registry.Event) {
			c.Invalidate(ctx, ev)
			go func() { _ = c.Publish(context.WithoutCancel(ctx), ev) }()
		})
		a.closers = append(a.closers, cancelSub)
		if watcher != nil {
			watcher.OnSwap(c.OnRevision)
		}
	}

	// Screening: lists, precomputed statuses.
	svc, scr, err := buildScreening(ctx, cfg, st, logger, reg)
	if err != nil {
		return fail(err)
	}
	if a.cache != nil {
		a.cache.OnListVersion(svc.ListVersion())
	}

	// AML scoring with velocity windows (Redis when configured).
	var windows aml.Windows
	if rdb != nil && cfg.AML.Windows != "memory" {
		w, err := aml.NewRedisWindows(rdb, aml.RedisConfig{Prefix: cfg.RedisPrefix + ":aml:"})
		if err != nil {
			return fail(err)
		}
		windows = w
	} else {
		w, err := aml.NewMemoryWindows(aml.WindowConfig{})
		if err != nil {
			return fail(err)
		}
		windows = w
	}
	scorer, err := aml.New(aml.DefaultConfig(), windows, logger)
	if err != nil {
		return fail(err)
	}

	// Review queue.
	var cstore cases.Store
	if st.pool != nil {
		s, err := casespg.New(st.pool)
		if err != nil {
			return fail(err)
		}
		cstore = s
	} else {
		s, err := casesbolt.New(st.bolt)
		if err != nil {
			return fail(err)
		}
		cstore = s
	}
	queue, err := cases.New(cstore, cases.Config{FourEyesScore: cfg.Review.FourEyesRisk, SLA: cfg.Review.SLA, Expiry: cfg.Review.Expiry}, logger)
	if err != nil {
		return fail(err)
	}
	a.queue = queue

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
	clr := &lateClearer{aml: scorer}
	led, err := ledger.New(lstore, st.reg, clr, ledger.Options{Logger: logger})
	if err != nil {
		return fail(err)
	}
	a.ledger = led

	dlog, err := newDecisionLog(ctx, st, logger, reg)
	if err != nil {
		return fail(err)
	}
	a.closers = append(a.closers, dlog.Close)

	dec, err := gateway.NewDecider(gateway.Deps{
		Registry: st.reg, Engine: eng, Holdings: led, Holds: led, Screener: scr, AML: scorer, Escalator: escalator{queue},
		Cache: vcache, Log: dlog, Logger: logger, Timeout: cfg.DecisionTimeout,
	}, reg)
	if err != nil {
		return fail(err)
	}
	clr.dec = dec
	a.decider = dec

	// Settling a case settles the request: the decision log records the
	// final outcome, and a parked ledger operation executes or is cancelled.
	if err := queue.AddSettler("decisionlog", func(ctx context.Context, c cases.Case) error {
		final := policies.Deny
		if c.Status == cases.StatusApproved {
			final = policies.Allow
		}
		return dec.Settle(ctx, c.DecisionID, final, lastActor(c), string(c.Status))
	}); err != nil {
		return fail(err)
	}
	if err := queue.AddSettler("ledger", func(ctx context.Context, c cases.Case) error {
		op, ok := strings.CutPrefix(c.Origin, "ledger:")
		if !ok {
			return nil
		}
		// Settle runs once; a repeated delivery returns the stored result.
		_, err := led.Settle(ctx, op, c.Status == cases.StatusApproved, lastActor(c), "review case "+c.ID+": "+string(c.Status))
		return err
	}); err != nil {
		return fail(err)
	}
	if cfg.Review.WebhookURL != "" {
		secret := ""
		if cfg.Review.WebhookSecretEnv != "" {
			secret = os.Getenv(cfg.Review.WebhookSecretEnv)
		}
		wh, err := cases.NewWebhook(cases.WebhookConfig{URL: cfg.Review.WebhookURL, Secret: secret}, &http.Client{Timeout: 10 * time.Second})
		if err != nil {
			return fail(fmt.Errorf("review.webhook_url: %w", err))
		}
		if err := queue.AddSettler("webhook", wh.Settle); err != nil {
			return fail(err)
		}
	}
	if _, err := queue.ResumePending(ctx); err != nil {
		logger.Warn("resuming pending case settlements", "err", err)
	}
	go func() { _ = queue.Run(runCtx) }()

	// A registry write screens the changed investor (onboarding).
	cancelScreen := st.reg.Subscribe(func(ev registry.Event) {
		if ev.Kind != registry.KindInvestor {
			return
		}
		go func() {
			if _, err := scr.ScreenInvestor(context.WithoutCancel(ctx), ev.ID); err != nil {
				logger.Warn("onboarding screen failed", "investor", ev.ID, "err", err)
			}
		}()
	})
	a.closers = append(a.closers, cancelScreen)

	if cfg.Seed && cfg.Store == "embedded" {
		if err := seedLedger(ctx, led, logger); err != nil {
			return fail(err)
		}
	}
	if watcher != nil {
		go func() { _ = watcher.Run(runCtx) }()
	}
	// A new list version: purge cached verdicts and rescreen every holder
	// (resumable; each new hit freezes the wallet or opens a case).
	if cfg.Screening.ListsDir != "" && cfg.Screening.Refresh > 0 {
		go svc.Watch(runCtx, cfg.Screening.Refresh, func(ctx context.Context) (screening.ListSet, error) {
			return svc.RefreshDir(ctx, cfg.Screening.ListsDir)
		}, func(ctx context.Context, set screening.ListSet) {
			if a.cache != nil {
				a.cache.OnListVersion(set.Version)
			}
			res, err := scr.Rescreen(ctx, holderIterator(st.reg), screening.RescreenOptions{OnHit: onHit(st.reg, escalator{queue}, logger)})
			logger.Info("rescreened holders on a new list version", "version", set.Version, "done", res.Done, "hits", res.Hits, "err", err)
		})
	}

	a.services = append(a.services,
		gateway.NewAPI(dec, dlog, statusFn, cfg.BatchWorkers),
		ledgersvc.New(led, logger),
	)
	a.services = append(a.services, extraServices(a, st, logger)...)
	a.ready = func(ctx context.Context) error {
		if _, err := st.reg.Seq(ctx); err != nil {
			return fmt.Errorf("registry: %w", err)
		}
		if svc.ListVersion() == "" {
			return errors.New("screening: no sanctions list loaded")
		}
		return nil
	}
	return a, nil
}

func lastActor(c cases.Case) string {
	if n := len(c.History); n > 0 {
		return c.History[n-1].Actor
	}
	return "system"
}

func casesOpenForHit(h screening.Hit) cases.OpenRequest {
	return cases.OpenRequest{
		DecisionID: "rescreen/" + h.Current.ListVersion + "/" + h.InvestorID + "/" + h.Wallet,
		Origin:     "rescreen", Action: "SCREENING", FromInvestor: h.InvestorID, FromWallet: h.Wallet, RiskScore: int64(h.Match.Score * 100),
		Reasons: []policies.Reason{{Code: "SANCTIONS_POTENTIAL_MATCH", Message: "new list hit on rescreen: " + h.Match.Entry, Policy: "screening/rescreen", Observed: fmt.Sprintf("%.2f", h.Match.Score), Effect: "REVIEW"}},
	}
}
