package verdictcache

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Remote is the shared second tier and the invalidation fan-out. Every
// method must return within the caller's context deadline.
type Remote interface {
	// Get returns the value stored under key; ok is false on a miss.
	Get(ctx context.Context, key string) (val []byte, ok bool, err error)
	// Set stores val under key for ttl.
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// Publish sends an invalidation payload to every replica.
	Publish(ctx context.Context, payload []byte) error
	// Channel names the pub/sub channel invalidations travel on.
	Channel() string
	// KeyPrefix is prepended to every cache key.
	KeyPrefix() string
}

// Redis is the Remote backed by go-redis v9. Values live under
// "<prefix>:v:<hex key>"; invalidations travel on "<prefix>:invalidate".
type Redis struct {
	client  redis.UniversalClient
	prefix  string
	timeout time.Duration
}

var _ Remote = (*Redis)(nil)

// NewRedis wraps client. Every Get and Set is bounded by timeout (the
// cache's RedisTimeout also applies). For the deadline to reach the socket
// the client must be built with ContextTimeoutEnabled, as ClientOptions
// does.
func NewRedis(client redis.UniversalClient, prefix string, timeout time.Duration) *Redis {
	if prefix == "" {
		prefix = "clearance:vc"
	}
	if timeout <= 0 {
		timeout = DefaultConfig().RedisTimeout
	}
	return &Redis{client: client, prefix: prefix, timeout: timeout}
}

// ClientOptions returns go-redis options suited to the cache: context
// deadlines reach the socket, no retries inside the tight deadline, and a
// short dial timeout.
func ClientOptions(addr string) *redis.Options {
	return &redis.Options{
		Addr:                  addr,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialTimeout:           time.Second,
		ReadTimeout:           time.Second,
		WriteTimeout:          time.Second,
		PoolTimeout:           100 * time.Millisecond,
	}
}

// Get implements Remote.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	b, err := r.client.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// Set implements Remote.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	return r.client.Set(ctx, key, val, ttl).Err()
}

// Publish implements Remote.
func (r *Redis) Publish(ctx context.Context, payload []byte) error {
	return r.client.Publish(ctx, r.Channel(), payload).Err()
}

// Channel implements Remote.
func (r *Redis) Channel() string { return r.prefix + ":invalidate" }

// KeyPrefix implements Remote.
func (r *Redis) KeyPrefix() string { return r.prefix + ":v:" }
