package celengine

import (
	"testing"

	"github.com/clearancehq/clearance/policies"
)

func BenchmarkActivation(b *testing.B) {
	in := &policies.Input{
		Action: policies.ActionTransfer, Amount: 1000, Now: 1767225600,
		Asset: policies.AssetFacts{Known: true, ID: "FUND-A", AllowedJurisdictions: []string{"US", "GB"}},
		From:  &policies.PartyFacts{Known: true},
		To:    &policies.PartyFacts{Known: true},
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = newActivation(in, 24)
	}
}

func TestActivationResolvesInput(t *testing.T) {
	in := &policies.Input{Action: policies.ActionBurn, Amount: 7, Now: 9, From: &policies.PartyFacts{Known: true}}
	a := newActivation(in, 0)
	tests := []struct {
		name string
		want any
	}{
		{"action", "BURN"}, {"amount", int64(7)}, {"now", int64(9)}, {"has_from", true}, {"has_to", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := a.ResolveName(tt.name)
			if !ok || got != tt.want {
				t.Fatalf("%s = %v (%v), want %v", tt.name, got, ok, tt.want)
			}
		})
	}
	if _, ok := a.ResolveName("nope"); ok {
		t.Fatal("unknown name resolved")
	}
}
