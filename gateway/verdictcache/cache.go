package verdictcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// Tiers reported by Lookup.
const (
	// TierL1 means the in-process LRU answered.
	TierL1 = "l1"
	// TierL2 means the Remote answered.
	TierL2 = "l2"
	// TierNone means compute ran (a miss, a bypass or an error).
	TierNone = ""
)

// warnEvery is the minimum interval between two Redis warnings.
const warnEvery = 10 * time.Second

// maxInflightSets bounds the background L2 writes; beyond it writes are
// dropped (a dropped write is only a future miss).
const maxInflightSets = 256

// Cache is the two-tier verdict cache. It is safe for concurrent use.
type Cache struct {
	cfg    Config
	log    *slog.Logger
	m      *metrics
	l1     *l1
	remote Remote

	// clock, if set (tests), replaces time.Now for validity decisions.
	clock func() time.Time

	// epoch increases, under l1.mu, with every invalidation, purge and
	// change of enabled; a lookup stores its result only if the epoch it
	// started with is still current.
	epoch   atomic.Uint64
	enabled atomic.Bool
	// l2DownUntil (Unix nanoseconds) skips L2 for a while after an error.
	l2DownUntil atomic.Int64

	lastWarn   atomic.Int64
	suppressed atomic.Int64

	sets   sync.WaitGroup
	setSem chan struct{}

	// origin identifies this cache on the invalidation channel.
	origin string

	versMu   sync.Mutex
	revision string
	listVer  string
}

// New builds a cache. remote nil means L1 only, always enabled. With a
// remote, caching stays off until RunSubscriber confirms its subscription.
// logger nil discards; reg nil leaves the metrics unregistered.
func New(cfg Config, remote Remote, logger *slog.Logger, reg prometheus.Registerer) (*Cache, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	l, err := newL1(cfg.L1Size)
	if err != nil {
		return nil, fmt.Errorf("verdictcache: %w", err)
	}
	c := &Cache{
		cfg:    cfg,
		log:    logger.With("component", "verdictcache"),
		m:      m,
		l1:     l,
		remote: remote,
		setSem: make(chan struct{}, maxInflightSets),
		origin: newOrigin(),
	}
	if r, ok := remote.(*Redis); ok {
		if rc, ok := r.client.(*redis.Client); ok && !rc.Options().ContextTimeoutEnabled {
			c.log.Warn("redis client has ContextTimeoutEnabled off: the Redis timeout does not reach the socket; build it from verdictcache.ClientOptions", "redis_timeout", cfg.RedisTimeout)
		}
	}
	c.enabled.Store(remote == nil)
	if remote == nil {
		m.enabled.Set(1)
	}
	return c, nil
}

// Enabled reports whether lookups may be answered from the cache.
func (c *Cache) Enabled() bool { return c.enabled.Load() }

// Len returns the number of L1 entries.
func (c *Cache) Len() int { return c.l1.len() }

// Close waits for background L2 writes to finish.
func (c *Cache) Close() { c.sets.Wait() }

func (c *Cache) wall(now time.Time) int64 {
	if c.clock != nil {
		return c.clock().UnixNano()
	}
	return now.UnixNano()
}

// Lookup returns the static result for in under the policy revision. On a
// miss it calls compute (which must evaluate policies.ScopeStatic on in) and
// stores its result; a compute error is returned as is and never cached.
// tier is TierL1 or TierL2 for a hit and TierNone when compute ran.
func (c *Cache) Lookup(ctx context.Context, in *policies.Input, revision string, compute func(context.Context) (policies.Result, error)) (res policies.Result, tier string, err error) {
	start := time.Now()
	wall := c.wall(start)
	if in == nil || !c.enabled.Load() {
		return c.bypass(ctx, start, compute)
	}
	if d := in.Now - wall/int64(time.Second); d > int64(c.cfg.HistoricalSkew/time.Second) || -d > int64(c.cfg.HistoricalSkew/time.Second) {
		return c.bypass(ctx, start, compute)
	}
	lo, hi, ok := window(in)
	if !ok {
		return c.bypass(ctx, start, compute)
	}
	k := keyOf(in, revision)
	ep := c.epoch.Load()

	if e, ok := c.l1.get(k, in.Now, wall); ok {
		c.m.l1Hit.Inc()
		c.m.latL1.Observe(time.Since(start).Seconds())
		return e.res, TierL1, nil
	}
	c.m.l1Miss.Inc()

	var rkey string
	if c.remote != nil {
		rkey = c.remote.KeyPrefix() + hex.EncodeToString(k[:])
		if r, lo2, hi2, ok := c.getL2(ctx, rkey, in.Now, wall); ok {
			ttl := time.Duration(math.MaxInt64)
			if hi2 != math.MaxInt64 {
				ttl = time.Duration(hi2-in.Now) * time.Second
			}
			c.storeL1(k, in, r, lo2, hi2, wall, min(ttl, c.cfg.TTL), ep)
			c.m.latL2.Observe(time.Since(start).Seconds())
			return r, TierL2, nil
		}
	}

	res, err = compute(ctx)
	if err != nil {
		c.m.latMiss.Observe(time.Since(start).Seconds())
		return res, TierNone, err
	}
	ttl := c.cfg.TTL
	if hi != math.MaxInt64 {
		ttl = min(ttl, time.Duration(hi-in.Now)*time.Second)
	}
	if c.storeL1(k, in, res, lo, hi, wall, ttl, ep) && c.remote != nil {
		c.setL2(ctx, rkey, encodeValue(lo, hi, &res), ttl)
	}
	c.m.latMiss.Observe(time.Since(start).Seconds())
	return res, TierNone, nil
}

func (c *Cache) bypass(ctx context.Context, start time.Time, compute func(context.Context) (policies.Result, error)) (policies.Result, string, error) {
	c.m.bypass.Inc()
	res, err := compute(ctx)
	c.m.latBypass.Observe(time.Since(start).Seconds())
	return res, TierNone, err
}

// getL2 reads and validates an L2 entry. Every failure is a miss.
func (c *Cache) getL2(ctx context.Context, rkey string, now, wall int64) (policies.Result, int64, int64, bool) {
	if wall < c.l2DownUntil.Load() {
		c.m.l2Err.Inc()
		return policies.Result{}, 0, 0, false
	}
	gctx, cancel := context.WithTimeout(ctx, c.cfg.RedisTimeout)
	val, found, err := c.remote.Get(gctx, rkey)
	cancel()
	switch {
	case err != nil:
		c.m.l2Err.Inc()
		if ctx.Err() == nil {
			c.redisError("get", err)
		}
		return policies.Result{}, 0, 0, false
	case !found:
		c.m.l2Miss.Inc()
		return policies.Result{}, 0, 0, false
	}
	lo, hi, r, err := decodeValue(val)
	if err != nil {
		c.m.l2Err.Inc()
		c.redisError("decode", err)
		return policies.Result{}, 0, 0, false
	}
	if !(lo < now && now < hi) {
		c.m.l2Miss.Inc()
		return policies.Result{}, 0, 0, false
	}
	c.m.l2Hit.Inc()
	return r, lo, hi, true
}

// setL2 writes in the background, bounded by RedisTimeout.
func (c *Cache) setL2(ctx context.Context, rkey string, val []byte, ttl time.Duration) {
	if time.Now().UnixNano() < c.l2DownUntil.Load() {
		return
	}
	select {
	case c.setSem <- struct{}{}:
	default:
		return
	}
	c.sets.Add(1)
	sctx := context.WithoutCancel(ctx)
	go func() {
		defer func() {
			<-c.setSem
			c.sets.Done()
		}()
		sctx, cancel := context.WithTimeout(sctx, c.cfg.RedisTimeout)
		defer cancel()
		if err := c.remote.Set(sctx, rkey, val, ttl); err != nil {
			c.redisError("set", err)
		}
	}()
}

// storeL1 stores res unless the cache moved on since the lookup started
// (epoch ep) or is disabled. It reports whether it stored.
func (c *Cache) storeL1(k key, in *policies.Input, res policies.Result, lo, hi, wall int64, ttl time.Duration, ep uint64) bool {
	if ttl < time.Second {
		return false
	}
	e := &entry{res: res, lo: lo, hi: hi, expires: wall + int64(ttl), tags: tagsOf(in)}
	return c.l1.add(k, e, func() bool { return c.enabled.Load() && c.epoch.Load() == ep })
}

// tagsOf lists the registry entities in's static facts rest on.
func tagsOf(in *policies.Input) []tag {
	ts := make([]tag, 0, 7)
	addTag := func(t tag) {
		if t.id == "" {
			return
		}
		for _, x := range ts {
			if x == t {
				return
			}
		}
		ts = append(ts, t)
	}
	addTag(tag{tagAsset, in.AssetID})
	addTag(tag{tagAsset, in.Asset.ID})
	addTag(tag{tagWallet, in.FromWallet})
	addTag(tag{tagWallet, in.ToWallet})
	for _, p := range [2]*policies.PartyFacts{in.From, in.To} {
		if p == nil {
			continue
		}
		addTag(tag{tagWallet, p.Wallet.Address})
		addTag(tag{tagInvestor, p.Investor.ID})
	}
	return ts
}

// redisError counts err and logs it at a limited rate. L2 is skipped for
// RedisBackoff so an outage costs little; it is retried by itself after.
func (c *Cache) redisError(op string, err error) {
	c.m.redisErrors.WithLabelValues(op).Inc()
	now := time.Now().UnixNano()
	if op == "get" || op == "set" {
		c.l2DownUntil.Store(now + int64(c.cfg.RedisBackoff))
	}
	c.warn("redis error; verdict cache bypassed", "op", op, "err", err)
}

// warn logs at most once every warnEvery, reporting how many were dropped.
func (c *Cache) warn(msg string, args ...any) {
	now := time.Now().UnixNano()
	last := c.lastWarn.Load()
	if now-last < int64(warnEvery) || !c.lastWarn.CompareAndSwap(last, now) {
		c.suppressed.Add(1)
		return
	}
	c.log.Warn(msg, append(args, "suppressed", c.suppressed.Swap(0))...)
}

// Invalidate evicts from L1 every entry that rests on the entity ev names.
// An event of an unknown kind empties L1. L2 needs no eviction: its keys
// carry the versions and content of every fact, so a changed fact is never
// looked up under an old key.
func (c *Cache) Invalidate(ctx context.Context, ev registry.Event) {
	var ts []tag
	switch ev.Kind {
	case registry.KindInvestor:
		ts = []tag{{tagInvestor, ev.ID}}
	case registry.KindWallet:
		ts = []tag{{tagWallet, ev.ID}}
	case registry.KindAsset:
		ts = []tag{{tagAsset, ev.ID}}
	case registry.KindWhitelist:
		// The id is the investor's, or WhitelistID(asset, investor).
		ts = []tag{{tagInvestor, ev.ID}}
		if inv, ok := cutPrefix(ev.ID, ev.AssetID+"/"); ok {
			ts = append(ts, tag{tagInvestor, inv})
		}
	}
	if len(ts) == 0 || ev.ID == "" {
		c.purge("unknown_event")
		return
	}
	for _, t := range ts {
		c.l1.invalidate(t, func() { c.epoch.Add(1) })
	}
	c.m.invalidations.WithLabelValues(ev.Kind).Inc()
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(prefix) <= 1 || len(s) <= len(prefix) || s[:len(prefix)] != prefix {
		return "", false
	}
	return s[len(prefix):], true
}

// purge empties L1 and counts the reason.
func (c *Cache) purge(reason string) {
	c.l1.purge(func() { c.epoch.Add(1) })
	c.m.invalidations.WithLabelValues(reason).Inc()
}

// OnRevision tells the cache the policy revision in force; a change
// empties L1. (The revision is part of every key, so L2 needs nothing.)
func (c *Cache) OnRevision(rev string) {
	c.versMu.Lock()
	changed := rev != c.revision
	c.revision = rev
	c.versMu.Unlock()
	if changed {
		c.purge("revision")
	}
}

// OnListVersion tells the cache the screening list version in force; a
// change empties L1. (The list version is part of every key.)
func (c *Cache) OnListVersion(v string) {
	c.versMu.Lock()
	changed := v != c.listVer
	c.listVer = v
	c.versMu.Unlock()
	if changed {
		c.purge("list_version")
	}
}

// setEnabled turns caching on or off. Either way L1 is emptied and the
// epoch moves, so a lookup in flight across the switch stores nothing.
func (c *Cache) setEnabled(on bool, reason string) {
	var was bool
	c.l1.purge(func() {
		c.epoch.Add(1)
		was = c.enabled.Swap(on)
	})
	if on {
		c.m.enabled.Set(1)
	} else {
		c.m.enabled.Set(0)
	}
	if was && !on {
		c.m.invalidations.WithLabelValues(reason).Inc()
	}
}

var errNoRemote = errors.New("verdictcache: no remote configured")

// newOrigin returns a random id for this cache instance.
func newOrigin() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
