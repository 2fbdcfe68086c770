package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// doer sends request i (modulo the workload's size) and waits for the
// answer. An error counts as a failed request.
type doer func(ctx context.Context, i int) error

// newHTTPClient is a keep-alive client sized for the highest concurrency.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		MaxIdleConns: 512, MaxIdleConnsPerHost: 512, MaxConnsPerHost: 0,
		DisableCompression: true, IdleConnTimeout: 90 * time.Second,
	}, Timeout: 180 * time.Second}
}

// postDoer POSTs bodies[i % len] to url and expects 200.
func postDoer(client *http.Client, url string, bodies [][]byte) doer {
	return func(ctx context.Context, i int) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(bodies[i%len(bodies)]))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	}
}

// grpcConn dials Clearance's gRPC listener.
func grpcConn(addr string) (*grpc.ClientConn, error) {
	return grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20), grpc.MaxCallSendMsgSize(64<<20)))
}

// grpcDoer calls GatewayService.Check with reqs[i % len].
func grpcDoer(conn *grpc.ClientConn, reqs []*gatewayv1.CheckRequest) doer {
	c := gatewayv1.NewGatewayServiceClient(conn)
	return func(ctx context.Context, i int) error {
		_, err := c.Check(ctx, reqs[i%len(reqs)])
		return err
	}
}

// protoRequests converts the REST shape to the gRPC request.
func protoRequests(rs []Request) []*gatewayv1.CheckRequest {
	out := make([]*gatewayv1.CheckRequest, len(rs))
	for i, r := range rs {
		out[i] = &gatewayv1.CheckRequest{Action: gatewayv1.Action(gatewayv1.Action_value[r.Action]), AssetId: r.AssetID,
			FromWallet: r.FromWallet, ToWallet: r.ToWallet, Amount: r.Amount}
	}
	return out
}

// sample is what one trial measured.
type sample struct {
	Requests  int
	Errors    int
	Elapsed   time.Duration
	Latencies []time.Duration // send-based (closed loop: every request)
	Schedule  []time.Duration // open loop: from the intended send time
	CPU       float64         // server CPU seconds during the trial
	Alloc     float64         // server bytes allocated during the trial
	Offered   float64         // open loop: offered req/s
	Dropped   int             // open loop: due requests never sent before the hard stop
}

// Throughput is completed requests per second.
func (s sample) Throughput() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Requests) / s.Elapsed.Seconds()
}

// CPUPerReq is server CPU µs per completed request.
func (s sample) CPUPerReq() float64 {
	if s.Requests == 0 {
		return 0
	}
	return s.CPU / float64(s.Requests) * 1e6
}

// AllocPerReq is server bytes allocated per completed request.
func (s sample) AllocPerReq() float64 {
	if s.Requests == 0 {
		return 0
	}
	return s.Alloc / float64(s.Requests)
}

// percentile returns the q-quantile (0..1) of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

// meter reads a server's CPU and allocation counters around a trial.
type meter struct {
	pid     int
	metrics string
	client  *http.Client
	cpu0    float64
	alloc0  float64
}

func (m *meter) start() {
	m.cpu0, _ = cpuSeconds(m.pid)
	m.alloc0, _ = allocBytes(m.client, m.metrics)
}

func (m *meter) stop(s *sample) {
	cpu1, _ := cpuSeconds(m.pid)
	alloc1, _ := allocBytes(m.client, m.metrics)
	s.CPU = cpu1 - m.cpu0
	if alloc1 > m.alloc0 {
		s.Alloc = alloc1 - m.alloc0
	}
}

// closedLoop runs conc workers back to back: warm-up, then a measured
// window of dur. Each worker starts at its own offset into the workload.
func closedLoop(ctx context.Context, do doer, conc int, warm, dur time.Duration, m *meter) sample {
	var next atomic.Int64
	phase := func(d time.Duration, record bool) ([][]time.Duration, int, int, time.Duration) {
		end := time.Now().Add(d)
		lats := make([][]time.Duration, conc)
		var nreq, nerr atomic.Int64
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := 0; w < conc; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				var local []time.Duration
				if record {
					local = make([]time.Duration, 0, 4096)
				}
				for ctx.Err() == nil {
					s := time.Now()
					if !s.Before(end) {
						break
					}
					err := do(ctx, int(next.Add(1)))
					if err != nil {
						nerr.Add(1)
						continue
					}
					nreq.Add(1)
					if record {
						local = append(local, time.Since(s))
					}
				}
				lats[w] = local
			}(w)
		}
		wg.Wait()
		return lats, int(nreq.Load()), int(nerr.Load()), time.Since(t0)
	}
	phase(warm, false)
	m.start()
	lats, n, nerr, el := phase(dur, true)
	var s sample
	m.stop(&s)
	s.Requests, s.Errors, s.Elapsed = n, nerr, el
	for _, l := range lats {
		s.Latencies = append(s.Latencies, l...)
	}
	slices.Sort(s.Latencies)
	return s
}

// openLoop offers rate requests per second for warm+dur, whatever the
// server does: the k-th request is due at t0 + k/rate. A dispatcher releases
// every request that is due, then sleeps until the next one is due; on this
// machine a sleep under 1 ms overshoots to about 1 ms, so above ~1k req/s
// requests leave in 1 ms batches. Latency is recorded twice: from the
// intended send time (schedule-based, coordinated-omission safe, includes
// the batching lag and any queueing in the generator) and from the actual
// send (send-based). workers bounds the requests in flight; when all are busy,
// due requests wait in the queue and their schedule-based latency grows.
func openLoop(ctx context.Context, do doer, rate float64, workers int, warm, dur time.Duration, m *meter) sample {
	type job struct {
		k   int
		due time.Time
	}
	total := int(rate * (warm + dur).Seconds())
	jobs := make(chan job, total+1)
	var mu sync.Mutex
	var s sample
	s.Offered = rate
	t0 := time.Now().Add(2 * time.Millisecond)
	measureFrom := t0.Add(warm)
	// A saturated server would leave a long queue behind; requests not sent
	// within a second after the schedule ends are dropped, and counted with
	// the time they had waited as a lower bound of their latency.
	hardStop := measureFrom.Add(dur + time.Second)
	var wg sync.WaitGroup
	var lastDone atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sched, send []time.Duration
			var nreq, nerr, ndrop int
			for j := range jobs {
				if ctx.Err() != nil {
					continue
				}
				sent := time.Now()
				if sent.After(hardStop) {
					if !j.due.Before(measureFrom) {
						ndrop++
						sched = append(sched, sent.Sub(j.due))
					}
					continue
				}
				err := do(ctx, j.k)
				done := time.Now()
				if j.due.Before(measureFrom) {
					continue
				}
				if err != nil {
					nerr++
					continue
				}
				nreq++
				sched = append(sched, done.Sub(j.due))
				send = append(send, done.Sub(sent))
				if d := done.UnixNano(); d > lastDone.Load() {
					lastDone.Store(d)
				}
			}
			mu.Lock()
			s.Schedule = append(s.Schedule, sched...)
			s.Latencies = append(s.Latencies, send...)
			s.Requests += nreq
			s.Errors += nerr
			s.Dropped += ndrop
			mu.Unlock()
		}()
	}
	interval := time.Duration(float64(time.Second) / rate)
	started := false
	for k := 0; k < total && ctx.Err() == nil; k++ {
		due := t0.Add(time.Duration(k) * interval)
		if !started && !due.Before(measureFrom) {
			m.start()
			started = true
		}
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		jobs <- job{k: k, due: due}
	}
	close(jobs)
	wg.Wait()
	m.stop(&s)
	// The measured window is the scheduled one; a server that falls behind
	// completes fewer requests in it, which the achieved rate shows.
	s.Elapsed = dur
	if ld := time.Unix(0, lastDone.Load()); ld.After(measureFrom.Add(dur)) {
		s.Elapsed = ld.Sub(measureFrom)
	}
	slices.Sort(s.Schedule)
	slices.Sort(s.Latencies)
	return s
}
