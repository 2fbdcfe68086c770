package verdictcache

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the cache.
type Config struct {
	// L1Size is the number of entries of the in-process LRU.
	L1Size int `yaml:"l1_size"`
	// TTL is the backstop lifetime of an entry in either tier. Entries are
	// also capped by the next time boundary of their facts.
	TTL time.Duration `yaml:"ttl"`
	// RedisTimeout bounds every L2 GET and SET.
	RedisTimeout time.Duration `yaml:"redis_timeout"`
	// RedisBackoff is how long L2 is skipped after a Redis error before it is
	// tried again.
	RedisBackoff time.Duration `yaml:"redis_backoff"`
	// PublishTimeout bounds the PUBLISH of one invalidation event.
	PublishTimeout time.Duration `yaml:"publish_timeout"`
	// HistoricalSkew is how far a check's Now may be from the wall clock
	// before the check counts as historical and bypasses the cache.
	HistoricalSkew time.Duration `yaml:"historical_skew"`
	// PingInterval is how often the subscriber pings its pub/sub connection;
	// a connection silent for two intervals counts as lost.
	PingInterval time.Duration `yaml:"ping_interval"`
}

// DefaultConfig returns the defaults: 100k entries, 60 s TTL backstop, 5 ms
// Redis timeout.
func DefaultConfig() Config {
	return Config{
		L1Size:         100000,
		TTL:            60 * time.Second,
		RedisTimeout:   5 * time.Millisecond,
		RedisBackoff:   250 * time.Millisecond,
		PublishTimeout: time.Second,
		HistoricalSkew: 5 * time.Second,
		PingInterval:   time.Second,
	}
}

// withDefaults fills zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.L1Size == 0 {
		c.L1Size = d.L1Size
	}
	if c.TTL == 0 {
		c.TTL = d.TTL
	}
	if c.RedisTimeout == 0 {
		c.RedisTimeout = d.RedisTimeout
	}
	if c.RedisBackoff == 0 {
		c.RedisBackoff = d.RedisBackoff
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = d.PublishTimeout
	}
	if c.HistoricalSkew == 0 {
		c.HistoricalSkew = d.HistoricalSkew
	}
	if c.PingInterval == 0 {
		c.PingInterval = d.PingInterval
	}
	return c
}

// Validate reports every out-of-range field. Zero fields take defaults and
// are valid.
func (c Config) Validate() error {
	var errs []error
	if c.L1Size < 0 {
		errs = append(errs, fmt.Errorf("verdictcache: l1_size %d must be positive", c.L1Size))
	}
	if c.TTL < 0 || (c.TTL > 0 && c.TTL < 2*time.Second) {
		errs = append(errs, fmt.Errorf("verdictcache: ttl %s must be at least 2s", c.TTL))
	}
	if c.RedisTimeout < 0 || c.RedisTimeout > time.Second {
		errs = append(errs, fmt.Errorf("verdictcache: redis_timeout %s must be in (0, 1s]", c.RedisTimeout))
	}
	if c.RedisBackoff < 0 {
		errs = append(errs, fmt.Errorf("verdictcache: redis_backoff %s must not be negative", c.RedisBackoff))
	}
	if c.PublishTimeout < 0 {
		errs = append(errs, fmt.Errorf("verdictcache: publish_timeout %s must not be negative", c.PublishTimeout))
	}
	if c.HistoricalSkew < 0 {
		errs = append(errs, fmt.Errorf("verdictcache: historical_skew %s must not be negative", c.HistoricalSkew))
	}
	if c.PingInterval < 0 {
		errs = append(errs, fmt.Errorf("verdictcache: ping_interval %s must not be negative", c.PingInterval))
	}
	return errors.Join(errs...)
}
