package verdictcache

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/policies"
)

func TestValueRoundTrip(t *testing.T) {
	tests := []struct {
		name   string
		lo, hi int64
		res    policies.Result
	}{
		{"allow, open window", math.MinInt64, math.MaxInt64, allowResult()},
		{"deny", 10, 20, denyResult()},
		{"review and deny", -5, 5, policies.Result{
			Allow:  true,
			Engine: "cel",
			Deny:   []policies.Reason{{Code: "A", Message: "m", Policy: "p", Observed: "1", Limit: "2", Reference: "r", Effect: "DENY"}},
			Review: []policies.Reason{{Code: "B"}, {Code: "C", Message: "ü"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := encodeValue(tc.lo, tc.hi, &tc.res)
			lo, hi, res, err := decodeValue(b)
			if err != nil {
				t.Fatal(err)
			}
			if lo != tc.lo || hi != tc.hi {
				t.Errorf("window = (%d, %d), want (%d, %d)", lo, hi, tc.lo, tc.hi)
			}
			if diff := cmp.Diff(tc.res, res); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			// Every truncation and an extra byte must be rejected.
			for i := range len(b) {
				if _, _, _, err := decodeValue(b[:i]); err == nil {
					t.Fatalf("truncation to %d bytes decoded", i)
				}
			}
			if _, _, _, err := decodeValue(append(b, 0)); err == nil {
				t.Fatalf("trailing byte decoded")
			}
		})
	}
}
