package source

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/celengine"
)

// Issue is one lint finding.
type Issue struct {
	File    string
	Line    int
	Message string
}

func (i Issue) String() string {
	if i.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", i.File, i.Line, i.Message)
	}
	return fmt.Sprintf("%s: %s", i.File, i.Message)
}

// regoCode finds the reason codes a Rego source emits through the pack's
// reason helpers or a literal "code" field.
var regoCode = regexp.MustCompile(`(?:reason|limit_reason|limit_status)\(\s*"([A-Z0-9_]+)"|"code"\s*:\s*"([A-Z0-9_]+)"`)

// Lint checks the pack in fsys the way `opa check --strict` and the CEL type
// checker do: every Rego module and test compiles with strict checks (unused
// variables, imports and function arguments, shadowed names) against the
// restricted capabilities; every CEL rule compiles and is bool; every code
// the pack emits is declared in policies.Catalogue. The error is non-nil
// when there is any issue.
func Lint(ctx context.Context, fsys fs.FS) ([]Issue, error) {
	files, err := Load(fsys)
	if err != nil {
		return []Issue{{File: ".", Message: err.Error()}}, err
	}
	var issues []Issue
	all := map[string]string{}
	for p, s := range files.Modules {
		all[p] = s
	}
	for p, s := range files.RegoTests {
		all[p] = s
	}
	if len(all) > 0 {
		issues = append(issues, lintRego(all)...)
	}
	if _, err := celengine.New(ctx, files.CEL); err != nil {
		issues = append(issues, issueFromError(err))
	}
	issues = append(issues, UndeclaredCodes(files)...)
	sort.SliceStable(issues, func(i, j int) bool {
		if issues[i].File != issues[j].File {
			return issues[i].File < issues[j].File
		}
		return issues[i].Line < issues[j].Line
	})
	if len(issues) > 0 {
		return issues, fmt.Errorf("source: lint: %d issue(s); first: %s", len(issues), issues[0])
	}
	return nil, nil
}

func lintRego(mods map[string]string) []Issue {
	var issues []Issue
	parsed := map[string]*ast.Module{}
	for p, src := range mods {
		m, err := ast.ParseModuleWithOpts(p, src, ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			issues = append(issues, astIssues(err, p)...)
			continue
		}
		parsed[p] = m
	}
	if len(issues) > 0 {
		return issues
	}
	caps := opaCapsWithPrint()
	c := ast.NewCompiler().WithCapabilities(caps).WithStrict(true).WithEnablePrintStatements(true)
	c.Compile(parsed)
	if c.Failed() {
		issues = append(issues, astIssues(c.Errors, "")...)
	}
	return issues
}

func astIssues(err error, file string) []Issue {
	var ae ast.Errors
	if !errors.As(err, &ae) {
		return []Issue{{File: file, Message: err.Error()}}
	}
	out := make([]Issue, 0, len(ae))
	for _, e := range ae {
		is := Issue{File: file, Message: e.Message}
		if e.Location != nil {
			is.File, is.Line = e.Location.File, e.Location.Row
		}
		out = append(out, is)
	}
	return out
}

var fileLine = regexp.MustCompile(`^(.+?):(\d+)`)

func issueFromError(err error) Issue {
	var pe *policies.Error
	if errors.As(err, &pe) {
		is := Issue{File: pe.Rule, Message: pe.Err.Error()}
		if m := fileLine.FindStringSubmatch(pe.Rule); m != nil {
			is.File = m[1]
			fmt.Sscan(m[2], &is.Line)
			is.Message = strings.TrimSpace(strings.TrimPrefix(pe.Rule, m[0]) + " " + pe.Err.Error())
		}
		return is
	}
	return Issue{Message: err.Error()}
}

// UndeclaredCodes lists the reason codes the pack's Rego modules and CEL
// rules emit that policies.Catalogue does not declare.
func UndeclaredCodes(files *Files) []Issue {
	var issues []Issue
	for p, src := range files.Modules {
		for i, line := range strings.Split(src, "\n") {
			for _, m := range regoCode.FindAllStringSubmatch(line, -1) {
				code := m[1] + m[2]
				if _, ok := policies.LookupCode(code); !ok {
					issues = append(issues, Issue{File: p, Line: i + 1, Message: fmt.Sprintf("reason code %s is not declared in the catalogue", code)})
				}
			}
		}
	}
	for p, b := range files.CEL {
		for i, line := range strings.Split(string(b), "\n") {
			t := strings.TrimSpace(line)
			if !strings.HasPrefix(t, "code:") {
				continue
			}
			code := strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "code:")), `"'`)
			if _, ok := policies.LookupCode(code); !ok {
				issues = append(issues, Issue{File: p, Line: i + 1, Message: fmt.Sprintf("reason code %s is not declared in the catalogue", code)})
			}
		}
	}
	return issues
}
