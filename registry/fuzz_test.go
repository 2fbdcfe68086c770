package registry_test

import (
	"testing"

	"github.com/clearancehq/clearance/registry"
)

// FuzzNormalizeAddress checks that normalisation never panics, is
// idempotent, and keeps the chain.
func FuzzNormalizeAddress(f *testing.F) {
	for _, s := range []string{"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7", "acct:alice", "0x", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		chain, norm, err := registry.NormalizeAddress(in)
		if err != nil {
			return
		}
		chain2, norm2, err := registry.NormalizeAddress(norm)
		if err != nil || chain2 != chain || norm2 != norm {
			t.Fatalf("not idempotent: %q -> %s %q -> %s %q (%v)", in, chain, norm, chain2, norm2, err)
		}
	})
}
