package source_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
)

func TestLintLibraryClean(t *testing.T) {
	issues, err := source.Lint(t.Context(), library.FS())
	if err != nil {
		t.Fatalf("library pack has lint issues: %v", issues)
	}
}

func TestLintFindsIssues(t *testing.T) {
	tests := []struct {
		name      string
		files     fstest.MapFS
		wantIssue string
	}{
		{
			name:      "unused variable (strict)",
			files:     fstest.MapFS{"p.rego": {Data: []byte("package clearance\n\nx if {\n\ty := 1\n\tinput.a == 2\n}\n")}},
			wantIssue: "p.rego:4:",
		},
		{
			name:      "syntax error",
			files:     fstest.MapFS{"p.rego": {Data: []byte("package clearance\n\nx if {\n")}},
			wantIssue: "p.rego:4: unexpected eof",
		},
		{
			name:      "undeclared code in rego",
			files:     fstest.MapFS{"p.rego": {Data: []byte("package clearance\n\nstatic_deny contains reason(\"MADE_UP\", \"m\", \"p\") if input.x\n\nreason(c, m, p) := {\"code\": c, \"message\": m, \"policy\": p}\n")}},
			wantIssue: "p.rego:3: reason code MADE_UP",
		},
		{
			name:      "non-bool CEL rule",
			files:     fstest.MapFS{"cel/r.yaml": {Data: []byte("rules:\n  - id: r\n    scope: static\n    when: amount\n    effect: DENY\n    code: LOCKED\n")}},
			wantIssue: "cel/r.yaml:2:",
		},
		{
			name:      "undeclared code in CEL",
			files:     fstest.MapFS{"cel/r.yaml": {Data: []byte("rules:\n  - id: r\n    scope: static\n    when: amount > 1\n    effect: DENY\n    code: NOPE_CODE\n")}},
			wantIssue: "cel/r.yaml:6: reason code NOPE_CODE",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issues, err := source.Lint(t.Context(), tt.files)
			if err == nil {
				t.Fatal("Lint passed, want an issue")
			}
			var all []string
			for _, is := range issues {
				all = append(all, is.String())
			}
			joined := strings.Join(all, "\n")
			if !strings.Contains(joined, tt.wantIssue) {
				t.Fatalf("issues:\n%s\nwant one containing %q", joined, tt.wantIssue)
			}
		})
	}
}

// TestCatalogueCoversLibrary scans the shipped pack's sources for every code
// they can emit and requires each to be declared.
func TestCatalogueCoversLibrary(t *testing.T) {
	files, err := source.Load(library.FS())
	if err != nil {
		t.Fatal(err)
	}
	if issues := source.UndeclaredCodes(files); len(issues) != 0 {
		t.Fatalf("undeclared codes: %v", issues)
	}
	// The scanner must see the codes at all: count the distinct ones.
	n := 0
	for _, src := range files.Modules {
		n += strings.Count(src, "reason(\"") + strings.Count(src, "\"code\": \"")
	}
	if n < 30 {
		t.Fatalf("scanner saw only %d code sites in the Rego pack", n)
	}
}
