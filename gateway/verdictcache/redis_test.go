package verdictcache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

func redisAddr() string {
	if a := os.Getenv("CLEARANCE_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// testPrefix is a Redis prefix no other test uses.
func testPrefix(t testing.TB) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "vctest:" + strings.ReplaceAll(t.Name(), "/", "_") + ":" + hex.EncodeToString(b[:])
}

// newClient returns a client for addr with the cache's options, skipping
// the test if Redis is not reachable at the default address.
func newClient(t testing.TB, addr, name string) *redis.Client {
	t.Helper()
	opt := ClientOptions(addr)
	opt.ClientName = name
	c := redis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func requireRedis(t testing.TB) {
	t.Helper()
	c := redis.NewClient(ClientOptions(redisAddr()))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		if os.Getenv("CI") != "" || os.Getenv("CLEARANCE_TEST_REDIS_ADDR") != "" {
			t.Fatalf("redis at %s: %v", redisAddr(), err)
		}
		t.Skipf("redis at %s unavailable: %v", redisAddr(), err)
	}
}

// replica is one cache with its Redis client and running subscriber.
type replica struct {
	cache  *Cache
	client *redis.Client
	stop   func()
}

// newReplica builds a cache whose L2 goes through dataAddr and whose
// subscriber goes through subAddr, and starts the subscriber.
func newReplica(t *testing.T, prefix, dataAddr, subAddr string, cfg Config) *replica {
	t.Helper()
	data := newClient(t, dataAddr, "vc-data")
	sub := data
	if subAddr != dataAddr {
		sub = newClient(t, subAddr, "vc-sub")
	}
	if cfg.RedisTimeout == 0 {
		// Generous on a loaded machine; tests of timeouts set their own.
		cfg.RedisTimeout = 500 * time.Millisecond
	}
	c, err := New(cfg, NewRedis(data, prefix, cfg.RedisTimeout), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := c.RunSubscriber(ctx, sub); err != nil {
			t.Errorf("RunSubscriber: %v", err)
		}
	}()
	r := &replica{cache: c, client: data, stop: func() { cancel(); <-done; c.Close() }}
	t.Cleanup(r.stop)
	return r
}

// eventually polls cond until it holds or ten seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func nowInput(to string) *policies.Input {
	in := sampleInput(time.Now().Unix())
	if to != "" {
		in.ToWallet, in.To.Wallet.Address = to, to
	}
	return in
}

func mustLookup(t *testing.T, c *Cache, in *policies.Input, fn *counter) string {
	t.Helper()
	_, tier, err := c.Lookup(context.Background(), in, "rev-1", fn.compute)
	if err != nil {
		t.Fatalf("Lookup: %v", err)
	}
	return tier
}

func TestL2SharedAcrossReplicas(t *testing.T) {
	requireRedis(t)
	prefix := testPrefix(t)
	a := newReplica(t, prefix, redisAddr(), redisAddr(), Config{})
	b := newReplica(t, prefix, redisAddr(), redisAddr(), Config{})
	eventually(t, "subscriptions", func() bool { return a.cache.Enabled() && b.cache.Enabled() })

	fn := &counter{res: denyResult()}
	if tier := mustLookup(t, a.cache, nowInput(""), fn); tier != TierNone {
		t.Fatalf("A first: %q", tier)
	}
	a.cache.Close() // wait for the background SET
	if tier := mustLookup(t, b.cache, nowInput(""), fn); tier != TierL2 {
		t.Fatalf("B first: %q, want l2", tier)
	}
	if tier := mustLookup(t, b.cache, nowInput(""), fn); tier != TierL1 {
		t.Fatalf("B second: %q, want l1", tier)
	}
	if fn.calls.Load() != 1 {
		t.Fatalf("compute ran %d times, want 1", fn.calls.Load())
	}
	ttl, err := a.client.PTTL(context.Background(), a.cache.remote.KeyPrefix()+hex.EncodeToString(func() []byte { k := keyOf(nowInput(""), "rev-1"); return k[:] }())).Result()
	if err != nil || ttl <= 0 || ttl > 60*time.Second {
		t.Fatalf("L2 entry TTL = %v, %v; want within the 60s backstop", ttl, err)
	}
}

func TestPublishInvalidatesEveryReplica(t *testing.T) {
	requireRedis(t)
	prefix := testPrefix(t)
	a := newReplica(t, prefix, redisAddr(), redisAddr(), Config{})
	b := newReplica(t, prefix, redisAddr(), redisAddr(), Config{})
	eventually(t, "subscriptions", func() bool { return a.cache.Enabled() && b.cache.Enabled() })
	fn := &counter{res: allowResult()}
	mustLookup(t, a.cache, nowInput(""), fn)
	mustLookup(t, b.cache, nowInput(""), fn)
	mustLookup(t, b.cache, nowInput("0xother"), fn)
	if a.cache.Len() != 1 || b.cache.Len() != 2 {
		t.Fatalf("entries A %d B %d", a.cache.Len(), b.cache.Len())
	}
	if err := a.cache.Publish(context.Background(), registry.Event{Kind: registry.KindWallet, ID: "0xbbb", Version: 4}); err != nil {
		t.Fatal(err)
	}
	if a.cache.Len() != 0 {
		t.Fatalf("Publish did not invalidate locally")
	}
	eventually(t, "B to drop the 0xbbb entry", func() bool { return b.cache.Len() == 1 })
	if tier := mustLookup(t, b.cache, nowInput("0xother"), fn); tier != TierL1 {
		t.Fatalf("unrelated entry: tier %q, want l1", tier)
	}

	// A replica skips the echo of its own events. B publishes after it
	// received A's event, so once A has B's event, A's echo (published
	// earlier, on the same channel) has been processed too.
	if err := b.cache.Publish(context.Background(), registry.Event{Kind: registry.KindWallet, ID: "0xother", Version: 2}); err != nil {
		t.Fatal(err)
	}
	aWallet := a.cache.m.invalidations.WithLabelValues(registry.KindWallet)
	eventually(t, "A to receive B's event", func() bool { return counterValue(t, aWallet) >= 2 })
	if got := counterValue(t, aWallet); got != 2 {
		t.Errorf("A invalidated %v times for 2 events, want 2 (own echo skipped)", got)
	}
}

func TestRedisOutageNeverFailsALookup(t *testing.T) {
	requireRedis(t)
	// A closed port: take a free one and close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()

	t.Run("everything down", func(t *testing.T) {
		r := newReplica(t, testPrefix(t), dead, dead, Config{})
		fn := &counter{res: allowResult()}
		for i := range 20 {
			in := nowInput("0xw" + string(rune('a'+i)))
			res, tier, err := r.cache.Lookup(context.Background(), in, "rev-1", fn.compute)
			if err != nil || tier != TierNone || !res.Allow {
				t.Fatalf("lookup %d: res %+v tier %q err %v", i, res, tier, err)
			}
		}
		if fn.calls.Load() != 20 || r.cache.Enabled() {
			t.Fatalf("calls %d, enabled %v: want every lookup computed with caching off", fn.calls.Load(), r.cache.Enabled())
		}
	})

	t.Run("L2 down, fan-out up", func(t *testing.T) {
		r := newReplica(t, testPrefix(t), dead, redisAddr(), Config{RedisBackoff: time.Millisecond})
		eventually(t, "subscription", r.cache.Enabled)
		fn := &counter{res: denyResult()}
		for i := range 20 {
			in := nowInput("0xw" + string(rune('a'+i)))
			res, tier, err := r.cache.Lookup(context.Background(), in, "rev-1", fn.compute)
			if err != nil || tier != TierNone || len(res.Deny) != 1 {
				t.Fatalf("lookup %d: res %+v tier %q err %v", i, res, tier, err)
			}
		}
		if got := counterValue(t, r.cache.m.redisErrors.WithLabelValues("get")); got == 0 {
			t.Errorf("no redis error counted")
		}
		// L1 still serves.
		if tier := mustLookup(t, r.cache, nowInput("0xwa"), fn); tier != TierL1 {
			t.Errorf("tier %q, want l1", tier)
		}
	})
}

func TestSlowRedisIsAMissAndRecovers(t *testing.T) {
	requireRedis(t)
	p := newProxy(t, redisAddr())
	prefix := testPrefix(t)
	writer := newReplica(t, prefix, redisAddr(), redisAddr(), Config{})
	slow := newReplica(t, prefix, p.addr(), redisAddr(), Config{RedisTimeout: 50 * time.Millisecond, RedisBackoff: time.Millisecond})
	eventually(t, "subscriptions", func() bool { return writer.cache.Enabled() && slow.cache.Enabled() })

	fn := &counter{res: allowResult()}
	const n, slowN = 200, 5
	wallet := func(i int) string { return "0xs" + string(rune('a'+i%26)) + string(rune('a'+i/26)) }
	for i := range n {
		mustLookup(t, writer.cache, nowInput(wallet(i)), fn)
	}
	writer.cache.Close()

	p.delay.Store(int64(500 * time.Millisecond)) // every reply 500 ms late
	for i := range slowN {
		res, tier, err := slow.cache.Lookup(context.Background(), nowInput(wallet(i)), "rev-1", fn.compute)
		if err != nil || tier != TierNone || !res.Allow {
			t.Fatalf("slow lookup %d: res %+v tier %q err %v", i, res, tier, err)
		}
	}
	if got := counterValue(t, slow.cache.m.redisErrors.WithLabelValues("get")); got == 0 {
		t.Errorf("no redis timeout counted")
	}
	p.delay.Store(0)
	// Recovery: the entries not yet looked up come from L2 again. Each is
	// looked up once (afterwards L1 would answer).
	recovered := false
	for i := slowN; i < n && !recovered; i++ {
		recovered = mustLookup(t, slow.cache, nowInput(wallet(i)), fn) == TierL2
		time.Sleep(20 * time.Millisecond)
	}
	if !recovered {
		t.Fatalf("no L2 hit after Redis recovered")
	}
}

func TestLostSubscriptionDisablesCaching(t *testing.T) {
	requireRedis(t)
	p := newProxy(t, redisAddr())
	r := newReplica(t, testPrefix(t), redisAddr(), p.addr(), Config{})
	eventually(t, "subscription", r.cache.Enabled)
	fn := &counter{res: allowResult()}
	mustLookup(t, r.cache, nowInput(""), fn)
	if tier := mustLookup(t, r.cache, nowInput(""), fn); tier != TierL1 {
		t.Fatalf("tier %q, want l1", tier)
	}

	p.refuse.Store(true)
	p.cut()
	eventually(t, "caching to turn off", func() bool { return !r.cache.Enabled() })
	if r.cache.Len() != 0 {
		t.Fatalf("L1 kept %d entries after the subscription was lost", r.cache.Len())
	}
	before := fn.calls.Load()
	for range 5 {
		if tier := mustLookup(t, r.cache, nowInput(""), fn); tier != TierNone {
			t.Fatalf("lookup without a subscription answered from %q", tier)
		}
	}
	if fn.calls.Load() != before+5 || r.cache.Len() != 0 {
		t.Fatalf("bypass stored or skipped compute: calls %d, entries %d", fn.calls.Load()-before, r.cache.Len())
	}

	p.refuse.Store(false)
	eventually(t, "caching to resume", r.cache.Enabled)
	mustLookup(t, r.cache, nowInput(""), fn)
	if tier := mustLookup(t, r.cache, nowInput(""), fn); tier != TierL1 {
		t.Fatalf("after recovery: tier %q, want l1", tier)
	}
}

func TestClientKillPubsubRecovers(t *testing.T) {
	requireRedis(t)
	name := "vc-kill-" + hex.EncodeToString([]byte(t.Name()))[:12]
	prefix := testPrefix(t)
	sub := newClient(t, redisAddr(), name)
	c, err := New(Config{}, NewRedis(newClient(t, redisAddr(), "vc-data"), prefix, 0), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = c.RunSubscriber(ctx, sub) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, "subscription", c.Enabled)
	fn := &counter{res: allowResult()}
	mustLookup(t, c, nowInput(""), fn)

	// CLIENT KILL TYPE pubsub, narrowed to this test's connection so other
	// users of the shared Redis keep theirs.
	admin := newClient(t, redisAddr(), "vc-admin")
	list, err := admin.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if !strings.Contains(line, " name="+name+" ") || !strings.Contains(line, " sub=1 ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok {
				if err := admin.Do(context.Background(), "CLIENT", "KILL", "ID", id).Err(); err != nil {
					t.Fatal(err)
				}
				killed++
			}
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d pubsub connections, want 1", killed)
	}
	lost := c.m.invalidations.WithLabelValues("subscription_lost")
	eventually(t, "the loss to be noticed", func() bool { return counterValue(t, lost) == 1 })
	eventually(t, "caching to resume", c.Enabled)
	if c.Len() != 0 {
		t.Fatalf("L1 kept %d entries across the lost subscription", c.Len())
	}
}

// proxy is a TCP proxy to Redis that can cut its connections, refuse new
// ones and delay replies.
type proxy struct {
	ln     net.Listener
	target string
	refuse atomic.Bool
	delay  atomic.Int64
	mu     sync.Mutex
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		if p.refuse.Load() {
			c.Close()
			continue
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, s)
		p.mu.Unlock()
		go func() { _, _ = io.Copy(s, c); s.Close() }()
		go func() { p.pipeDelayed(c, s); c.Close() }()
	}
}

// pipeDelayed copies replies from s to c, each chunk held back by delay.
func (p *proxy) pipeDelayed(c, s net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if d := time.Duration(p.delay.Load()); d > 0 {
				time.Sleep(d)
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			return
		}
	}
}

// cut closes every proxied connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}
