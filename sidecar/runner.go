package sidecar

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
)

// GatewayClient is the part of the decision API a sidecar calls;
// gatewayv1.GatewayServiceClient satisfies it.
type GatewayClient interface {
	Check(ctx context.Context, in *gatewayv1.CheckRequest, opts ...grpc.CallOption) (*gatewayv1.Verdict, error)
	CheckBatch(ctx context.Context, in *gatewayv1.CheckBatchRequest, opts ...grpc.CallOption) (*gatewayv1.CheckBatchResponse, error)
}

// GatewayConfig says where the gateway is and how long a sidecar waits for
// it. Address, TokenEnv and TLS are for the composition root that dials.
type GatewayConfig struct {
	// Address is the gateway's gRPC address, e.g. "127.0.0.1:8080" (local) or
	// "clearance.internal:443" (remote).
	Address string `yaml:"address"`
	// TLS dials with TLS; plaintext is only sensible on loopback.
	TLS bool `yaml:"tls"`
	// TokenEnv names the environment variable holding the bearer token.
	TokenEnv string `yaml:"token_env"`
	// Timeout bounds one clearing, retries included. Past it the request is
	// refused (fail closed).
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times an UNAVAILABLE / transport error is retried
	// within Timeout.
	Retries int `yaml:"retries"`
	// RetryBackoff is the pause before each retry.
	RetryBackoff time.Duration `yaml:"retry_backoff"`
	// MaxChecks bounds the checks one native request may expand to.
	MaxChecks int `yaml:"max_checks"`
	// MaxPendingCases bounds the remembered tx-hash -> case id map.
	MaxPendingCases int `yaml:"max_pending_cases"`
}

// DefaultGatewayConfig is a local gateway with a 2 s budget and one retry.
func DefaultGatewayConfig() GatewayConfig {
	return GatewayConfig{
		Address:         "127.0.0.1:8080",
		Timeout:         2 * time.Second,
		Retries:         1,
		RetryBackoff:    50 * time.Millisecond,
		MaxChecks:       1000,
		MaxPendingCases: 100_000,
	}
}

// Validate reports the first invalid field.
func (c GatewayConfig) Validate() error {
	switch {
	case c.Address == "":
		return errors.New("gateway.address is required")
	case c.Timeout <= 0:
		return errors.New("gateway.timeout must be positive")
	case c.Retries < 0 || c.Retries > 10:
		return errors.New("gateway.retries must be in [0, 10]")
	case c.RetryBackoff < 0:
		return errors.New("gateway.retry_backoff must not be negative")
	case c.MaxChecks <= 0 || c.MaxChecks > 10_000:
		return errors.New("gateway.max_checks must be in [1, 10000]")
	case c.MaxPendingCases <= 0:
		return errors.New("gateway.max_pending_cases must be positive")
	}
	return nil
}

// Runner owns the gateway round trip of every sidecar: deadline, retries,
// verdict combination, the pending-case map and the metrics. It is safe for
// concurrent use.
type Runner struct {
	gw     GatewayClient
	cfg    GatewayConfig
	logger *slog.Logger
	total  *prometheus.CounterVec
	checkT *prometheus.HistogramVec

	mu    sync.Mutex
	cases map[string]string // request key -> case id, while pending
	order []string          // insertion order for eviction
}

// NewRunner returns a runner calling gw. A nil logger discards; a nil
// registerer keeps the metrics unregistered. Registering twice on the same
// registerer reuses the first collectors.
func NewRunner(gw GatewayClient, cfg GatewayConfig, logger *slog.Logger, reg prometheus.Registerer) (*Runner, error) {
	if gw == nil {
		return nil, errors.New("sidecar: nil gateway client")
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sidecar: %w", err)
	}
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	total := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "clearance_sidecar_transactions_total",
		Help: "Native transactions handled by a sidecar, by adapter and outcome (forwarded, denied, review, failed_closed, passthrough).",
	}, []string{"adapter", "outcome"})
	checkT := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "clearance_sidecar_gateway_seconds",
		Help:    "Time a sidecar spent clearing one native request with the gateway.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	}, []string{"result"})
	if reg != nil {
		var err error
		if total, err = register(reg, total); err != nil {
			return nil, err
		}
		if checkT, err = register(reg, checkT); err != nil {
			return nil, err
		}
	}
	return &Runner{gw: gw, cfg: cfg, logger: logger, total: total, checkT: checkT, cases: map[string]string{}}, nil
}

func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing, nil
			}
		}
		return c, fmt.Errorf("sidecar: register metrics: %w", err)
	}
	return c, nil
}

// Clear asks the gateway about every check of tr and combines the verdicts.
// It never returns KindAllowed unless every verdict is ALLOW.
func (r *Runner) Clear(ctx context.Context, tr Translation) Outcome {
	out := Outcome{Key: tr.Key}
	if len(tr.Checks) > r.cfg.MaxChecks {
		out.Kind = KindInvalid
		out.Err = fmt.Errorf("%w: %d checks exceed the limit of %d", ErrInvalid, len(tr.Checks), r.cfg.MaxChecks)
		return out
	}
	checks := make([]*gatewayv1.CheckRequest, len(tr.Checks))
	for i, c := range tr.Checks {
		if c == nil {
			out.Err = fmt.Errorf("sidecar: nil check %d", i)
			return out
		}
		checks[i] = proto.CloneOf(c)
		if checks[i].RequestId == "" && tr.Key != "" {
			checks[i].RequestId = tr.Key
			if len(tr.Checks) > 1 {
				checks[i].RequestId = tr.Key + "#" + strconv.Itoa(i)
			}
		}
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	verdicts, err := r.ask(ctx, checks)
	if err != nil {
		r.checkT.WithLabelValues("error").Observe(time.Since(start).Seconds())
		out.Err = err
		return out
	}
	r.checkT.WithLabelValues("ok").Observe(time.Since(start).Seconds())
	out.Verdicts = verdicts
	out.Kind = combine(verdicts)
	switch out.Kind {
	case KindReview:
		for _, v := range verdicts {
			if v.GetDecision() == gatewayv1.Decision_REVIEW && v.GetCaseId() != "" {
				out.CaseID = v.GetCaseId()
				break
			}
		}
		out.CaseID = r.rememberCase(tr.Key, out.CaseID)
	case KindAllowed, KindDenied:
		r.forgetCase(tr.Key)
	}
	if out.Kind == KindFailedClosed {
		out.Err = errors.New("sidecar: gateway answered without a decision")
	}
	return out
}

// combine applies "most severe wins"; any unspecified decision fails closed.
func combine(vs []*gatewayv1.Verdict) Kind {
	deny, review := false, false
	for _, v := range vs {
		switch v.GetDecision() {
		case gatewayv1.Decision_ALLOW:
		case gatewayv1.Decision_DENY:
			deny = true
		case gatewayv1.Decision_REVIEW:
			review = true
		default:
			return KindFailedClosed
		}
	}
	switch {
	case len(vs) == 0:
		return KindFailedClosed
	case deny:
		return KindDenied
	case review:
		return KindReview
	}
	return KindAllowed
}

// ask sends the checks, retrying transport failures within ctx.
func (r *Runner) ask(ctx context.Context, checks []*gatewayv1.CheckRequest) ([]*gatewayv1.Verdict, error) {
	var lastErr error
	for attempt := 0; attempt <= r.cfg.Retries; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(r.cfg.RetryBackoff)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("sidecar: gateway: %w (last error: %w)", ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		vs, err := r.askOnce(ctx, checks)
		if err == nil {
			return vs, nil
		}
		lastErr = err
		if !retryable(err) || ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("sidecar: gateway: %w", lastErr)
}

func retryable(err error) bool {
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

func (r *Runner) askOnce(ctx context.Context, checks []*gatewayv1.CheckRequest) ([]*gatewayv1.Verdict, error) {
	if len(checks) == 1 {
		v, err := r.gw.Check(ctx, checks[0])
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, errors.New("nil verdict")
		}
		return []*gatewayv1.Verdict{v}, nil
	}
	resp, err := r.gw.CheckBatch(ctx, &gatewayv1.CheckBatchRequest{Checks: checks})
	if err != nil {
		return nil, err
	}
	items := resp.GetVerdicts()
	if len(items) != len(checks) {
		return nil, fmt.Errorf("batch answered %d of %d checks", len(items), len(checks))
	}
	vs := make([]*gatewayv1.Verdict, len(items))
	for i, it := range items {
		if e := it.GetError(); e != nil {
			return nil, fmt.Errorf("batch item %d: %s: %s", i, e.GetCode(), e.GetMessage())
		}
		if it.GetVerdict() == nil {
			return nil, fmt.Errorf("batch item %d: no verdict", i)
		}
		vs[i] = it.GetVerdict()
	}
	return vs, nil
}

// rememberCase records key's case id and returns the id to report: the new
// one, or the remembered one when the gateway did not repeat it.
func (r *Runner) rememberCase(key, caseID string) string {
	if key == "" {
		return caseID
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if caseID == "" {
		return r.cases[key]
	}
	if _, ok := r.cases[key]; !ok {
		for len(r.order) >= r.cfg.MaxPendingCases {
			delete(r.cases, r.order[0])
			r.order = r.order[1:]
		}
		r.order = append(r.order, key)
	}
	r.cases[key] = caseID
	return caseID
}

func (r *Runner) forgetCase(key string) {
	if key == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.cases, key) // the order slice keeps a stale key; eviction skips it harmlessly
}

// PendingCase returns the case id remembered for key.
func (r *Runner) PendingCase(key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	id, ok := r.cases[key]
	return id, ok
}

func (r *Runner) count(adapter string, out Outcome) {
	r.total.WithLabelValues(adapter, out.Kind.String()).Inc()
}

func (r *Runner) log(ctx context.Context, adapter string, out Outcome) {
	attrs := []any{"adapter", adapter, "outcome", out.Kind.String(), "key", out.Key}
	if ids := out.DecisionIDs(); len(ids) > 0 {
		attrs = append(attrs, "decision_ids", ids)
	}
	if out.CaseID != "" {
		attrs = append(attrs, "case_id", out.CaseID)
	}
	if out.Err != nil {
		attrs = append(attrs, "err", out.Err)
		r.logger.WarnContext(ctx, "sidecar refused request", attrs...)
		return
	}
	r.logger.DebugContext(ctx, "sidecar cleared request", attrs...)
}
