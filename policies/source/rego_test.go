package source_test

import (
	"testing"

	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
)

// TestLibraryPackTests runs the shipped pack's Rego unit tests through
// source.Test, as the Watcher and `clearance policy test` do.
func TestLibraryPackTests(t *testing.T) {
	b, rep, err := source.CompileTested(t.Context(), library.FS())
	if err != nil {
		for _, f := range rep.Failures {
			t.Log(f)
		}
		t.Fatal(err)
	}
	if b == nil || rep.Rego.Passed < 8 || rep.Rego.Failed != 0 {
		t.Fatalf("rego tests: %+v, want at least 8 passed and none failed", rep.Rego)
	}
}
