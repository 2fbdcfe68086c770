package screening_test

import (
	"context"
	"io"
	"os"
	"slices"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/screeningtest"
)

func loadOFAC(t testing.TB) *screening.Service {
	t.Helper()
	dir := screeningtest.SanctionsDir(t)
	svc := newService(t)
	if _, err := svc.LoadPaths(context.Background(), screeningtest.Paths(dir, screeningtest.OFACFiles...)...); err != nil {
		t.Fatal(err)
	}
	return svc
}

type labelled struct {
	Queries []struct {
		Query  string   `yaml:"query"`
		Expect string   `yaml:"expect"`
		Also   []string `yaml:"also"`
		Kind   string   `yaml:"kind"`
	} `yaml:"queries"`
}

// Precision and recall floors this matcher reaches on testdata/labelled.yaml
// (see docs/bench/screening.md for the measured figures).
const (
	precisionFloor = 0.90
	recallFloor    = 0.90
)

// TestPrecisionRecall counts, at the POTENTIAL tier: a true positive when
// the expected entry is among the matches at POTENTIAL or above; a false
// positive for every other entry at POTENTIAL or above (on any query); a
// false negative when the expected entry is missing.
func TestPrecisionRecall(t *testing.T) {
	svc := loadOFAC(t)
	raw, err := os.ReadFile("testdata/labelled.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var set labelled
	dec := yaml.NewDecoder(bytesReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&set); err != nil {
		t.Fatal(err)
	}
	if len(set.Queries) < 60 {
		t.Fatalf("%d labelled queries, want >= 60", len(set.Queries))
	}
	var tp, fp, fn int
	for _, q := range set.Queries {
		ms, _, err := svc.Screen(context.Background(), screening.Party{Name: q.Query})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, m := range ms {
			if m.Tier == screening.TierClear {
				continue
			}
			if m.Entity.ID == q.Expect {
				found = true
				continue
			}
			if slices.Contains(q.Also, m.Entity.ID) {
				continue
			}
			// Another entry of the same real person (a duplicate listing)
			// would be a legitimate hit; the labels name one entry, so
			// count every other entry as a false positive.
			fp++
			t.Logf("FP  %-14s %q -> %s (%.3f)", q.Kind, q.Query, m.Entry(), m.Score)
		}
		switch {
		case q.Expect != "" && found:
			tp++
		case q.Expect != "":
			fn++
			best := "none"
			if len(ms) > 0 {
				best = ms[0].Explain()
			}
			t.Logf("FN  %-14s %q (best: %s)", q.Kind, q.Query, best)
		}
	}
	precision := float64(tp) / float64(max(1, tp+fp))
	recall := float64(tp) / float64(max(1, tp+fn))
	t.Logf("queries=%d TP=%d FP=%d FN=%d precision=%.3f recall=%.3f", len(set.Queries), tp, fp, fn, precision, recall)
	if precision < precisionFloor || recall < recallFloor {
		t.Errorf("precision %.3f / recall %.3f below floors %.2f / %.2f", precision, recall, precisionFloor, recallFloor)
	}
}

var benchQueries = []string{"Nicolas Madurro Moros", "Muammar Gaddafi", "Oleg Deripaska", "Banco Nacional de Kuba", "John Smith", "Qassem Suleimani", "Nevsky News LLC", "Mohammed Hassan"}

// BenchmarkScreen compares the indexed screen with a linear scan over every
// name, and reports p50/p99 per query.
func BenchmarkScreen(b *testing.B) {
	svc := loadOFAC(b)
	ix := svc.Index()
	th := svc.Thresholds()
	for _, mode := range []string{"indexed", "linear"} {
		b.Run(mode, func(b *testing.B) {
			lat := make([]time.Duration, 0, b.N)
			i := 0
			for b.Loop() {
				p := screening.Party{Name: benchQueries[i%len(benchQueries)]}
				i++
				start := time.Now()
				if mode == "indexed" {
					ix.Screen(p, th)
				} else {
					ix.LinearScreen(p, th)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			if len(lat) > 0 {
				b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
				b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			}
			b.ReportMetric(float64(ix.NameCount()), "names")
		})
	}
}

// BenchmarkStatus measures the pre-trade lookup (cached investor + wallet).
func BenchmarkStatus(b *testing.B) {
	svc := loadOFAC(b)
	sc, _ := newScreener(&testing.T{}, svc, fakeRegistry{"inv-1": {Name: "Jane Ordinary"}}, time.Now)
	ctx := context.Background()
	if _, err := sc.Status(ctx, "inv-1", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		sc.Status(ctx, "inv-1", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c")
	}
}

func bytesReader(b []byte) *bytesReaderT { return &bytesReaderT{b: b} }

type bytesReaderT struct{ b []byte }

func (r *bytesReaderT) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}
