package source_test

import (
	"testing"
	"testing/fstest"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/policytest"
	"github.com/clearancehq/clearance/policies/source"
)

func TestCompileLibraryGolden(t *testing.T) {
	b, err := source.Compile(t.Context(), library.FS())
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Revision()) != 64 {
		t.Fatalf("revision %q is not a sha256 hex", b.Revision())
	}
	policytest.Run(t, b, "../testdata/decisions")
}

func TestRevisionIsContentHash(t *testing.T) {
	a := fstest.MapFS{"p.rego": {Data: []byte("package clearance\n")}, "q.rego": {Data: []byte("package clearance\n")}}
	b := fstest.MapFS{"q.rego": {Data: []byte("package clearance\n")}, "p.rego": {Data: []byte("package clearance\n")}}
	c := fstest.MapFS{"p.rego": {Data: []byte("package clearance\n\n")}, "q.rego": {Data: []byte("package clearance\n")}}
	fa, err := source.Load(a)
	if err != nil {
		t.Fatal(err)
	}
	fb, _ := source.Load(b)
	fc, _ := source.Load(c)
	if fa.Revision != fb.Revision {
		t.Errorf("same content, different revisions")
	}
	if fa.Revision == fc.Revision {
		t.Errorf("different content, same revision")
	}
}

func TestLiveSwap(t *testing.T) {
	l := source.NewLive(nil)
	if _, err := l.Evaluate(t.Context(), &policies.Input{}, policies.ScopeAll); err == nil {
		t.Fatal("empty Live evaluated without error; want fail closed")
	}
	b, err := source.Compile(t.Context(), library.FS())
	if err != nil {
		t.Fatal(err)
	}
	if old := l.Swap(b); old != nil {
		t.Fatalf("old = %v, want nil", old)
	}
	if l.Revision() != b.Revision() {
		t.Fatalf("revision %q, want %q", l.Revision(), b.Revision())
	}
}
