package aml_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/redis/go-redis/v9"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/screening/aml"
)

const t0 = int64(1767225600) // 2026-01-01T00:00:00Z

func party(inv, wallet, jur, typ string, expectedMax int64) *policies.PartyFacts {
	return &policies.PartyFacts{
		Known:     true,
		Wallet:    policies.WalletFacts{Address: wallet, Verified: true, Active: true},
		Investor:  policies.InvestorFacts{Known: true, ID: inv, Jurisdiction: jur, Type: typ, Status: "APPROVED", ExpectedMax: expectedMax},
		Screening: policies.ScreeningFacts{Status: "CLEAR"},
	}
}

func unknownWallet(wallet string) *policies.PartyFacts {
	return &policies.PartyFacts{Wallet: policies.WalletFacts{Address: wallet}, Screening: policies.ScreeningFacts{Status: "CLEAR"}}
}

func transfer(from, to *policies.PartyFacts, amount, now int64) *policies.Input {
	return &policies.Input{
		Action: policies.ActionTransfer, AssetID: "TKN", Amount: amount, Now: now,
		FromWallet: from.Wallet.Address, ToWallet: to.Wallet.Address, From: from, To: to,
	}
}

type windowsFactory struct {
	name string
	new  func(t *testing.T) aml.Windows
}

func factories(t *testing.T) []windowsFactory {
	t.Helper()
	return []windowsFactory{
		{"memory", func(t *testing.T) aml.Windows {
			w, err := aml.NewMemoryWindows(aml.WindowConfig{})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}},
		{"redis", func(t *testing.T) aml.Windows {
			rdb := testRedis(t)
			w, err := aml.NewRedisWindows(rdb, aml.RedisConfig{Prefix: "test:aml:" + randHex() + ":", Timeout: 2 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			return w
		}},
	}
}

func randHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func testRedis(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("CLEARANCE_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = rdb.Close() })
	if err := rdb.Ping(t.Context()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	return rdb
}

func newScorer(t *testing.T, w aml.Windows) *aml.Scorer {
	t.Helper()
	s, err := aml.New(aml.DefaultConfig(), w, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSeedScenarios runs the seed's §6.2 scoring scenarios (requirements
// §4.4 and T12) against both window stores.
func TestSeedScenarios(t *testing.T) {
	for _, f := range factories(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx := t.Context()
			t.Run("normal transfer passes", func(t *testing.T) {
				s := newScorer(t, f.new(t))
				alice := party("alice", "0xA11CE", "US", "ENTITY", 100_000)
				bob := party("bob", "0xB0B", "US", "INDIVIDUAL", 100_000)
				// History: Alice pays Bob monthly.
				for i := range int64(3) {
					if err := s.Observe(ctx, transfer(alice, bob, 25_000, t0-(i+1)*10*86400)); err != nil {
						t.Fatal(err)
					}
				}
				got, err := s.Score(ctx, transfer(alice, bob, 25_000, t0), alice)
				if err != nil {
					t.Fatal(err)
				}
				if got.Score >= 40 {
					t.Errorf("score = %d, want < 40; features %v", got.Score, got.Features)
				}
				if got.Score != 20 {
					t.Errorf("score = %d, want the seed's 20; features %v", got.Score, got.Features)
				}
				if got.AmountRatioPct != 25 {
					t.Errorf("AmountRatioPct = %d, want 25", got.AmountRatioPct)
				}
			})
			t.Run("new unonboarded wallet", func(t *testing.T) {
				s := newScorer(t, f.new(t))
				alice := party("alice", "0xA11CE", "US", "ENTITY", 100_000)
				x := unknownWallet("0xX")
				got, err := s.Score(ctx, transfer(alice, x, 10_000, t0), alice)
				if err != nil {
					t.Fatal(err)
				}
				if got.Features["new_counterparty"] != 20 {
					t.Errorf("new_counterparty = %d, want 20 (never seen, not onboarded)", got.Features["new_counterparty"])
				}
				if got.Score < 40 {
					t.Errorf("score = %d, want an alert (>= 40); features %v", got.Score, got.Features)
				}
			})
			t.Run("6x plus fan-out escalates", func(t *testing.T) {
				s := newScorer(t, f.new(t))
				payer := party("payer", "0xPAY", "US", "ENTITY", 10_000_000)
				sender := party("sender", "0x5E", "US", "INDIVIDUAL", 100_000)
				// The onboarded sender receives 6x its expected range...
				if err := s.Observe(ctx, transfer(payer, sender, 650_000, t0)); err != nil {
					t.Fatal(err)
				}
				// ...and immediately fans out to new wallets.
				var last policies.AMLFacts
				for i, w := range []string{"0xN1", "0xN2", "0xN3"} {
					in := transfer(sender, party("new"+w, w, "US", "INDIVIDUAL", 0), 200_000, t0+int64(60*(i+1)))
					got, err := s.Score(ctx, in, sender)
					if err != nil {
						t.Fatal(err)
					}
					last = got
					if err := s.Observe(ctx, in); err != nil {
						t.Fatal(err)
					}
				}
				if last.Score < 80 {
					t.Errorf("third fan-out score = %d, want >= 80; features %v", last.Score, last.Features)
				}
				want := map[string]int64{"profile": 10, "amount": 30, "velocity": 0, "new_counterparty": 5, "new_counterparty_rate": 0, "fan_out": 25, "rapid_in_out": 10, "sanctions": 0}
				if diff := cmp.Diff(want, last.Features); diff != "" {
					t.Errorf("features (-want +got):\n%s", diff)
				}
			})
			t.Run("confirmed sanctions match scores 100", func(t *testing.T) {
				s := newScorer(t, f.new(t))
				alice := party("alice", "0xA11CE", "US", "ENTITY", 100_000)
				bob := party("bob", "0xB0B", "US", "INDIVIDUAL", 100_000)
				bob.Screening = policies.ScreeningFacts{Status: "CONFIRMED", Score: 0.97, Entry: "SDN-1"}
				got, err := s.Score(ctx, transfer(alice, bob, 1, t0), bob)
				if err != nil {
					t.Fatal(err)
				}
				if got.Score != 100 {
					t.Errorf("score = %d, want 100", got.Score)
				}
			})
		})
	}
}

func TestWindows(t *testing.T) {
	for _, f := range factories(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx := t.Context()
			w := f.new(t)
			events := []aml.Event{
				{Investor: "i1", Direction: aml.Out, Counterparty: "a", At: t0 - 40*86400, Amount: 1}, // outside 30d
				{Investor: "i1", Direction: aml.Out, Counterparty: "b", At: t0 - 10*86400, Amount: 10},
				{Investor: "i1", Direction: aml.Out, Counterparty: "c", At: t0 - 3*86400, Amount: 100},
				{Investor: "i1", Direction: aml.Out, Counterparty: "d", At: t0 - 7200, Amount: 1000},
				{Investor: "i1", Direction: aml.Out, Counterparty: "b", At: t0 - 60, Amount: 10000},
				{Investor: "i1", Direction: aml.In, Counterparty: "z", At: t0 - 120, Amount: 5},
				{Investor: "i2", Direction: aml.Out, Counterparty: "q", At: t0 - 60, Amount: 7},
			}
			for _, ev := range events {
				if err := w.Record(ctx, ev); err != nil {
					t.Fatal(err)
				}
			}
			got, err := w.Read(ctx, aml.Query{Investor: "i1", Direction: aml.Out, Counterparty: "b", Now: t0,
				Spans: []int64{3600, 86400, 7 * 86400, 30 * 86400}, Short: 3600, Day: 86400})
			if err != nil {
				t.Fatal(err)
			}
			want := aml.Snapshot{
				In:                []aml.Total{{1, 5}, {1, 5}, {1, 5}, {1, 5}},
				Out:               []aml.Total{{1, 10000}, {2, 11000}, {3, 11100}, {4, 11110}},
				CounterpartySeen:  true,
				FanOut:            0, // b was first seen 10 days ago; d 2h ago
				NewCounterparties: 1, // d
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Read (-want +got):\n%s", diff)
			}
			got, err = w.Read(ctx, aml.Query{Investor: "i1", Direction: aml.Out, Counterparty: "new", Now: t0,
				Spans: []int64{3600}, Short: 3 * 3600, Day: 86400})
			if err != nil {
				t.Fatal(err)
			}
			if got.CounterpartySeen || got.FanOut != 1 || got.NewCounterparties != 1 {
				t.Errorf("new counterparty: seen=%v fanout=%d new=%d, want false 1 1", got.CounterpartySeen, got.FanOut, got.NewCounterparties)
			}
		})
	}
}

func TestRedisDownFailsClosed(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	w, err := aml.NewRedisWindows(rdb, aml.RedisConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := newScorer(t, w)
	alice := party("alice", "0xA", "US", "ENTITY", 100)
	bob := party("bob", "0xB", "US", "ENTITY", 100)
	if _, err := s.Score(context.Background(), transfer(alice, bob, 1, t0), alice); err == nil {
		t.Error("Score with Redis down: want an error")
	}
	if err := s.Observe(context.Background(), transfer(alice, bob, 1, t0)); err == nil {
		t.Error("Observe with Redis down: want an error")
	}
}

func TestConfigErrors(t *testing.T) {
	w, err := aml.NewMemoryWindows(aml.WindowConfig{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		feature aml.Feature
		want    string
	}{
		{"not int", aml.Feature{Name: "x", Expr: `amount > 3`}, "want int"},
		{"unknown variable", aml.Feature{Name: "x", Expr: `nope + 1`}, "undeclared reference"},
		{"syntax", aml.Feature{Name: "x", Expr: `amount +`}, "Syntax error"},
		{"empty name", aml.Feature{Expr: `1`}, "name: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := aml.DefaultConfig()
			cfg.Features = append(cfg.Features, tc.feature)
			_, err := aml.New(cfg, w, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want containing %q", err, tc.want)
			}
		})
	}
	t.Run("tuned without rebuild", func(t *testing.T) {
		cfg := aml.DefaultConfig()
		cfg.Features = []aml.Feature{{Name: "big", Expr: `amount_ratio_pct > 300 ? 45 : 0`}}
		s, err := aml.New(cfg, w, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, b := party("a", "0xA", "US", "ENTITY", 100), party("b", "0xB", "US", "ENTITY", 100)
		got, err := s.Score(t.Context(), transfer(a, b, 301, t0), a)
		if err != nil {
			t.Fatal(err)
		}
		if got.Score != 45 || got.AmountRatioPct != 301 {
			t.Errorf("got %+v, want score 45 ratio 301", got)
		}
	})
}

func BenchmarkScore(b *testing.B) {
	for _, name := range []string{"memory", "redis"} {
		b.Run(name, func(b *testing.B) {
			var w aml.Windows
			var err error
			if name == "memory" {
				w, err = aml.NewMemoryWindows(aml.WindowConfig{})
			} else {
				rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
				defer rdb.Close()
				w, err = aml.NewRedisWindows(rdb, aml.RedisConfig{Prefix: "bench:aml:" + randHex() + ":", Timeout: time.Second})
			}
			if err != nil {
				b.Fatal(err)
			}
			s, err := aml.New(aml.DefaultConfig(), w, nil)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			alice := party("alice", "0xA11CE", "US", "ENTITY", 100_000)
			bob := party("bob", "0xB0B", "US", "INDIVIDUAL", 100_000)
			for i := range int64(200) { // a month of history
				if err := s.Observe(ctx, transfer(alice, bob, 1000, t0-i*3600*3)); err != nil {
					b.Fatal(err)
				}
			}
			in := transfer(alice, bob, 25_000, t0)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Score(ctx, in, alice); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var _ gateway.AMLScorer = (*aml.Scorer)(nil)

// TestIssuerWalletsAreNotNewCounterparties: redeeming to the issuer's
// redemption wallet (or receiving from its treasury) is the asset's exit and
// entry, so it is never a new counterparty and never adds fan-out.
func TestIssuerWalletsAreNotNewCounterparties(t *testing.T) {
	for _, f := range factories(t) {
		t.Run(f.name, func(t *testing.T) {
			ctx := t.Context()
			s := newScorer(t, f.new(t))
			holder := party("holder", "0xH01DE2", "US", "INDIVIDUAL", 100_000)
			treasury := party("issuer", "0x7EA5", "US", "ENTITY", 0)
			treasury.IsTreasury = true
			redemption := party("issuer", "0x2ED3", "US", "ENTITY", 0)
			redemption.IsRedemption = true
			other := party("other", "0x07E2", "US", "INDIVIDUAL", 100_000)
			if err := s.Observe(ctx, transfer(treasury, holder, 10_000, t0-600)); err != nil {
				t.Fatal(err)
			}
			if err := s.Observe(ctx, transfer(holder, other, 1_000, t0-300)); err != nil {
				t.Fatal(err)
			}
			got, err := s.Score(ctx, transfer(holder, redemption, 5_000, t0), holder)
			if err != nil {
				t.Fatal(err)
			}
			if got.Features["new_counterparty"] != 0 {
				t.Errorf("redemption counted as a new counterparty: %v", got.Features)
			}
			// A real new counterparty in the same position does count.
			third := party("third", "0x3D", "US", "INDIVIDUAL", 100_000)
			got2, err := s.Score(ctx, transfer(holder, third, 5_000, t0), holder)
			if err != nil {
				t.Fatal(err)
			}
			if got2.Score <= got.Score {
				t.Errorf("a new investor counterparty (%d %v) should score above the redemption (%d %v)", got2.Score, got2.Features, got.Score, got.Features)
			}
		})
	}
}
