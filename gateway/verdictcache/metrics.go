package verdictcache

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Label values of clearance_verdict_cache_lookups_total.
const (
	tierL1   = "l1"
	tierL2   = "l2"
	tierNone = "none"

	resultHit    = "hit"
	resultMiss   = "miss"
	resultError  = "error"
	resultBypass = "bypass"
)

type metrics struct {
	lookups       *prometheus.CounterVec
	invalidations *prometheus.CounterVec
	redisErrors   *prometheus.CounterVec
	latency       *prometheus.HistogramVec
	enabled       prometheus.Gauge

	// Pre-resolved children for the hot path.
	l1Hit, l1Miss, l2Hit, l2Miss, l2Err, bypass prometheus.Counter
	latL1, latL2, latMiss, latBypass            prometheus.Observer
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		lookups: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clearance_verdict_cache_lookups_total",
			Help: "Verdict cache lookups by tier (l1, l2, none) and result (hit, miss, error, bypass). l2 error includes lookups that skipped Redis during the back-off after an error.",
		}, []string{"tier", "result"}),
		invalidations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clearance_verdict_cache_invalidations_total",
			Help: "Verdict cache invalidations by reason.",
		}, []string{"reason"}),
		redisErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clearance_verdict_cache_redis_errors_total",
			Help: "Redis errors and timeouts of the verdict cache, by operation; each one is a miss, never a failed check.",
		}, []string{"op"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "clearance_verdict_cache_lookup_duration_seconds",
			Help:    "Duration of verdict cache lookups by the tier that answered (l1, l2, miss: computed, bypass).",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 11),
		}, []string{"tier"}),
		enabled: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "clearance_verdict_cache_enabled",
			Help: "1 while the verdict cache serves hits; 0 while it is bypassed (lost invalidation subscription).",
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.lookups, m.invalidations, m.redisErrors, m.latency, m.enabled} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("verdictcache: register metrics: %w", err)
			}
		}
	}
	m.l1Hit = m.lookups.WithLabelValues(tierL1, resultHit)
	m.l1Miss = m.lookups.WithLabelValues(tierL1, resultMiss)
	m.l2Hit = m.lookups.WithLabelValues(tierL2, resultHit)
	m.l2Miss = m.lookups.WithLabelValues(tierL2, resultMiss)
	m.l2Err = m.lookups.WithLabelValues(tierL2, resultError)
	m.bypass = m.lookups.WithLabelValues(tierNone, resultBypass)
	m.latL1 = m.latency.WithLabelValues(tierL1)
	m.latL2 = m.latency.WithLabelValues(tierL2)
	m.latMiss = m.latency.WithLabelValues(resultMiss)
	m.latBypass = m.latency.WithLabelValues(resultBypass)
	return m, nil
}
