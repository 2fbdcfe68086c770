package opaengine

import (
	"os"
	"sync"
	"testing"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/clearancehq/clearance/policies/policytest"
)

// TestTermCacheBuildsTheSameInput: the cached conversion equals InputValue
// on every golden input, on first use and on reuse, also concurrently.
func TestTermCacheBuildsTheSameInput(t *testing.T) {
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	c := newTermCache(1000)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := 0; round < 3; round++ {
				for _, tc := range cases {
					want := InputValue(tc.Input)
					got := c.inputValue(tc.Input)
					if ast.Compare(want, got) != 0 || want.Hash() != got.Hash() {
						t.Errorf("%s round %d: cached input differs", tc.Name, round)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if len(c.wallets) == 0 || len(c.investors) == 0 {
		t.Fatal("nothing was cached")
	}
	// A change in any fact is a different key, never a stale term.
	in := *cases[0].Input
	if in.To == nil {
		t.Skip("first case has no recipient")
	}
	to := *in.To
	to.Wallet.Frozen = !to.Wallet.Frozen
	in.To = &to
	if ast.Compare(InputValue(&in), c.inputValue(&in)) != 0 {
		t.Fatal("changed facts produced a stale cached term")
	}
}

func TestTermCacheIsBounded(t *testing.T) {
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	c := newTermCache(3)
	for _, tc := range cases {
		_ = c.inputValue(tc.Input)
		if n := len(c.wallets) + len(c.investors); n > 3 {
			t.Fatalf("cache holds %d terms, bound 3", n)
		}
	}
}
