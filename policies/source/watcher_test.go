package source_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
	"github.com/clearancehq/clearance/policies/source"
)

// copyLibrary writes the shipped pack into a temporary directory.
func copyLibrary(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(library.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(library.FS(), p)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(file))
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s does not contain %q", file, old)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func kycExpiredCase(t *testing.T) policytest.Case {
	t.Helper()
	cases, err := policytest.Load(os.DirFS("../testdata/decisions"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if c.Name == "eligibility/kyc_expired" {
			return c
		}
	}
	t.Fatal("case not found")
	return policytest.Case{}
}

func TestWatcherRejectsBrokenEdits(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		old, new string
		wantCode string
		wantLoc  string
	}{
		{
			name: "rego syntax error", file: "rego/eligibility.rego",
			old: "static_deny contains reason(\"ASSET_PAUSED\"", new: "static_deny contains reason(\"ASSET_PAUSED\" {{",
			wantCode: "compile_error", wantLoc: "rego/eligibility.rego:",
		},
		{
			name: "non-bool CEL rule", file: "cel/limits.yaml",
			old: "when: 'amount <= 0'", new: "when: 'amount - 1'",
			wantCode: "compile_error", wantLoc: "cel/limits.yaml:",
		},
		{
			name: "failing pack test", file: "rego/aml_test.rego",
			old:      `{"name": "review band", "patch": {"from": {"aml": {"score": 40}}}, "decision": "REVIEW"`,
			new:      `{"name": "review band", "patch": {"from": {"aml": {"score": 40}}}, "decision": "ALLOW"`,
			wantCode: "test_failure", wantLoc: "rego/aml_test.rego:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyLibrary(t)
			good, err := source.Compile(t.Context(), os.DirFS(dir))
			if err != nil {
				t.Fatal(err)
			}
			live := source.NewLive(good)
			reg := prometheus.NewRegistry()
			w, err := source.NewWatcher(dir, live, source.WithRegisterer(reg))
			if err != nil {
				t.Fatal(err)
			}
			if swapped, err := w.Reload(t.Context()); swapped || err != nil {
				t.Fatalf("unchanged dir: swapped=%v err=%v", swapped, err)
			}

			edit(t, dir, tt.file, tt.old, tt.new)
			swapped, err := w.Reload(t.Context())
			var pe *policies.Error
			if swapped || !errors.As(err, &pe) {
				t.Fatalf("broken edit: swapped=%v err=%v", swapped, err)
			}
			if pe.Code != tt.wantCode || !strings.HasPrefix(pe.Rule, tt.wantLoc) {
				t.Fatalf("error code %q rule %q (%v); want %q at %q", pe.Code, pe.Rule, pe.Err, tt.wantCode, tt.wantLoc)
			}
			if live.Revision() != good.Revision() {
				t.Fatalf("live revision changed to %s after a broken edit", live.Revision())
			}
			// The old revision keeps answering, with the same verdict.
			c := kycExpiredCase(t)
			if err := policytest.Check(t.Context(), live, c); err != nil {
				t.Fatalf("old revision no longer answers correctly: %v", err)
			}
			st := w.Status()
			if st.Revision != good.Revision() || st.LastError == "" || st.LastErrorAt.IsZero() || st.Failures != 1 {
				t.Fatalf("status = %+v", st)
			}
			if got := counterValue(t, reg, "error"); got != 1 {
				t.Fatalf("reloads{error} = %v, want 1", got)
			}
			// The same broken revision is not retried.
			if _, err := w.Reload(t.Context()); err != nil {
				t.Fatalf("second poll of the same broken revision: %v", err)
			}

			// Fixing the edit with a harmless change swaps the new revision in.
			var swappedTo string
			w.OnSwap(func(rev string) { swappedTo = rev })
			edit(t, dir, tt.file, tt.new, tt.old)
			edit(t, dir, "rego/main.rego", "package clearance\n", "package clearance\n\n# edited\n")
			swapped, err = w.Reload(t.Context())
			if !swapped || err != nil {
				t.Fatalf("good edit: swapped=%v err=%v", swapped, err)
			}
			if live.Revision() == good.Revision() || swappedTo != live.Revision() {
				t.Fatalf("live %s, callback %s, old %s", live.Revision(), swappedTo, good.Revision())
			}
			if st := w.Status(); st.LastError != "" || st.Reloads != 1 || st.Revision != live.Revision() {
				t.Fatalf("status after good edit = %+v", st)
			}
			if got := counterValue(t, reg, "success"); got != 1 {
				t.Fatalf("reloads{success} = %v, want 1", got)
			}
		})
	}
}

func counterValue(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "clearance_policy_reloads_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "result" && l.GetValue() == result {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func TestWatcherRunSwapsAndStops(t *testing.T) {
	dir := copyLibrary(t)
	good, err := source.Compile(t.Context(), os.DirFS(dir))
	if err != nil {
		t.Fatal(err)
	}
	live := source.NewLive(good)
	w, err := source.NewWatcher(dir, live, source.WithInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	swaps := make(chan string, 1)
	w.OnSwap(func(rev string) { swaps <- rev })
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	edit(t, dir, "rego/main.rego", "package clearance\n", "package clearance\n\n# edited\n")
	select {
	case rev := <-swaps:
		if rev != live.Revision() || rev == good.Revision() {
			t.Errorf("swapped to %s; live %s", rev, live.Revision())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no swap observed")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v, want context.Canceled", err)
	}
}
