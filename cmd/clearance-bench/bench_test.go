package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestPercentileAndMedian(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 1000; i++ {
		ds = append(ds, time.Duration(i)*time.Microsecond)
	}
	cases := []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Microsecond}, {0.99, 990 * time.Microsecond}, {0.999, 999 * time.Microsecond}, {1, 1000 * time.Microsecond}}
	for _, c := range cases {
		if got := percentile(ds, c.q); got != c.want {
			t.Errorf("percentile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("percentile of nothing must be 0")
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median odd = %v", got)
	}
	if got := median([]float64{4, 1, 2, 3}); got != 2.5 {
		t.Errorf("median even = %v", got)
	}
}

func TestRatioPairsRounds(t *testing.T) {
	b := &bench{results: map[string]*result{
		"a": {Rounds: []sample{{Requests: 200, Elapsed: time.Second}, {Requests: 300, Elapsed: time.Second}, {Requests: 100, Elapsed: time.Second}}},
		"o": {Rounds: []sample{{Requests: 100, Elapsed: time.Second}, {Requests: 100, Elapsed: time.Second}, {Requests: 100, Elapsed: time.Second}}},
	}}
	m, lo, hi, ok := b.ratio("a", "o")
	if !ok || m != 2 || lo != 1 || hi != 3 {
		t.Errorf("ratio = %v [%v-%v] %v, want 2 [1-3]", m, lo, hi, ok)
	}
	if _, _, _, ok := b.ratio("a", "missing"); ok {
		t.Error("ratio against a missing trial must not be ok")
	}
}

func TestGeneratorsAreDeterministic(t *testing.T) {
	a, b := uniformMix(1, 10_000, 200), uniformMix(1, 10_000, 200)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("uniform mix differs at %d", i)
		}
	}
	if investorAt(1, 42) != investorAt(1, 42) {
		t.Fatal("investor generator is not deterministic")
	}
	var buf bytes.Buffer
	rows, err := writeRegistry(&buf, []byte(`{"kind":"asset","id":"X"}`), 10, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(buf.String(), "\n"); got != rows {
		t.Errorf("rows = %d, lines = %d", rows, got)
	}
	if !strings.Contains(buf.String(), `"kind":"wallet","address":"`+walletAt(9)+`"`) {
		t.Error("the last wallet is missing")
	}
}

func TestProfileTable(t *testing.T) {
	top := `      flat  flat%   sum%        cum   cum%
         0     0%  8.80%      0.94s 21.76%  github.com/clearancehq/clearance/gateway.(*Decider).Check
         0     0%  9.49%      580ms 13.43%  github.com/clearancehq/clearance/gateway/decisionlog.(*Logger).run`
	got := profileTable(top, 1000)
	for _, want := range []string{"| 940 |", "| 580 |", "Decider).Check"} {
		if !strings.Contains(got, want) {
			t.Errorf("profile table lacks %q:\n%s", want, got)
		}
	}
}

func TestDemoteSkipsFences(t *testing.T) {
	in := "# Title\n```\n# not a heading\n```\n## Sub"
	want := "### Title\n```\n# not a heading\n```\n#### Sub"
	if got := demote(in); got != want {
		t.Errorf("demote = %q", got)
	}
}
