package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// sut is a running system under test.
type sut struct {
	*proc
	id    string // opa, rego, cel, cached, rego-big
	label string
	conn  *grpc.ClientConn
	meter *meter
}

// trial is one measurement: a target, a load shape and a workload.
type trial struct {
	Key      string // unique within the run
	System   string // sut id
	Proto    string // REST or gRPC
	Workload string // uniform, hot, zipf, big
	Conc     int    // closed loop
	RatePct  int    // open loop: percent of OPA capacity (0 = fixed Rate)
	Rate     float64
	Batch    int // CheckBatch items
	do       doer
	sut      *sut
}

// result collects every round of one trial.
type result struct {
	trial
	Rounds []sample
}

// roundInfo records the machine state of one round.
type roundInfo struct {
	Phase string
	Round int
	Idle  float64
	Load  string
	Order []string
}

// run state shared by the phases.
type bench struct {
	cfg      config
	log      *slog.Logger
	client   *http.Client
	env      envInfo
	regs     []registryInfo
	suts     map[string]*sut
	gates    []gateResult
	results  map[string]*result
	order    []string
	rounds   []roundInfo
	opaCap   float64
	deadline time.Time
	rng      *rand.Rand
}

func runBench(ctx context.Context, cfg config, logger *slog.Logger) error {
	b := &bench{cfg: cfg, log: logger, client: newHTTPClient(), suts: map[string]*sut{}, results: map[string]*result{},
		rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))}
	b.deadline = time.Now().Add(cfg.Budget)
	b.env = readEnv(cfg)
	if err := os.MkdirAll(cfg.Work, 0o755); err != nil {
		return err
	}
	defer b.stopAll()

	// Registries: the main one and the large one, imported before any
	// server starts.
	main, err := prepareRegistry(ctx, cfg, cfg.Wallets, logger)
	if err != nil {
		return err
	}
	b.regs = append(b.regs, main)
	var big registryInfo
	if cfg.BigWallets > 0 {
		if big, err = prepareRegistry(ctx, cfg, cfg.BigWallets, logger); err != nil {
			return err
		}
		b.regs = append(b.regs, big)
	}

	if err := b.startServers(ctx, main, big); err != nil {
		return err
	}

	// Workloads.
	uni := uniformMix(cfg.Seed, cfg.Wallets, cfg.MixSize)
	uniBodies := marshalRequests(uni)
	hot := uni[:16]
	hotBodies := uniBodies[:16]
	zipf := zipfMix(cfg.Seed, cfg.Wallets, 20_000)
	zipfBodies := marshalRequests(zipf)

	// Equivalence gate, before any timing.
	opaURL := "http://" + b.suts["opa"].httpAddr + "/v1/data/bench/decision"
	base := func(id string) string { return "http://" + b.suts[id].httpAddr }
	gu, err := gate(ctx, b.client, "uniform mix", uniBodies, []string{base("rego"), base("cel"), base("cached")}, opaURL)
	if err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	b.gates = append(b.gates, gu)
	gz, err := gate(ctx, b.client, "Zipf mix (first 300)", zipfBodies[:300], []string{base("cached")}, opaURL)
	if err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	b.gates = append(b.gates, gz)
	var bigBodies, bigOPA [][]byte
	var bigReqs []Request
	if cfg.BigWallets > 0 {
		bigReqs = uniformMix(cfg.Seed+1, cfg.BigWallets, cfg.MixSize)
		bigBodies = marshalRequests(bigReqs)
		gb, err := gate(ctx, b.client, fmt.Sprintf("uniform mix, %s wallets", human(cfg.BigWallets)), bigBodies, []string{base("rego-big")}, opaURL)
		if err != nil {
			return fmt.Errorf("gate: %w", err)
		}
		b.gates = append(b.gates, gb)
		bigOPA = gb.OPABodies
	}
	for _, g := range b.gates {
		logger.Info("equivalence gate", "mix", g.Name, "requests", g.Requests, "compared", g.Compared, "mismatches", len(g.Mismatches), "decisions", g.Counts)
		if len(g.Mismatches) > 0 {
			for i, m := range g.Mismatches {
				if i == 10 {
					break
				}
				logger.Error("mismatch", "detail", m)
			}
			return fmt.Errorf("%w: %d mismatches on %s", errMismatch, len(g.Mismatches), g.Name)
		}
	}

	// Trials.
	var closed []trial
	add := func(t trial) { closed = append(closed, t) }
	for _, c := range []int{1, 16, 64} {
		add(trial{System: "opa", Proto: "REST", Workload: "uniform", Conc: c, do: postDoer(b.client, opaURL, gu.OPABodies)})
		for _, id := range []string{"rego", "cel"} {
			s := b.suts[id]
			add(trial{System: id, Proto: "REST", Workload: "uniform", Conc: c, do: postDoer(b.client, base(id)+"/v1/check", uniBodies)})
			add(trial{System: id, Proto: "gRPC", Workload: "uniform", Conc: c, do: grpcDoer(s.conn, protoRequests(uni))})
		}
		add(trial{System: "cached", Proto: "REST", Workload: "hot", Conc: c, do: postDoer(b.client, base("cached")+"/v1/check", hotBodies)})
		add(trial{System: "cached", Proto: "gRPC", Workload: "hot", Conc: c, do: grpcDoer(b.suts["cached"].conn, protoRequests(hot))})
	}
	add(trial{System: "cached", Proto: "REST", Workload: "zipf", Conc: 16, do: postDoer(b.client, base("cached")+"/v1/check", zipfBodies)})
	add(trial{System: "cached", Proto: "gRPC", Workload: "zipf", Conc: 16, do: grpcDoer(b.suts["cached"].conn, protoRequests(zipf))})
	if cfg.BigWallets > 0 {
		add(trial{System: "opa", Proto: "REST", Workload: "big", Conc: 16, do: postDoer(b.client, opaURL, bigOPA)})
		add(trial{System: "rego-big", Proto: "REST", Workload: "big", Conc: 16, do: postDoer(b.client, base("rego-big")+"/v1/check", bigBodies)})
		add(trial{System: "rego-big", Proto: "gRPC", Workload: "big", Conc: 16, do: grpcDoer(b.suts["rego-big"].conn, protoRequests(bigReqs))})
	}
	// Batches: one call per round each.
	for _, n := range []int{1000, 10000} {
		add(trial{System: "rego", Proto: "REST", Workload: "uniform", Batch: n, do: batchRESTDoer(b.client, base("rego"), uni, n)})
		add(trial{System: "rego", Proto: "gRPC", Workload: "uniform", Batch: n, do: batchGRPCDoer(b.suts["rego"].conn, uni, n)})
	}
	for i := range closed {
		closed[i].sut = b.suts[closed[i].System]
		closed[i].Key = trialKey(closed[i])
	}
	// Closed-loop rounds (and batches), interleaved in random order.
	perRound := time.Duration(len(closed)) * (cfg.Trial + cfg.Warmup + 300*time.Millisecond)
	openTargets := b.openTargets(uniBodies, gu.OPABodies, uni, hot, hotBodies)
	perOpen := time.Duration(len(openTargets)*4) * (cfg.Trial + cfg.Warmup + 300*time.Millisecond)
	for r := 0; r < cfg.Rounds; r++ {
		// Keep time for at least one open-loop round.
		if r >= 2 && time.Until(b.deadline) < perRound+perOpen {
			logger.Warn("time budget: fewer closed-loop rounds", "done", r)
			break
		}
		idle := waitQuiet(ctx, cfg.QuietWait)
		ri := roundInfo{Phase: "closed", Round: r + 1, Idle: idle, Load: loadavg()}
		for _, t := range shuffled(b.rng, closed) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ri.Order = append(ri.Order, t.Key)
			b.record(t, b.runClosed(ctx, t))
		}
		b.rounds = append(b.rounds, ri)
		logger.Info("closed-loop round done", "round", r+1, "idle", fmt.Sprintf("%.0f%%", idle*100), "load", ri.Load)
	}

	// OPA's capacity in this run: the median over rounds of its best
	// closed-loop throughput.
	var caps []float64
	for r := range b.results["opa REST uniform c=16"].Rounds {
		best := 0.0
		for _, c := range []int{16, 64} {
			if res := b.results[fmt.Sprintf("opa REST uniform c=%d", c)]; res != nil && r < len(res.Rounds) {
				best = max(best, res.Rounds[r].Throughput())
			}
		}
		caps = append(caps, best)
	}
	b.opaCap = median(caps)
	logger.Info("OPA capacity", "req/s", int(b.opaCap))

	// Open loop at 25/50/75 % of OPA's capacity and at 3,000 req/s.
	var open []trial
	for _, t := range openTargets {
		for _, pct := range []int{25, 50, 75} {
			o := t
			o.RatePct, o.Rate = pct, b.opaCap*float64(pct)/100
			open = append(open, o)
		}
		o := t
		o.Rate = 3000
		open = append(open, o)
	}
	for i := range open {
		open[i].sut = b.suts[open[i].System]
		open[i].Key = trialKey(open[i])
	}
	for r := 0; r < cfg.OpenRounds; r++ {
		if r >= 1 && time.Until(b.deadline) < perOpen {
			logger.Warn("time budget: fewer open-loop rounds", "done", r)
			break
		}
		idle := waitQuiet(ctx, cfg.QuietWait)
		ri := roundInfo{Phase: "open", Round: r + 1, Idle: idle, Load: loadavg()}
		for _, t := range shuffled(b.rng, open) {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			ri.Order = append(ri.Order, t.Key)
			s := openLoop(ctx, t.do, t.Rate, 64, cfg.Warmup, cfg.Trial, t.sut.meter)
			b.record(t, s)
			time.Sleep(200 * time.Millisecond)
		}
		b.rounds = append(b.rounds, ri)
		logger.Info("open-loop round done", "round", r+1, "idle", fmt.Sprintf("%.0f%%", idle*100), "load", ri.Load)
	}

	b.env.LoadEnd = loadavg()
	b.env.Finished = time.Now()
	rss := map[string]int64{}
	for id, s := range b.suts {
		rss[id] = rssBytes(s.pid())
	}
	micro := ""
	if cfg.MicroBench != "" {
		if m, err := os.ReadFile(cfg.MicroBench); err == nil {
			micro = string(m)
		}
	}
	rep := b.report(rss, micro)
	if err := os.WriteFile(cfg.Out, []byte(rep), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(cfg.SVG, []byte(b.plot()), 0o644); err != nil {
		return err
	}
	logger.Info("report written", "out", cfg.Out, "svg", cfg.SVG)
	return nil
}

func (b *bench) record(t trial, s sample) {
	r := b.results[t.Key]
	if r == nil {
		r = &result{trial: t}
		b.results[t.Key] = r
		b.order = append(b.order, t.Key)
	}
	r.Rounds = append(r.Rounds, s)
}

func trialKey(t trial) string {
	switch {
	case t.Batch > 0:
		return fmt.Sprintf("%s %s batch %d", t.System, t.Proto, t.Batch)
	case t.Rate > 0 && t.RatePct > 0:
		return fmt.Sprintf("%s %s %s open %d%%", t.System, t.Proto, t.Workload, t.RatePct)
	case t.Rate > 0:
		return fmt.Sprintf("%s %s %s open %.0f/s", t.System, t.Proto, t.Workload, t.Rate)
	}
	return fmt.Sprintf("%s %s %s c=%d", t.System, t.Proto, t.Workload, t.Conc)
}

// openTargets are the systems measured in open loop.
func (b *bench) openTargets(uniBodies, opaBodies [][]byte, uni, hot []Request, hotBodies [][]byte) []trial {
	base := func(id string) string { return "http://" + b.suts[id].httpAddr }
	return []trial{
		{System: "opa", Proto: "REST", Workload: "uniform", do: postDoer(b.client, base("opa")+"/v1/data/bench/decision", opaBodies)},
		{System: "rego", Proto: "REST", Workload: "uniform", do: postDoer(b.client, base("rego")+"/v1/check", uniBodies)},
		{System: "rego", Proto: "gRPC", Workload: "uniform", do: grpcDoer(b.suts["rego"].conn, protoRequests(uni))},
		{System: "cel", Proto: "REST", Workload: "uniform", do: postDoer(b.client, base("cel")+"/v1/check", uniBodies)},
		{System: "cel", Proto: "gRPC", Workload: "uniform", do: grpcDoer(b.suts["cel"].conn, protoRequests(uni))},
		{System: "cached", Proto: "REST", Workload: "hot", do: postDoer(b.client, base("cached")+"/v1/check", hotBodies)},
		{System: "cached", Proto: "gRPC", Workload: "hot", do: grpcDoer(b.suts["cached"].conn, protoRequests(hot))},
	}
}

// runClosed runs one closed-loop or batch trial.
func (b *bench) runClosed(ctx context.Context, t trial) sample {
	defer time.Sleep(200 * time.Millisecond)
	if t.Batch > 0 {
		// Warm-up: one small batch; then one measured call.
		m := t.sut.meter
		m.start()
		t0 := time.Now()
		err := t.do(ctx, 0)
		s := sample{Elapsed: time.Since(t0), Requests: t.Batch}
		m.stop(&s)
		s.Latencies = []time.Duration{s.Elapsed}
		if err != nil {
			b.log.Error("batch failed", "trial", t.Key, "err", err)
			s.Errors, s.Requests = t.Batch, 0
		}
		return s
	}
	return closedLoop(ctx, t.do, t.Conc, b.cfg.Warmup, b.cfg.Trial, t.sut.meter)
}

// batchRESTDoer posts one CheckBatch of n items drawn from the mix.
func batchRESTDoer(client *http.Client, base string, mix []Request, n int) doer {
	items := make([]Request, n)
	for i := range items {
		items[i] = mix[i%len(mix)]
	}
	body, _ := json.Marshal(map[string]any{"checks": items})
	return func(ctx context.Context, _ int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/check:batch", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("batch: HTTP %d: %.200s", resp.StatusCode, b)
		}
		return nil
	}
}

// batchGRPCDoer calls CheckBatch with n items drawn from the mix.
func batchGRPCDoer(conn *grpc.ClientConn, mix []Request, n int) doer {
	reqs := protoRequests(mix)
	items := make([]*gatewayv1.CheckRequest, n)
	for i := range items {
		items[i] = reqs[i%len(reqs)]
	}
	c := gatewayv1.NewGatewayServiceClient(conn)
	return func(ctx context.Context, _ int) error {
		resp, err := c.CheckBatch(ctx, &gatewayv1.CheckBatchRequest{Checks: items})
		if err != nil {
			return err
		}
		for _, it := range resp.GetVerdicts() {
			if it.GetError() != nil {
				return fmt.Errorf("batch item: %s", it.GetError().GetMessage())
			}
		}
		return nil
	}
}

// startServers starts OPA and the Clearance variants.
func (b *bench) startServers(ctx context.Context, main, big registryInfo) error {
	cfg := b.cfg
	cpus := ""
	if cfg.Pin {
		cpus = cfg.SUTCPU
	}
	mods, err := regoModules(cfg.Repo)
	if err != nil {
		return err
	}
	addr, err := freePort()
	if err != nil {
		return err
	}
	args := append([]string{"run", "--server", "--addr", addr, "--log-level", "error", "--skip-version-check"},
		append(mods, filepath.Join(cfg.Repo, "bench", "policy", "decision.rego"))...)
	p, err := startProc("opa", cpus, filepath.Join(cfg.Work, "opa.log"), nil, cfg.OPA, args...)
	if err != nil {
		return err
	}
	p.httpAddr = addr
	b.notePID(p)
	b.suts["opa"] = &sut{proc: p, id: "opa", label: "`opa run --server`"}
	if err := p.waitReady(ctx, "http://"+addr+"/health", 60*time.Second); err != nil {
		return err
	}

	type variant struct {
		id, label, engines string
		cacheOff           bool
		reg                registryInfo
		copyDB             bool
	}
	vs := []variant{
		{"rego", "Clearance, Rego engine, cache off", "rego", true, main, true},
		{"cel", "Clearance, CEL engine, cache off", "cel", true, main, true},
		{"cached", "Clearance, Rego engine, verdict cache on", "rego", false, main, true},
	}
	if cfg.BigWallets > 0 {
		vs = append(vs, variant{"rego-big", fmt.Sprintf("Clearance, Rego engine, cache off, %s wallets", human(cfg.BigWallets)), "rego", true, big, false})
	}
	for _, v := range vs {
		dir := v.reg.Dir
		if v.copyDB {
			dir = filepath.Join(cfg.Work, "data-"+v.id)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			if err := copyFile(filepath.Join(v.reg.Dir, "clearance.db"), filepath.Join(dir, "clearance.db")); err != nil {
				return err
			}
		}
		httpAddr, err := freePort()
		if err != nil {
			return err
		}
		grpcAddr, err := freePort()
		if err != nil {
			return err
		}
		env := []string{fmt.Sprintf("CLEARANCE_CACHE_DISABLED=%t", v.cacheOff)}
		p, err := startProc(v.id, cpus, filepath.Join(cfg.Work, v.id+".log"), env, cfg.Clearance,
			"serve", "--listen", httpAddr, "--grpc-listen", grpcAddr, "--data-dir", dir, "--log-level", "error", "--policy-engines", v.engines)
		if err != nil {
			return err
		}
		p.httpAddr, p.grpcAddr = httpAddr, grpcAddr
		b.notePID(p)
		s := &sut{proc: p, id: v.id, label: v.label}
		b.suts[v.id] = s
		if err := p.waitReady(ctx, "http://"+httpAddr+"/readyz", 120*time.Second); err != nil {
			return err
		}
		if s.conn, err = grpcConn(grpcAddr); err != nil {
			return err
		}
	}
	for _, s := range b.suts {
		s.meter = &meter{pid: s.pid(), metrics: "http://" + s.httpAddr + "/metrics", client: b.client}
	}
	return nil
}

// notePID appends a server's pid to WORK/pids so scripts/bench.sh can stop
// it even if this process dies without doing so.
func (b *bench) notePID(p *proc) {
	f, err := os.OpenFile(filepath.Join(b.cfg.Work, "pids"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	fmt.Fprintln(f, p.pid())
	f.Close()
}

func (b *bench) stopAll() {
	for _, s := range b.suts {
		if s.conn != nil {
			s.conn.Close()
		}
		s.stop()
	}
}

func human(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// label names a trial's system for tables.
func (b *bench) label(id string) string {
	if s := b.suts[id]; s != nil {
		return s.label
	}
	return id
}
