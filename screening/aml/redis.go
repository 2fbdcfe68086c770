package aml

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisWindows keeps windows in Redis so every replica sees the same
// velocity. Per investor and direction it keeps one hash of bucketed
// counters ("f<idx>:n", "f<idx>:s" for fine buckets, "c<idx>:..." for
// coarse ones) and one sorted set of counterparties scored by first-seen
// time. Keys share a hash tag per investor, expire after the retention, and
// writes are one MULTI/EXEC. Every Redis error is returned (fail closed).
type RedisWindows struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	cfg     WindowConfig
}

var _ Windows = (*RedisWindows)(nil)

// RedisConfig configures RedisWindows.
type RedisConfig struct {
	Windows WindowConfig `yaml:"windows"`
	// Prefix namespaces keys (default "clearance:aml:").
	Prefix string `yaml:"prefix"`
	// Timeout bounds each call (default 50ms).
	Timeout time.Duration `yaml:"timeout"`
}

// NewRedisWindows returns Redis-backed windows on rdb.
func NewRedisWindows(rdb redis.UniversalClient, cfg RedisConfig) (*RedisWindows, error) {
	if rdb == nil {
		return nil, errors.New("aml: redis windows: nil client")
	}
	wc, err := cfg.Windows.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "clearance:aml:"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 50 * time.Millisecond
	}
	return &RedisWindows{rdb: rdb, prefix: cfg.Prefix, timeout: cfg.Timeout, cfg: wc}, nil
}

func (r *RedisWindows) velKey(inv string, d Direction) string {
	return r.prefix + "{" + inv + "}:v:" + d.String()
}

func (r *RedisWindows) cpKey(inv string, d Direction) string {
	return r.prefix + "{" + inv + "}:cp:" + d.String()
}

func (r *RedisWindows) maxFields() int64 {
	fine := int64(r.cfg.FineRetention/r.cfg.Fine) + 2
	coarse := int64(r.cfg.Retention/r.cfg.Coarse) + 2
	return 2*(fine+coarse) + 8
}

// Record implements Windows.
func (r *RedisWindows) Record(ctx context.Context, ev Event) error {
	if err := validateEvent(ev); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	vk, ck := r.velKey(ev.Investor, ev.Direction), r.cpKey(ev.Investor, ev.Direction)
	fi := ev.At / int64(r.cfg.Fine/time.Second)
	ci := ev.At / int64(r.cfg.Coarse/time.Second)
	var hlen *redis.IntCmd
	_, err := r.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HIncrBy(ctx, vk, "f"+strconv.FormatInt(fi, 10)+":n", 1)
		p.HIncrBy(ctx, vk, "f"+strconv.FormatInt(fi, 10)+":s", ev.Amount)
		p.HIncrBy(ctx, vk, "c"+strconv.FormatInt(ci, 10)+":n", 1)
		p.HIncrBy(ctx, vk, "c"+strconv.FormatInt(ci, 10)+":s", ev.Amount)
		p.Expire(ctx, vk, r.cfg.Retention+r.cfg.Coarse)
		hlen = p.HLen(ctx, vk)
		if ev.Counterparty != "" {
			// LT: add new members; keep the earliest first-seen time.
			p.ZAddLT(ctx, ck, redis.Z{Score: float64(ev.At), Member: ev.Counterparty})
			p.ZRemRangeByScore(ctx, ck, "-inf", "("+strconv.FormatInt(ev.At-int64(r.cfg.CounterpartyRetention/time.Second), 10))
			p.ZRemRangeByRank(ctx, ck, 0, -int64(r.cfg.MaxCounterparties)-1)
			p.Expire(ctx, ck, r.cfg.CounterpartyRetention)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("aml: redis record: %w", err)
	}
	if hlen.Val() > r.maxFields() {
		if err := r.prune(ctx, vk, ev.At); err != nil {
			return err
		}
	}
	return nil
}

// prune deletes buckets older than the retentions (rare: only when the
// hash outgrows its bound).
func (r *RedisWindows) prune(ctx context.Context, key string, at int64) error {
	fields, err := r.rdb.HKeys(ctx, key).Result()
	if err != nil {
		return fmt.Errorf("aml: redis prune: %w", err)
	}
	minFine := (at-int64(r.cfg.FineRetention/time.Second))/int64(r.cfg.Fine/time.Second) - 1
	minCoarse := (at-int64(r.cfg.Retention/time.Second))/int64(r.cfg.Coarse/time.Second) - 1
	var drop []string
	for _, f := range fields {
		kind, idx, _, ok := parseField(f)
		if !ok || (kind == 'f' && idx < minFine) || (kind == 'c' && idx < minCoarse) {
			drop = append(drop, f)
		}
	}
	if len(drop) == 0 {
		return nil
	}
	if err := r.rdb.HDel(ctx, key, drop...).Err(); err != nil {
		return fmt.Errorf("aml: redis prune: %w", err)
	}
	return nil
}

func parseField(f string) (kind byte, idx int64, sum bool, ok bool) {
	if len(f) < 4 || (f[0] != 'f' && f[0] != 'c') {
		return 0, 0, false, false
	}
	num, suffix, found := strings.Cut(f[1:], ":")
	if !found || (suffix != "n" && suffix != "s") {
		return 0, 0, false, false
	}
	idx, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, 0, false, false
	}
	return f[0], idx, suffix == "s", true
}

func toSeries(m map[string]string) (series, error) {
	s := newSeries()
	for f, v := range m {
		kind, idx, sum, ok := parseField(f)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return s, fmt.Errorf("aml: redis: bad counter %q: %w", f, err)
		}
		tgt := s.fine
		if kind == 'c' {
			tgt = s.coarse
		}
		t := tgt[idx]
		if sum {
			t.Sum = n
		} else {
			t.Count = n
		}
		tgt[idx] = t
	}
	return s, nil
}

// Read implements Windows.
func (r *RedisWindows) Read(ctx context.Context, q Query) (Snapshot, error) {
	if err := validateQuery(q); err != nil {
		return Snapshot{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	ck := r.cpKey(q.Investor, q.Direction)
	var in, out *redis.MapStringStringCmd
	var score *redis.FloatCmd
	var short, day *redis.IntCmd
	_, err := r.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		in = p.HGetAll(ctx, r.velKey(q.Investor, In))
		out = p.HGetAll(ctx, r.velKey(q.Investor, Out))
		if q.Counterparty != "" {
			score = p.ZScore(ctx, ck, q.Counterparty)
		}
		now := strconv.FormatInt(q.Now, 10)
		short = p.ZCount(ctx, ck, "("+strconv.FormatInt(q.Now-q.Short, 10), now)
		day = p.ZCount(ctx, ck, "("+strconv.FormatInt(q.Now-q.Day, 10), now)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return Snapshot{}, fmt.Errorf("aml: redis read: %w", err)
	}
	si, err := toSeries(in.Val())
	if err != nil {
		return Snapshot{}, err
	}
	so, err := toSeries(out.Val())
	if err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{In: make([]Total, len(q.Spans)), Out: make([]Total, len(q.Spans))}
	for i, span := range q.Spans {
		snap.In[i] = si.total(&r.cfg, q.Now, span)
		snap.Out[i] = so.total(&r.cfg, q.Now, span)
	}
	if score != nil {
		if err := score.Err(); err == nil {
			first := int64(score.Val())
			snap.CounterpartySeen = first <= q.Now && q.Now-first <= int64(r.cfg.CounterpartyRetention/time.Second)
		} else if !errors.Is(err, redis.Nil) {
			return Snapshot{}, fmt.Errorf("aml: redis read: %w", err)
		}
	}
	snap.FanOut, snap.NewCounterparties = short.Val(), day.Val()
	return snap, nil
}
