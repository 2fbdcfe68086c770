package storm

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
)

const assetID = "STORM-1"

// jurisdictions the investors live in; the asset allows a changing subset.
var jurisdictions = []string{"DE", "FR", "IT", "ES"}

const nInvestors = 12

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func envInt(t *testing.T, k string, def int) int {
	v := os.Getenv(k)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", k, v)
	}
	return n
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// inCI reports whether missing services must fail rather than skip.
func inCI() bool { return os.Getenv("CI") != "" }

func TestStorm(t *testing.T) {
	if testing.Short() {
		t.Skip("storm test skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	dsn := setupSchema(ctx, t)
	redisAddr := envOr("CLEARANCE_TEST_REDIS_ADDR", "127.0.0.1:6379")
	requireRedis(ctx, t, redisAddr)
	bin := buildBinary(ctx, t)

	run(ctx, t, bin, "registry", "migrate", "--postgres-dsn", dsn)

	// The replicas reach Redis through a proxy the driver can cut, for an
	// outage in the middle of the storm.
	px := newProxy(t, redisAddr)
	prefix := "storm:" + randHex(6)
	a := startReplica(ctx, t, bin, "A", dsn, px.addr(), prefix)
	b := startReplica(ctx, t, bin, "B", dsn, px.addr(), prefix)
	replicas := []*replica{a, b}

	d := &driver{
		t:        t,
		http:     &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		replicas: replicas,
		m:        newModel(),
		proxy:    px,
	}
	d.seed(ctx)
	d.sanity(ctx)

	seconds := envInt(t, "CLEARANCE_TEST_STORM_SECONDS", 30)
	rate := envInt(t, "CLEARANCE_TEST_STORM_RATE", 1500)
	st := d.storm(ctx, time.Duration(seconds)*time.Second, rate)

	hits := map[string]float64{}
	for _, r := range replicas {
		for k, v := range r.cacheMetrics(ctx, t, d.http) {
			hits[r.name+" "+k] = v
		}
	}
	keys := make([]string, 0, len(hits))
	for k := range hits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("metric %s = %v", k, hits[k])
	}

	t.Logf("storm: %d checks in %s (%.0f/s); allow %d, deny %d, review %d, other %d, errors %d; cached verdicts %d",
		st.checks.Load(), st.elapsed, float64(st.checks.Load())/st.elapsed.Seconds(), st.allow.Load(), st.deny.Load(), st.review.Load(), st.other.Load(), st.errors.Load(), st.cached.Load())
	t.Logf("storm: %d mutations (%d through A, %d through B); %d checks had an acknowledged ineligible fact; %d overlapped a change of their facts; %d denials where every fact was eligible",
		st.mutations.Load(), st.mutA.Load(), st.mutB.Load(), st.mustDeny.Load(), st.overlapped.Load(), st.unexpectedDeny.Load())

	t.Logf("storm: %d checks began during the Redis outage: %d allowed, %d failed", st.outageChecks.Load(), st.outageAllow.Load(), st.outageErrors.Load())

	st.mu.Lock()
	defer st.mu.Unlock()
	for _, r := range replicas {
		if lines := r.grep("failed closed", 3); len(lines) > 0 {
			t.Logf("replica %s fail-closed samples:\n%s", r.name, strings.Join(lines, "\n"))
		}
	}
	for _, e := range st.errorSamples {
		t.Logf("sample failed check: %s", e)
	}
	if st.outageChecks.Load() == 0 {
		t.Errorf("no check ran during the Redis outage")
	}
	if n := st.outageChangedVerdicts.Load(); n > 0 {
		t.Errorf("%d checks during the Redis outage were denied although every fact allowed them; an outage must change no verdict", n)
	}
	if st.outageErrors.Load() > 0 {
		t.Errorf("%d checks failed during the Redis outage; an outage must fail no check", st.outageErrors.Load())
	}
	for i, v := range st.violations {
		if i == 20 {
			t.Errorf("... and %d more violations", len(st.violations)-20)
			break
		}
		t.Errorf("STALE ALLOW: %s", v)
	}
	for i, ref := range st.violationRefs {
		if i == 3 {
			break
		}
		t.Logf("facts of %s: %s", ref.id, d.decisionFacts(ctx, ref))
	}
	if len(st.violations) > 0 {
		for _, r := range replicas {
			t.Logf("replica %s log tail:\n%s", r.name, r.logTail(40))
		}
	}
	for i, s := range st.denySamples {
		t.Logf("sample denial with every fact eligible: %s; decided on %s", s, d.decisionFacts(ctx, st.denyRefs[i]))
	}

	// The run must have exercised what it claims to.
	if st.allow.Load() < 100 || st.mustDeny.Load() < 100 || st.mutations.Load() < 50 {
		t.Errorf("storm too thin to mean anything: allow %d, must-deny %d, mutations %d", st.allow.Load(), st.mustDeny.Load(), st.mutations.Load())
	}
	if st.mutA.Load() == 0 || st.mutB.Load() == 0 {
		t.Errorf("changes did not go through both replicas: A %d, B %d", st.mutA.Load(), st.mutB.Load())
	}
	if st.cached.Load() == 0 {
		t.Errorf("no verdict came from the cache: the storm did not exercise it")
	}
	if e := st.errors.Load(); e*20 > st.checks.Load() {
		t.Errorf("%d of %d checks failed", e, st.checks.Load())
	}
}

// --- environment ----------------------------------------------------------

// setupSchema creates a dedicated schema and returns a DSN whose
// search_path points at it; the schema is dropped when the test ends.
func setupSchema(ctx context.Context, t *testing.T) string {
	t.Helper()
	base := envOr("CLEARANCE_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(cctx, base)
	if err != nil {
		if inCI() || os.Getenv("CLEARANCE_TEST_POSTGRES_DSN") != "" {
			t.Fatalf("postgres: %v", err)
		}
		t.Skipf("postgres unavailable: %v", err)
	}
	schema := "storm_" + randHex(6)
	if _, err := conn.Exec(cctx, "CREATE SCHEMA "+schema); err != nil {
		conn.Close(ctx)
		t.Fatalf("create schema: %v", err)
	}
	conn.Close(ctx)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			t.Logf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Logf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("CLEARANCE_TEST_POSTGRES_DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func requireRedis(ctx context.Context, t *testing.T, addr string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := c.Ping(cctx).Err(); err != nil {
		if inCI() || os.Getenv("CLEARANCE_TEST_REDIS_ADDR") != "" {
			t.Fatalf("redis at %s: %v", addr, err)
		}
		t.Skipf("redis at %s unavailable: %v", addr, err)
	}
}

// buildBinary builds ./cmd/clearance, or returns CLEARANCE_TEST_STORM_BIN.
func buildBinary(ctx context.Context, t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("CLEARANCE_TEST_STORM_BIN"); bin != "" {
		return bin
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "clearance")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/clearance")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/clearance: %v\n%s", err, out)
	}
	return bin
}

// childEnv is the environment of the processes under test: the caller's,
// without CLEARANCE_ settings that could change their configuration.
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CLEARANCE_") && !strings.HasPrefix(kv, "CLEARANCE_TEST_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func run(ctx context.Context, t *testing.T, bin string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = childEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("clearance %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// replica is one running `clearance serve`.
type replica struct {
	name string
	base string
	cmd  *exec.Cmd
	mu   sync.Mutex
	log  []string
}

var servingRE = regexp.MustCompile(`serving gRPC and REST on (http://\S+)`)

func startReplica(ctx context.Context, t *testing.T, bin, name, dsn, redisAddr, prefix string) *replica {
	t.Helper()
	cmd := exec.Command(bin, "serve",
		"--listen", "127.0.0.1:0",
		"--store", "postgres", "--postgres-dsn", dsn,
		"--redis", redisAddr, "--redis-prefix", prefix,
		"--data-dir", t.TempDir(), "--no-seed")
	// The verdict cache is what this test storms; AML velocity windows stay
	// in-process so that a Redis outage is the cache's outage only (shared
	// Redis windows fail closed by design, which would change verdicts).
	cmd.Env = append(childEnv(), "CLEARANCE_AML_WINDOWS=memory")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	r := &replica{name: name, cmd: cmd}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start replica %s: %v", name, err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			r.mu.Lock()
			r.log = append(r.log, line)
			if len(r.log) > 2000 {
				r.log = r.log[1000:]
			}
			r.mu.Unlock()
			if m := servingRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		exited <- cmd.Wait()
	}()
	select {
	case r.base = <-addr:
	case <-time.After(60 * time.Second):
		t.Fatalf("replica %s did not start:\n%s", name, r.logTail(40))
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	// Caching is off until the invalidation subscription is confirmed.
	deadline := time.Now().Add(20 * time.Second)
	for {
		m := r.cacheMetrics(ctx, t, http.DefaultClient)
		if m["clearance_verdict_cache_enabled"] == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("replica %s: verdict cache never enabled:\n%s", name, r.logTail(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("replica %s serving on %s", name, r.base)
	return r
}

func (r *replica) logTail(n int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	from := max(0, len(r.log)-n)
	return strings.Join(r.log[from:], "\n")
}

// grep returns up to n log lines containing s.
func (r *replica) grep(s string, n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.log {
		if strings.Contains(l, s) {
			out = append(out, l)
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// cacheMetrics scrapes the replica's clearance_verdict_cache_* counters
// and gauges (series without a histogram suffix).
func (r *replica) cacheMetrics(ctx context.Context, t *testing.T, c *http.Client) map[string]float64 {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.base+"/metrics", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("replica %s /metrics: %v", r.name, err)
	}
	defer resp.Body.Close()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "clearance_verdict_cache_") || strings.Contains(line, "_bucket") || strings.Contains(line, "_duration_") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}

// --- the model of acknowledged facts --------------------------------------

// fact is one boolean eligibility fact as the driver knows it: ok is its
// value after the last acknowledged change; while a change is in flight,
// pending is set and target is the value it will have.
type fact struct {
	ok, pending, target bool
	// ackAt is when the last change was acknowledged.
	ackAt time.Time
	// started counts the changes begun; a check compares it before and
	// after, because a change begun while a check runs may be seen by it.
	started int
}

// definitelyBad: the fact is ineligible in every state the registry may be
// in when a check starts now.
func (f *fact) definitelyBad() bool { return !f.ok && (!f.pending || !f.target) }

// definitelyGood: the fact is eligible in every such state.
func (f *fact) definitelyGood() bool { return f.ok && (!f.pending || f.target) }

type investor struct {
	id, wallet, jurisdiction string
	version, walletVersion   int64
}

type model struct {
	mu        sync.Mutex
	investors []*investor
	walletOK  map[string]*fact // not frozen
	statusOK  map[string]*fact // APPROVED
	jurOK     map[string]*fact // allowed by the asset
	allowed   map[string]bool  // the asset's allowed set, as last acknowledged
	assetVer  int64
}

func newModel() *model {
	m := &model{walletOK: map[string]*fact{}, statusOK: map[string]*fact{}, jurOK: map[string]*fact{}, allowed: map[string]bool{}}
	for i := range nInvestors {
		inv := &investor{
			id:           fmt.Sprintf("storm-inv-%02d", i),
			wallet:       fmt.Sprintf("0x%040x", 0x5707000+i),
			jurisdiction: jurisdictions[i%len(jurisdictions)],
		}
		m.investors = append(m.investors, inv)
		m.walletOK[inv.wallet] = &fact{ok: true}
		m.statusOK[inv.id] = &fact{ok: true}
	}
	for _, j := range jurisdictions {
		m.jurOK[j] = &fact{ok: true}
		m.allowed[j] = true
	}
	return m
}

// expect classifies a check on inv's wallet starting now. seq identifies
// the changes begun so far on the facts involved.
func (m *model) expect(inv *investor) (mustDeny, mustAllow bool, facts string, seq [3]int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w, s, j := m.walletOK[inv.wallet], m.statusOK[inv.id], m.jurOK[inv.jurisdiction]
	seq = [3]int{w.started, s.started, j.started}
	mustDeny = w.definitelyBad() || s.definitelyBad() || j.definitelyBad()
	mustAllow = w.definitelyGood() && s.definitelyGood() && j.definitelyGood()
	show := func(f *fact) string {
		return fmt.Sprintf("{ok:%v pending:%v target:%v acked:%s}", f.ok, f.pending, f.target, f.ackAt.Format("15:04:05.000000"))
	}
	facts = fmt.Sprintf("wallet v%d not frozen %s, investor v%d approved %s, asset v%d jurisdiction %s allowed %s",
		inv.walletVersion, show(w), inv.version, show(s), m.assetVer, inv.jurisdiction, show(j))
	return mustDeny, mustAllow, facts, seq
}

// changedSince reports whether a change of one of inv's facts began after
// expect returned seq.
func (m *model) changedSince(inv *investor, seq [3]int) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return seq != [3]int{m.walletOK[inv.wallet].started, m.statusOK[inv.id].started, m.jurOK[inv.jurisdiction].started}
}

// --- the driver -----------------------------------------------------------

type driver struct {
	proxy    *proxy
	t        *testing.T
	http     *http.Client
	replicas []*replica
	m        *model
}

type stats struct {
	checks, allow, deny, review, other, errors, cached atomic.Int64
	mustDeny, unexpectedDeny, overlapped               atomic.Int64
	mutations, mutA, mutB                              atomic.Int64
	// Checks begun while Redis was unreachable, and how many failed.
	outageChecks, outageErrors, outageAllow atomic.Int64
	// outageChangedVerdicts counts checks begun during the Redis outage that
	// were denied although every acknowledged fact allowed them.
	outageChangedVerdicts   atomic.Int64
	outage                  atomic.Bool
	elapsed                 time.Duration
	mu                      sync.Mutex
	violations, denySamples []string
	// violationRefs locate the first violations' decisions for diagnosis.
	violationRefs, denyRefs []decisionRef
	errorSamples            []string
}

type decisionRef struct {
	r  *replica
	id string
}

// call sends a JSON request and decodes the JSON reply into out.
func (d *driver) call(ctx context.Context, method, url string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode %s: %w", method, url, b, err)
		}
	}
	return nil
}

type versioned struct {
	Version json.Number `json:"version"`
}

func (v versioned) n(t *testing.T) int64 {
	n, err := v.Version.Int64()
	if err != nil {
		t.Fatalf("version %q: %v", v.Version, err)
	}
	return n
}

func (d *driver) assetBody(allowed map[string]bool) map[string]any {
	var list []string
	for _, j := range jurisdictions {
		if allowed[j] {
			list = append(list, j)
		}
	}
	if list == nil {
		list = []string{}
	}
	return map[string]any{
		"id": assetID, "ticker": "STM", "decimals": 0, "pack": "default",
		"params": map[string]any{"allowed_jurisdictions": list, "parties": "recipient"},
	}
}

// seed creates the asset, the investors and their wallets through replica A.
func (d *driver) seed(ctx context.Context) {
	t, a := d.t, d.replicas[0].base
	var v versioned
	if err := d.call(ctx, http.MethodPost, a+"/v1/registry/assets", map[string]any{"asset": d.assetBody(d.m.allowed), "reason": "storm seed"}, &v); err != nil {
		t.Fatal(err)
	}
	d.m.assetVer = v.n(t)
	for i, inv := range d.m.investors {
		body := map[string]any{"investor": map[string]any{
			"id": inv.id, "name": fmt.Sprintf("Storm Tester %02d", i), "status": "APPROVED",
			"effective_from": "2020-01-01T00:00:00Z", "kyc_expires_at": time.Now().AddDate(5, 0, 0).UTC().Format(time.RFC3339),
			"category": "ACCREDITED", "jurisdiction": inv.jurisdiction, "type": "INDIVIDUAL", "active": true,
			"expected_max": "1000000000000",
		}, "reason": "storm seed"}
		if err := d.call(ctx, http.MethodPost, a+"/v1/registry/investors", body, &v); err != nil {
			t.Fatal(err)
		}
		inv.version = v.n(t)
		body = map[string]any{"wallet": map[string]any{"address": inv.wallet, "investor_id": inv.id, "verified": true, "active": true}, "reason": "storm seed"}
		if err := d.call(ctx, http.MethodPost, a+"/v1/registry/wallets", body, &v); err != nil {
			t.Fatal(err)
		}
		inv.walletVersion = v.n(t)
	}
}

// decisionFacts summarises the facts a decision was taken on, from the
// replica's decision record.
func (d *driver) decisionFacts(ctx context.Context, ref decisionRef) string {
	var rec struct {
		Facts struct {
			Asset struct {
				Version json.Number `json:"version"`
				Allowed []string    `json:"allowed_jurisdictions"`
			} `json:"asset"`
			To struct {
				Wallet struct {
					Frozen  bool        `json:"frozen"`
					Version json.Number `json:"version"`
				} `json:"wallet"`
				Investor struct {
					Status       string      `json:"status"`
					Jurisdiction string      `json:"jurisdiction"`
					Version      json.Number `json:"version"`
				} `json:"investor"`
			} `json:"to"`
		} `json:"facts"`
	}
	if err := d.call(ctx, http.MethodGet, ref.r.base+"/v1/decisions/"+ref.id, nil, &rec); err != nil {
		return err.Error()
	}
	f := rec.Facts
	return fmt.Sprintf("asset v%s allowed %v; wallet v%s frozen %v; investor v%s %s %s",
		f.Asset.Version, f.Asset.Allowed, f.To.Wallet.Version, f.To.Wallet.Frozen, f.To.Investor.Version, f.To.Investor.Status, f.To.Investor.Jurisdiction)
}

type verdict struct {
	Decision   string `json:"decision"`
	DecisionID string `json:"decision_id"`
	AsOf       string `json:"as_of"`
	Cached     bool   `json:"cached"`
	Reasons    []struct {
		Code string `json:"code"`
	} `json:"reasons"`
}

func (d *driver) check(ctx context.Context, r *replica, inv *investor) (verdict, error) {
	var v verdict
	err := d.call(ctx, http.MethodPost, r.base+"/v1/check", map[string]any{
		"action": "ISSUANCE", "asset_id": assetID, "to_wallet": inv.wallet, "amount": "1",
	}, &v)
	return v, err
}

// sanity requires every wallet to be allowed by both replicas before the
// storm, so a later denial or allow means something.
func (d *driver) sanity(ctx context.Context) {
	for _, r := range d.replicas {
		for _, inv := range d.m.investors {
			v, err := d.check(ctx, r, inv)
			if err != nil {
				d.t.Fatalf("sanity check: %v", err)
			}
			if v.Decision != "ALLOW" {
				d.t.Fatalf("sanity: replica %s %s: %s %v, want ALLOW before any change", r.name, inv.wallet, v.Decision, v.Reasons)
			}
		}
	}
}

// storm runs checkers and mutators for dur and returns the tallies.
func (d *driver) storm(ctx context.Context, dur time.Duration, rate int) *stats {
	st := &stats{}
	sctx, stop := context.WithTimeout(ctx, dur)
	defer stop()
	start := time.Now()
	var wg sync.WaitGroup

	// Checkers: a global schedule of one check every 1/rate seconds.
	interval := time.Second / time.Duration(rate)
	var slot atomic.Int64
	const workers = 16
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
			for {
				at := start.Add(time.Duration(slot.Add(1)) * interval)
				if wait := time.Until(at); wait > 0 {
					select {
					case <-sctx.Done():
						return
					case <-time.After(wait):
					}
				}
				if sctx.Err() != nil {
					return
				}
				inv := d.m.investors[rng.IntN(len(d.m.investors))]
				r := d.replicas[rng.IntN(len(d.replicas))]
				d.checkOnce(sctx, st, r, inv)
			}
		}()
	}

	// Mutators: two, each owning half of the investors; mutator 0 also
	// edits the asset. Each alternates the replica it writes through.
	for mu := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(uint64(100+mu), uint64(time.Now().UnixNano())))
			var mine []*investor
			for i, inv := range d.m.investors {
				if i%2 == mu {
					mine = append(mine, inv)
				}
			}
			for n := 0; sctx.Err() == nil; n++ {
				r := d.replicas[n%2]
				var err error
				switch op := rng.IntN(5); {
				case op < 2:
					err = d.toggleWallet(sctx, r, mine[rng.IntN(len(mine))])
				case op < 4 || mu == 1:
					err = d.toggleStatus(sctx, r, mine[rng.IntN(len(mine))])
				default:
					err = d.editJurisdictions(sctx, r, rng)
				}
				if err != nil {
					if sctx.Err() != nil {
						return
					}
					d.t.Errorf("mutation through %s: %v", r.name, err)
					return
				}
				st.mutations.Add(1)
				if r == d.replicas[0] {
					st.mutA.Add(1)
				} else {
					st.mutB.Add(1)
				}
				select {
				case <-sctx.Done():
				case <-time.After(time.Duration(5+rng.IntN(40)) * time.Millisecond):
				}
			}
		}()
	}
	// A Redis outage from 40% to 55% of the storm (at least 2 s): cut
	// every connection and refuse new ones, then let them back.
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-sctx.Done():
			return
		case <-time.After(dur * 4 / 10):
		}
		st.outage.Store(true)
		d.proxy.down()
		d.t.Logf("redis outage begins at %s", time.Now().Format("15:04:05.000"))
		select {
		case <-sctx.Done():
		case <-time.After(max(2*time.Second, dur*15/100)):
		}
		d.proxy.up()
		st.outage.Store(false)
		d.t.Logf("redis outage ends at %s", time.Now().Format("15:04:05.000"))
	}()
	wg.Wait()
	st.elapsed = time.Since(start)
	return st
}

func (d *driver) checkOnce(ctx context.Context, st *stats, r *replica, inv *investor) {
	mustDeny, mustAllow, facts, seq := d.m.expect(inv)
	began := time.Now()
	inOutage := st.outage.Load()
	v, err := d.check(ctx, r, inv)
	if inOutage {
		st.outageChecks.Add(1)
	}
	if err != nil {
		if ctx.Err() == nil {
			st.errors.Add(1)
			st.checks.Add(1)
			if inOutage {
				st.outageErrors.Add(1)
			}
			st.mu.Lock()
			if len(st.errorSamples) < 5 {
				st.errorSamples = append(st.errorSamples, err.Error())
			}
			st.mu.Unlock()
		}
		return
	}
	if inOutage && v.Decision == "ALLOW" {
		st.outageAllow.Add(1)
	}
	st.checks.Add(1)
	if (mustDeny || mustAllow) && d.m.changedSince(inv, seq) {
		// A change begun while the check ran may or may not be seen by it:
		// either verdict is consistent.
		st.overlapped.Add(1)
		mustDeny, mustAllow = false, false
	}
	if mustDeny {
		st.mustDeny.Add(1)
	}
	if v.Cached {
		st.cached.Add(1)
	}
	switch v.Decision {
	case "ALLOW":
		st.allow.Add(1)
		if mustDeny {
			st.mu.Lock()
			st.violations = append(st.violations, fmt.Sprintf("replica %s allowed issuance to %s (%s), check began %s, decision %s as of %s (cached=%v), although acknowledged facts deny it: %s",
				r.name, inv.wallet, inv.id, began.Format("15:04:05.000000"), v.DecisionID, v.AsOf, v.Cached, facts))
			st.violationRefs = append(st.violationRefs, decisionRef{r, v.DecisionID})
			st.mu.Unlock()
		}
	case "DENY":
		st.deny.Add(1)
		if mustAllow {
			st.unexpectedDeny.Add(1)
			if inOutage {
				st.outageChangedVerdicts.Add(1)
			}
			st.mu.Lock()
			if len(st.denySamples) < 5 {
				st.denySamples = append(st.denySamples, fmt.Sprintf("replica %s %s began %s decision %s cached=%v reasons=%v facts: %s", r.name, inv.wallet, began.Format("15:04:05.000000"), v.DecisionID, v.Cached, v.Reasons, facts))
				st.denyRefs = append(st.denyRefs, decisionRef{r, v.DecisionID})
			}
			st.mu.Unlock()
		}
	case "REVIEW":
		st.review.Add(1)
	default:
		st.other.Add(1)
	}
}

// mutate marks f in flight towards target, runs do, and on success records
// the new value as acknowledged. On failure the change may or may not have
// committed, so the fact stays in flight (both values possible).
func (d *driver) mutate(fs []*fact, targets []bool, do func() error) error {
	d.m.mu.Lock()
	for i, f := range fs {
		f.pending, f.target = true, targets[i]
		f.started++
	}
	d.m.mu.Unlock()
	if err := do(); err != nil {
		return err
	}
	d.m.mu.Lock()
	for i, f := range fs {
		f.ok, f.pending, f.ackAt = targets[i], false, time.Now()
	}
	d.m.mu.Unlock()
	return nil
}

func (d *driver) toggleWallet(ctx context.Context, r *replica, inv *investor) error {
	d.m.mu.Lock()
	f := d.m.walletOK[inv.wallet]
	frozen := f.ok // toggle: freeze if currently not frozen
	d.m.mu.Unlock()
	return d.mutate([]*fact{f}, []bool{!frozen}, func() error {
		var v versioned
		err := d.call(ctx, http.MethodPatch, r.base+"/v1/registry/wallets/"+inv.wallet, map[string]any{
			"version": strconv.FormatInt(inv.walletVersion, 10), "wallet": map[string]any{"frozen": frozen}, "reason": "storm",
		}, &v)
		if err == nil {
			d.m.mu.Lock()
			inv.walletVersion = v.n(d.t)
			d.m.mu.Unlock()
		}
		return err
	})
}

func (d *driver) toggleStatus(ctx context.Context, r *replica, inv *investor) error {
	d.m.mu.Lock()
	f := d.m.statusOK[inv.id]
	approved := !f.ok // the new value
	d.m.mu.Unlock()
	status := "REVOKED"
	if approved {
		status = "APPROVED"
	}
	return d.mutate([]*fact{f}, []bool{approved}, func() error {
		var v versioned
		err := d.call(ctx, http.MethodPatch, r.base+"/v1/registry/investors/"+inv.id, map[string]any{
			"version": strconv.FormatInt(inv.version, 10), "investor": map[string]any{"status": status}, "reason": "storm",
		}, &v)
		if err == nil {
			d.m.mu.Lock()
			inv.version = v.n(d.t)
			d.m.mu.Unlock()
		}
		return err
	})
}

// editJurisdictions replaces the asset's allowed set with a random subset
// of at least two jurisdictions.
func (d *driver) editJurisdictions(ctx context.Context, r *replica, rng *mrand.Rand) error {
	var next map[string]bool
	for n := 0; n < 2; {
		next, n = map[string]bool{}, 0
		for _, j := range jurisdictions {
			if rng.IntN(2) == 0 {
				next[j] = true
				n++
			}
		}
	}
	var fs []*fact
	var targets []bool
	d.m.mu.Lock()
	for _, j := range jurisdictions {
		if d.m.allowed[j] != next[j] {
			fs = append(fs, d.m.jurOK[j])
			targets = append(targets, next[j])
		}
	}
	ver := d.m.assetVer
	d.m.mu.Unlock()
	return d.mutate(fs, targets, func() error {
		var v versioned
		err := d.call(ctx, http.MethodPatch, r.base+"/v1/registry/assets/"+assetID, map[string]any{
			"version": strconv.FormatInt(ver, 10), "asset": map[string]any{"params": d.assetBody(next)["params"]}, "reason": "storm",
		}, &v)
		if err == nil {
			d.m.mu.Lock()
			d.m.assetVer = v.n(d.t)
			d.m.allowed = next
			d.m.mu.Unlock()
		}
		return err
	})
}

// proxy is a TCP proxy to Redis that can go down (cut every connection and
// refuse new ones) and come back.
type proxy struct {
	ln     net.Listener
	target string
	refuse atomic.Bool
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
		go func() { _, _ = io.Copy(c, s); c.Close() }()
	}
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) down() { p.refuse.Store(true); p.cut() }

func (p *proxy) up() { p.refuse.Store(false) }
