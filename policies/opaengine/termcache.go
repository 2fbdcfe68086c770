package opaengine

import (
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/clearancehq/clearance/policies"
)

// termCache reuses the OPA terms of wallet and investor facts across
// requests. It is keyed by the facts' full content (both structs are
// comparable), so a cached term is always exactly the term InputValue
// would build: there is nothing to invalidate. Reused terms carry their
// hashes, which is most of what building an input costs.
type termCache struct {
	mu        sync.RWMutex
	wallets   map[policies.WalletFacts]*ast.Term
	investors map[policies.InvestorFacts]*ast.Term
	max       int
}

func newTermCache(max int) *termCache {
	return &termCache{wallets: map[policies.WalletFacts]*ast.Term{}, investors: map[policies.InvestorFacts]*ast.Term{}, max: max}
}

func cached[K comparable](c *termCache, m map[K]*ast.Term, k K, build func() *ast.Term) *ast.Term {
	c.mu.RLock()
	t, ok := m[k]
	c.mu.RUnlock()
	if ok {
		return t
	}
	t = build()
	c.mu.Lock()
	if len(c.wallets)+len(c.investors) >= c.max {
		clear(c.wallets)
		clear(c.investors)
	}
	m[k] = t
	c.mu.Unlock()
	return t
}

func (c *termCache) wallet(w *policies.WalletFacts) *ast.Term {
	return cached(c, c.wallets, *w, func() *ast.Term { return walletTerm(w) })
}

func (c *termCache) investor(inv *policies.InvestorFacts) *ast.Term {
	return cached(c, c.investors, *inv, func() *ast.Term { return investorTerm(inv) })
}

// inputValue is InputValue with cached wallet and investor terms.
func (c *termCache) inputValue(in *policies.Input) ast.Value {
	return inputValueWith(in, func(p *policies.PartyFacts) *ast.Term { return partyTermWith(p, c.wallet, c.investor) })
}
