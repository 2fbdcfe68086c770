package verdictcache

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/clearancehq/clearance/policies"
)

// Run with:
//
//	go test ./gateway/verdictcache -run '^$' -bench . -benchtime 200000x -count 3

func BenchmarkKeyEncode(b *testing.B) {
	in := sampleInput(baseNow)
	var buf [1024]byte
	b.ReportAllocs()
	for b.Loop() {
		_ = appendStatic(buf[:0], in, "rev-1")
	}
	b.ReportMetric(float64(len(appendStatic(nil, in, "rev-1"))), "bytes/key")
}

func BenchmarkKeyHash(b *testing.B) {
	enc := appendStatic(nil, sampleInput(baseNow), "rev-1")
	for _, h := range []struct {
		name string
		fn   func([]byte) key
	}{{"sha256-128", hashSHA}, {"xxhash64x2", hashXX}} {
		b.Run(h.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				_ = h.fn(enc)
			}
		})
	}
}

func BenchmarkKeyOf(b *testing.B) {
	in := sampleInput(baseNow)
	b.ReportAllocs()
	for b.Loop() {
		_ = keyOf(in, "rev-1")
	}
}

func BenchmarkLookupL1Hit(b *testing.B) {
	c, err := New(Config{}, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	in := sampleInput(time.Now().Unix())
	fn := &counter{res: allowResult()}
	ctx := context.Background()
	if _, _, err := c.Lookup(ctx, in, "rev-1", fn.compute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, tier, _ := c.Lookup(ctx, in, "rev-1", fn.compute); tier != TierL1 {
			b.Fatalf("tier %q", tier)
		}
	}
}

func BenchmarkLookupL1HitParallel(b *testing.B) {
	c, err := New(Config{}, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	in := sampleInput(time.Now().Unix())
	fn := &counter{res: allowResult()}
	ctx := context.Background()
	if _, _, err := c.Lookup(ctx, in, "rev-1", fn.compute); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _, _ = c.Lookup(ctx, in, "rev-1", fn.compute)
		}
	})
}

// BenchmarkLookupMiss is the miss path of an L1-only cache: key, probe,
// a no-op compute, and the store (with eviction once full).
func BenchmarkLookupMiss(b *testing.B) {
	c, err := New(Config{L1Size: 10000}, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().Unix()
	const n = 1 << 16
	ins := make([]*policies.Input, n)
	for i := range ins {
		ins[i] = sampleInput(now)
		ins[i].ToWallet = "0x" + strconv.Itoa(i)
		ins[i].To.Wallet.Address = ins[i].ToWallet
	}
	fn := &counter{res: allowResult()}
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		in := ins[i%n]
		in.To.Wallet.Version++ // a fresh key every time
		_, _, _ = c.Lookup(ctx, in, "rev-1", fn.compute)
		i++
	}
}

// BenchmarkLookupL2Hit measures an L1 miss answered by real Redis: one GET
// round trip plus decode. L1 is purged before every lookup.
func BenchmarkLookupL2Hit(b *testing.B) {
	requireRedis(b)
	prefix := testPrefix(b)
	client := newClient(b, redisAddr(), "vc-bench")
	c, err := New(Config{RedisTimeout: 200 * time.Millisecond, RedisBackoff: time.Nanosecond}, NewRedis(client, prefix, 200*time.Millisecond), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.RunSubscriber(ctx, client) }()
	defer func() { cancel(); <-done }()
	for !c.Enabled() {
		time.Sleep(time.Millisecond)
	}
	in := sampleInput(time.Now().Unix())
	fn := &counter{res: denyResult()}
	if _, _, err := c.Lookup(ctx, in, "rev-1", fn.compute); err != nil {
		b.Fatal(err)
	}
	c.Close()
	b.ReportAllocs()
	hits, n := 0, 0
	for b.Loop() {
		c.l1.purge(func() {})
		// On a loaded machine a GET can miss its deadline; that is a miss,
		// reported as the hit ratio rather than failing the benchmark.
		if _, tier, _ := c.Lookup(ctx, in, "rev-1", fn.compute); tier == TierL2 {
			hits++
		}
		n++
	}
	b.ReportMetric(float64(hits)/float64(n), "l2-hit-ratio")
}
