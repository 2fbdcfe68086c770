package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/clearancehq/clearance/registry"
)

// BenchAsset is the asset Populate creates.
const BenchAsset = "BENCH-1"

// Populate fills s with nWallets wallets, two per investor, one asset, and
// a whitelist entry for every investor, in batches of batch rows.
func Populate(tb testing.TB, s registry.Store, nWallets, batch int) {
	tb.Helper()
	ctx := context.Background()
	c := registry.Change{Actor: "bench", Reason: "populate"}
	a := Asset(BenchAsset)
	if _, err := s.CreateAsset(ctx, a, c); err != nil {
		tb.Fatal(err)
	}
	rows := make([]registry.Mutation, 0, batch)
	flush := func() {
		if len(rows) == 0 {
			return
		}
		res, err := s.Upsert(ctx, rows, c, registry.UpsertOptions{AllOrNothing: true})
		if err != nil {
			for _, r := range res {
				if r.Err != nil {
					tb.Fatalf("populate: %v: %v", err, r.Err)
				}
			}
			tb.Fatalf("populate: %v", err)
		}
		rows = rows[:0]
	}
	for i := 0; i < nWallets/2; i++ {
		inv := Investor(BenchInvestor(i))
		w1, w2 := Wallet(2*i, inv.ID), Wallet(2*i+1, inv.ID)
		rows = append(rows, registry.Mutation{Investor: &inv}, registry.Mutation{Wallet: &w1}, registry.Mutation{Wallet: &w2},
			registry.Mutation{Whitelist: &registry.WhitelistEntry{AssetID: BenchAsset, InvestorID: inv.ID, Active: true}})
		if len(rows) >= batch {
			flush()
		}
	}
	flush()
}

// BenchInvestor is the id of the i-th investor Populate creates.
func BenchInvestor(i int) string { return fmt.Sprintf("inv-%08d", i) }

// DecisionReads performs the registry reads of one transfer check:
// Wallet(to), Wallet(from), Investor x2, Asset, Whitelisted x2, WalletsOf.
func DecisionReads(ctx context.Context, s registry.Reader, from, to string) error {
	var zero time.Time
	wt, err := s.Wallet(ctx, to, zero)
	if err != nil {
		return err
	}
	wf, err := s.Wallet(ctx, from, zero)
	if err != nil {
		return err
	}
	it, err := s.Investor(ctx, wt.InvestorID, zero)
	if err != nil {
		return err
	}
	inf, err := s.Investor(ctx, wf.InvestorID, zero)
	if err != nil {
		return err
	}
	if _, err := s.Asset(ctx, BenchAsset, zero); err != nil {
		return err
	}
	if ok, err := s.Whitelisted(ctx, BenchAsset, it.ID, zero); err != nil || !ok {
		return fmt.Errorf("whitelisted(%s) = %v, %v", it.ID, ok, err)
	}
	if ok, err := s.Whitelisted(ctx, BenchAsset, inf.ID, zero); err != nil || !ok {
		return fmt.Errorf("whitelisted(%s) = %v, %v", inf.ID, ok, err)
	}
	ws, err := s.WalletsOf(ctx, it.ID, zero)
	if err != nil {
		return err
	}
	if len(ws) != 2 {
		return fmt.Errorf("WalletsOf(%s) = %d wallets", it.ID, len(ws))
	}
	return nil
}

// LatencyReport is the latency distribution of a number of read sets.
type LatencyReport struct {
	N        int
	P50, P99 time.Duration
}

// MeasureDecisionReads runs iters read sets on random wallet pairs of a
// store filled by Populate(nWallets) and returns p50 and p99.
func MeasureDecisionReads(ctx context.Context, s registry.Reader, nWallets, iters int, seed uint64) (LatencyReport, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d := make([]time.Duration, 0, iters)
	for range iters {
		from, to := Address(r.IntN(nWallets)), Address(r.IntN(nWallets))
		start := time.Now()
		if err := DecisionReads(ctx, s, from, to); err != nil {
			return LatencyReport{}, err
		}
		d = append(d, time.Since(start))
	}
	slices.Sort(d)
	return LatencyReport{N: iters, P50: d[len(d)/2], P99: d[len(d)*99/100]}, nil
}

// BenchDecisionReads is the benchmark both stores run. open returns a fresh
// empty store. It fills one store with 10k wallets and, when
// CLEARANCE_BENCH_1M=1 (large is true), a second with 1M; then measures
// each alone and, with both, interleaved in chunks so both see the same
// machine load, reporting p50/p99 per read set and the p99 ratio.
func BenchDecisionReads(b *testing.B, large bool, open func(b *testing.B) registry.Store) {
	sizes := []int{10_000}
	if large {
		sizes = append(sizes, 1_000_000)
	}
	stores := make([]registry.Store, len(sizes))
	for i, n := range sizes {
		stores[i] = open(b)
		start := time.Now()
		Populate(b, stores[i], n, 10_000)
		b.Logf("populated %d wallets in %v", n, time.Since(start).Round(time.Millisecond))
	}
	ctx := context.Background()
	report := func(b *testing.B, prefix string, d []time.Duration) time.Duration {
		slices.Sort(d)
		p99 := d[len(d)*99/100]
		b.ReportMetric(float64(d[len(d)/2].Nanoseconds())/1e3, prefix+"p50-µs")
		b.ReportMetric(float64(p99.Nanoseconds())/1e3, prefix+"p99-µs")
		return p99
	}
	for i, n := range sizes {
		b.Run(fmt.Sprintf("wallets=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			d := make([]time.Duration, 0, b.N)
			for b.Loop() {
				from, to := Address(r.IntN(n)), Address(r.IntN(n))
				t0 := time.Now()
				if err := DecisionReads(ctx, stores[i], from, to); err != nil {
					b.Fatal(err)
				}
				d = append(d, time.Since(t0))
			}
			report(b, "", d)
		})
	}
	if len(sizes) < 2 {
		return
	}
	b.Run("interleaved-10k-vs-1M", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 4))
		d := [2][]time.Duration{}
		const chunk = 200
		i := 0
		for b.Loop() {
			k := (i / chunk) % 2
			i++
			n := sizes[k]
			from, to := Address(r.IntN(n)), Address(r.IntN(n))
			t0 := time.Now()
			if err := DecisionReads(ctx, stores[k], from, to); err != nil {
				b.Fatal(err)
			}
			d[k] = append(d[k], time.Since(t0))
		}
		if len(d[1]) == 0 {
			return
		}
		small := report(b, "10k-", d[0])
		big := report(b, "1M-", d[1])
		b.ReportMetric(float64(big)/float64(small), "p99-ratio")
	})
}
