package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/clearancehq/clearance/registry/ledger"
)

// TestLifecycle runs the example and checks its final balance object: the
// buckets add up to the total, and they are what the walk implies (100,000
// minted, 40,000 distributed, 10,000 of it redeemed and burned).
func TestLifecycle(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	s := out.String()
	if n := strings.Count(s, "\n== ") + 1; !strings.HasPrefix(s, "== ") || n != 9 {
		t.Fatalf("want 9 steps, output:\n%s", s)
	}
	if !strings.Contains(s, "event chain verified") {
		t.Fatalf("no chain verification:\n%s", s)
	}
	last := s[strings.LastIndex(s, "\n== "):]
	obj := last[strings.Index(last, "{") : strings.LastIndex(last, "}")+1]
	var b ledger.Balance
	if err := json.Unmarshal([]byte(obj), &b); err != nil {
		t.Fatalf("final balance object: %v\n%s", err, obj)
	}
	sum := b.Treasury.Value + b.ReservedInvestments.Value + b.ConfirmedInvestments.Value + b.Distributed.Value + b.Redeemed.Value
	if b.Total.Value != sum {
		t.Errorf("total %d != sum of buckets %d: %+v", b.Total.Value, sum, b)
	}
	want := map[string][2]any{
		"total":       {b.Total, int64(9000000)},
		"treasury":    {b.Treasury, int64(6000000)},
		"distributed": {b.Distributed, int64(3000000)},
		"redeemed":    {b.Redeemed, int64(0)},
	}
	for name, w := range want {
		if got := w[0].(ledger.BucketValue); got.Value != w[1].(int64) || got.Ticker != "BND30" || got.Decimals != 2 {
			t.Errorf("%s: %+v, want value %d", name, got, w[1])
		}
	}
	if b.Total.TextValue != "90000" {
		t.Errorf("total text_value %q, want 90000", b.Total.TextValue)
	}
}
