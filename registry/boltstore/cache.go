package boltstore

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/clearancehq/clearance/registry"
)

// readCache holds decoded current records (reads with a zero asOf), so the
// decision path does not decode JSON on every read. It is safe because a
// bbolt file has one writer process: every write goes through Store.update,
// which bumps the generation and empties the cache after the commit and
// before the write returns. A reader inserts only if no write committed
// since it began reading, so a record read before a commit is never kept.
type readCache struct {
	mu        sync.RWMutex
	gen       uint64
	investors map[string]registry.Investor
	wallets   map[string]registry.Wallet
	assets    map[string]registry.Asset
	whitelist map[string]bool
	max       int
}

func newReadCache(max int) *readCache {
	c := &readCache{max: max}
	c.reset()
	return c
}

func (c *readCache) reset() {
	c.investors = map[string]registry.Investor{}
	c.wallets = map[string]registry.Wallet{}
	c.assets = map[string]registry.Asset{}
	c.whitelist = map[string]bool{}
}

// begin returns the generation a read starts under.
func (c *readCache) begin() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// invalidate is called after every commit.
func (c *readCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.reset()
	c.mu.Unlock()
}

func (c *readCache) size() int {
	return len(c.investors) + len(c.wallets) + len(c.assets) + len(c.whitelist)
}

// put stores under gen only if no write has committed since gen.
func put[V any](c *readCache, m func(*readCache) map[string]V, gen uint64, k string, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return
	}
	if c.size() >= c.max {
		c.reset()
	}
	m(c)[k] = v
}

func get[V any](c *readCache, m func(*readCache) map[string]V, k string) (V, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := m(c)[k]
	return v, ok
}

func investorsOf(c *readCache) map[string]registry.Investor { return c.investors }
func walletsOf(c *readCache) map[string]registry.Wallet     { return c.wallets }
func assetsOf(c *readCache) map[string]registry.Asset       { return c.assets }
func whitelistOf(c *readCache) map[string]bool              { return c.whitelist }

func cloneTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := *t
	return &v
}

// cloneInvestor copies every reference so callers cannot alter the cache.
func cloneInvestor(v registry.Investor) registry.Investor {
	v.EffectiveTo, v.KYCExpiresAt, v.LockedUntil = cloneTime(v.EffectiveTo), cloneTime(v.KYCExpiresAt), cloneTime(v.LockedUntil)
	v.ExternalRefs = maps.Clone(v.ExternalRefs)
	v.BeneficialOwners = slices.Clone(v.BeneficialOwners)
	return v
}

func cloneAsset(v registry.Asset) registry.Asset {
	v.PausedActions = slices.Clone(v.PausedActions)
	p := &v.Params
	p.AllowedJurisdictions = slices.Clone(p.AllowedJurisdictions)
	p.BlockedJurisdictions = slices.Clone(p.BlockedJurisdictions)
	p.AllowedCategories = slices.Clone(p.AllowedCategories)
	p.MaxHoldersPerJurisdiction = maps.Clone(p.MaxHoldersPerJurisdiction)
	p.Conditions = slices.Clone(p.Conditions)
	return v
}
