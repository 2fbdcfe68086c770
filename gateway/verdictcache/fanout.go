package verdictcache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/clearancehq/clearance/registry"
)

// Publish invalidates locally, then sends ev to every replica over the
// remote's pub/sub channel. Without a remote it only invalidates locally.
// A publish error is counted, logged and returned; it cannot make another
// replica serve a stale verdict, because keys carry every fact's version.
func (c *Cache) Publish(ctx context.Context, ev registry.Event) error {
	c.Invalidate(ctx, ev)
	if c.remote == nil {
		return nil
	}
	payload, err := json.Marshal(wireEvent{Origin: c.origin, Event: ev})
	if err != nil {
		return fmt.Errorf("verdictcache: encode event: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, c.cfg.PublishTimeout)
	defer cancel()
	if err := c.remote.Publish(pctx, payload); err != nil {
		c.m.redisErrors.WithLabelValues("publish").Inc()
		c.warn("verdict cache invalidation publish failed", "kind", ev.Kind, "id", ev.ID, "err", err)
		return fmt.Errorf("verdictcache: publish: %w", err)
	}
	return nil
}

// wireEvent is the pub/sub payload: the registry event and the replica
// that published it, which skips its own echo.
type wireEvent struct {
	Origin string `json:"origin"`
	registry.Event
}

// RunSubscriber listens on the remote's invalidation channel through client
// and calls Invalidate for every event received, until ctx ends (it then
// returns nil). Caching is enabled only while the subscription is confirmed
// by Redis; when the connection is lost, or a ping goes unanswered for a
// PingInterval, L1 is emptied and caching is off until a new subscription
// is confirmed. Run exactly one per Cache, on every replica.
func (c *Cache) RunSubscriber(ctx context.Context, client redis.UniversalClient) error {
	if c.remote == nil {
		return errNoRemote
	}
	const minBackoff, maxBackoff = 50 * time.Millisecond, 2 * time.Second
	backoff := minBackoff
	for {
		confirmed, err := c.subscribeOnce(ctx, client)
		c.setEnabled(false, "subscription_lost")
		if ctx.Err() != nil {
			return nil
		}
		if confirmed {
			backoff = minBackoff
		}
		c.m.redisErrors.WithLabelValues("subscribe").Inc()
		c.warn("verdict cache invalidation subscription lost; cache bypassed until it is back", "channel", c.remote.Channel(), "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// subscribeOnce runs one subscription until it fails. confirmed reports
// whether Redis confirmed it (and caching was enabled).
func (c *Cache) subscribeOnce(ctx context.Context, client redis.UniversalClient) (confirmed bool, err error) {
	ch := c.remote.Channel()
	ps := client.Subscribe(ctx, ch)
	defer ps.Close()
	// A blocked receive does not watch ctx; closing the connection ends it.
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stop()
	pingPending := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, c.cfg.PingInterval)
		if err != nil {
			if ctx.Err() != nil {
				return confirmed, ctx.Err()
			}
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return confirmed, err
			}
			if pingPending {
				return confirmed, errors.New("pubsub ping unanswered")
			}
			if err := ps.Ping(ctx); err != nil {
				return confirmed, err
			}
			pingPending = true
			continue
		}
		pingPending = false
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind == "subscribe" && m.Channel == ch && !confirmed {
				confirmed = true
				c.setEnabled(true, "")
				c.log.Info("verdict cache invalidation subscription confirmed", "channel", ch)
			}
		case *redis.Message:
			var ev wireEvent
			if err := json.Unmarshal([]byte(m.Payload), &ev); err != nil {
				c.warn("undecodable invalidation event; emptying L1", "err", err)
				c.purge("unknown_event")
				continue
			}
			if ev.Origin == c.origin {
				continue // Publish already invalidated locally
			}
			c.Invalidate(ctx, ev.Event)
		case *redis.Pong:
		}
	}
}
