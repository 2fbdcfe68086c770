package reconcile

import (
	"context"
	"errors"
	"math/big"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// stellarSource is a test source of Stellar trust-line balances.
type stellarSource map[string]int64

func (s stellarSource) Balance(_ context.Context, _ string, wallet string) (*big.Int, error) {
	v, ok := s[wallet]
	if !ok {
		return nil, errors.New("account not found")
	}
	return big.NewInt(v), nil
}

func TestRunOnce(t *testing.T) {
	tests := []struct {
		name        string
		clearance   map[string]string
		chain       stellarSource
		autoResolve bool
		want        []Mismatch
		wantErrs    int
	}{
		{
			name:      "all agree",
			clearance: map[string]string{"GA": "100", "GB": "0"},
			chain:     stellarSource{"GA": 100, "GB": 0},
		},
		{
			name:      "chain holds more and less",
			clearance: map[string]string{"GA": "100", "GB": "50"},
			chain:     stellarSource{"GA": 90, "GB": 80},
			want: []Mismatch{
				{Target: Target{"FUND", "GA"}, Expected: "100", Observed: "90", Difference: "-10", ExceptionID: "exc-1"},
				{Target: Target{"FUND", "GB"}, Expected: "50", Observed: "80", Difference: "30", ExceptionID: "exc-2"},
			},
		},
		{
			name:      "unreadable chain balance is an error, not a match",
			clearance: map[string]string{"GA": "100"},
			chain:     stellarSource{},
			wantErrs:  2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep := sidecartest.NewReporter()
			for w, v := range tt.clearance {
				rep.SetHolding("stellar", "FUND", w, v)
			}
			cfg := DefaultConfig()
			cfg.Chain = "stellar"
			r, err := New(cfg, rep, tt.chain, StaticTargets{{"FUND", "GA"}, {"FUND", "GB"}}, rep, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := r.RunOnce(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.Mismatches, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mismatches (-want +got):\n%s", diff)
			}
			if len(got.Errors) != tt.wantErrs {
				t.Errorf("errors = %v, want %d", got.Errors, tt.wantErrs)
			}
			xs, _ := rep.ListExceptions(t.Context(), sidecar.ExceptionFilter{Status: sidecar.ExceptionOpen})
			if len(xs) != len(tt.want) {
				t.Errorf("open exceptions = %d, want %d", len(xs), len(tt.want))
			}
		})
	}
}

func TestExceptionLifecycle(t *testing.T) {
	rep := sidecartest.NewReporter()
	rep.SetHolding("stellar", "FUND", "GA", "100")
	chain := stellarSource{"GA": 90}
	cfg := DefaultConfig()
	cfg.Chain = "stellar"
	cfg.AutoResolve = true
	r, err := New(cfg, rep, chain, StaticTargets{{"FUND", "GA"}}, rep, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // a second run finds the same open exception, not a new one
		if _, err := r.RunOnce(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	xs, _ := rep.ListExceptions(t.Context(), sidecar.ExceptionFilter{})
	if len(xs) != 1 || xs[0].Status != sidecar.ExceptionOpen || xs[0].Difference != "-10" || xs[0].Item != sidecar.ItemBalance || xs[0].DetectedAt.IsZero() {
		t.Fatalf("exceptions = %+v, want one open balance exception of -10", xs)
	}
	chain["GA"] = 100 // the missing 10 were found; a later run resolves it
	got, err := r.RunOnce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{xs[0].ID}, got.Resolved); diff != "" {
		t.Errorf("resolved (-want +got):\n%s", diff)
	}
	xs, _ = rep.ListExceptions(t.Context(), sidecar.ExceptionFilter{Status: sidecar.ExceptionOpen})
	if len(xs) != 0 {
		t.Errorf("open exceptions after resolution: %+v", xs)
	}
	if err := r.Resolve(t.Context(), "exc-1", "ops", ""); err == nil {
		t.Error("Resolve without a note succeeded")
	}
}
