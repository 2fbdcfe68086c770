package policytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/clearancehq/clearance/policies"
)

// BaseFile is the optional base input at the root of a corpus.
const BaseFile = "base.yaml"

// Want is the expected outcome of a case.
type Want struct {
	Decision string   `yaml:"decision"`
	Codes    []string `yaml:"codes"`
}

// Case is one golden decision.
type Case struct {
	// Name is the case's path inside the corpus, without ".yaml".
	Name        string
	Description string
	Input       *policies.Input
	Want        Want
}

type caseFile struct {
	Description string    `yaml:"description"`
	Base        string    `yaml:"base"`
	Input       yaml.Node `yaml:"input"`
	Want        Want      `yaml:"want"`
}

// Load reads every *.yaml case under fsys (except base.yaml), sorted by path.
func Load(fsys fs.FS) ([]Case, error) {
	var base map[string]any
	if b, err := fs.ReadFile(fsys, BaseFile); err == nil {
		if err := yaml.Unmarshal(b, &base); err != nil {
			return nil, fmt.Errorf("policytest: %s: %w", BaseFile, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("policytest: %w", err)
	}
	var cases []Case
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || path.Ext(p) != ".yaml" || p == BaseFile {
			return nil
		}
		c, err := loadCase(fsys, p, base)
		if err != nil {
			return err
		}
		cases = append(cases, c)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(cases, func(i, j int) bool { return cases[i].Name < cases[j].Name })
	return cases, nil
}

func loadCase(fsys fs.FS, p string, base map[string]any) (Case, error) {
	b, err := fs.ReadFile(fsys, p)
	if err != nil {
		return Case{}, fmt.Errorf("policytest: %w", err)
	}
	var cf caseFile
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cf); err != nil {
		return Case{}, fmt.Errorf("policytest: %s: %w", p, err)
	}
	var overlay map[string]any
	if err := cf.Input.Decode(&overlay); err != nil {
		return Case{}, fmt.Errorf("policytest: %s: input: %w", p, err)
	}
	merged := overlay
	if cf.Base != "none" && base != nil {
		merged = merge(deepCopy(base).(map[string]any), overlay)
	}
	in, err := DecodeInput(merged)
	if err != nil {
		return Case{}, fmt.Errorf("policytest: %s: input: %w", p, err)
	}
	if _, err := policies.ParseEffect(cf.Want.Decision); err != nil {
		return Case{}, fmt.Errorf("policytest: %s: want.decision: %w", p, err)
	}
	return Case{Name: strings.TrimSuffix(p, ".yaml"), Description: cf.Description, Input: in, Want: cf.Want}, nil
}

// DecodeInput converts a generic YAML/JSON value into a policies.Input,
// rejecting unknown fields.
func DecodeInput(v any) (*policies.Input, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var in policies.Input
	if err := dec.Decode(&in); err != nil {
		return nil, err
	}
	return &in, nil
}

func merge(base, overlay map[string]any) map[string]any {
	for k, v := range overlay {
		bm, bok := base[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			base[k] = merge(bm, om)
			continue
		}
		base[k] = v
	}
	return base
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = deepCopy(v)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, v := range x {
			s[i] = deepCopy(v)
		}
		return s
	default:
		return x
	}
}

// Outcome is what an engine decided for a case.
type Outcome struct {
	Decision string
	Codes    []string
	Reasons  []policies.Reason
}

// Evaluate runs one case (ScopeAll) and combines the result.
func Evaluate(ctx context.Context, e policies.Engine, c Case) (Outcome, error) {
	res, err := e.Evaluate(ctx, c.Input, policies.ScopeAll)
	if err != nil {
		return Outcome{}, err
	}
	d := policies.Combine(e.Revision(), res)
	return Outcome{Decision: d.Effect.String(), Codes: CodeSet(d.Reasons), Reasons: d.Reasons}, nil
}

// CodeSet returns the sorted distinct codes of reasons.
func CodeSet(rs []policies.Reason) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, r := range rs {
		if !seen[r.Code] {
			seen[r.Code] = true
			out = append(out, r.Code)
		}
	}
	sort.Strings(out)
	return out
}

// Check runs c against e and returns a description of every mismatch (nil
// when the case passes).
func Check(ctx context.Context, e policies.Engine, c Case) error {
	got, err := Evaluate(ctx, e, c)
	if err != nil {
		return fmt.Errorf("%s: evaluate: %w", c.Name, err)
	}
	var problems []string
	if got.Decision != c.Want.Decision {
		problems = append(problems, fmt.Sprintf("decision %s, want %s", got.Decision, c.Want.Decision))
	}
	want := append([]string{}, c.Want.Codes...)
	sort.Strings(want)
	want = dedupe(want)
	if strings.Join(got.Codes, ",") != strings.Join(want, ",") {
		problems = append(problems, fmt.Sprintf("codes %v, want %v", got.Codes, want))
	}
	for _, r := range got.Reasons {
		if _, ok := policies.LookupCode(r.Code); !ok {
			problems = append(problems, fmt.Sprintf("undeclared code %s (policy %s)", r.Code, r.Policy))
		}
		if r.Policy == "" {
			problems = append(problems, fmt.Sprintf("code %s has no policy", r.Code))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%s (%s): %s; reasons: %s", c.Name, c.Description, strings.Join(problems, "; "), formatReasons(got.Reasons))
	}
	return nil
}

func dedupe(xs []string) []string {
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

func formatReasons(rs []policies.Reason) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s[%s] %q", r.Code, r.Policy, r.Message)
	}
	return strings.Join(parts, ", ")
}

// Run loads the corpus in dir and runs every case as a subtest.
func Run(t *testing.T, e policies.Engine, dir string) {
	t.Helper()
	RunFS(t, e, os.DirFS(dir))
}

// RunFS is Run over an fs.FS.
func RunFS(t *testing.T, e policies.Engine, fsys fs.FS) {
	t.Helper()
	cases, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) == 0 {
		t.Fatal("policytest: corpus is empty")
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if err := Check(t.Context(), e, c); err != nil {
				t.Error(err)
			}
		})
	}
}
