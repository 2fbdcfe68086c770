package aml

import (
	"context"
	"fmt"
	"time"
)

// Direction is a party's side of a movement.
type Direction uint8

// Directions. In is a receipt by the investor, Out a payment.
const (
	In Direction = iota + 1
	Out
)

func (d Direction) String() string {
	switch d {
	case In:
		return "in"
	case Out:
		return "out"
	}
	return "unknown"
}

// Event is one observed movement from one investor's point of view.
type Event struct {
	// Investor keys the windows: the investor id, or "wallet:<address>"
	// for a wallet whose owner is unknown.
	Investor  string
	Direction Direction
	// Counterparty is the other side's wallet; empty if there is none.
	Counterparty string
	// At is Unix seconds.
	At     int64
	Amount int64
}

// Query asks for the window state of one investor at Now.
type Query struct {
	Investor string
	// Direction is the party's side in the request being scored; the
	// counterparty fields below refer to it.
	Direction    Direction
	Counterparty string
	Now          int64
	// Spans are window lengths in seconds; Snapshot.In and Out carry one
	// Total per span, over (Now-span, Now] at bucket resolution.
	Spans []int64
	// Short and Day bound the fan-out and new-counterparty-rate windows.
	Short int64
	Day   int64
}

// Total is a count and a sum of amounts.
type Total struct {
	Count int64
	Sum   int64
}

// Snapshot is the window state of one investor.
type Snapshot struct {
	In, Out []Total
	// CounterpartySeen reports whether Counterparty was seen before in
	// Direction (within the counterparty retention).
	CounterpartySeen bool
	// FanOut is the number of distinct counterparties first seen in
	// Direction within (Now-Short, Now].
	FanOut int64
	// NewCounterparties is the same within (Now-Day, Now].
	NewCounterparties int64
}

// Windows keeps velocity and counterparty windows. Implementations must be
// safe for concurrent use and must return an error rather than a partial
// answer (callers fail closed).
type Windows interface {
	Read(ctx context.Context, q Query) (Snapshot, error)
	Record(ctx context.Context, ev Event) error
}

// WindowConfig sizes a Windows implementation. Zero fields take defaults.
type WindowConfig struct {
	// Fine buckets (default 1m) serve windows up to FineRetention (default
	// 2h); coarse buckets (default 1h) serve longer windows up to
	// Retention (default 31 days). A window's edge is exact to its bucket
	// size, rounded outward (the conservative direction).
	Fine          time.Duration `yaml:"fine"`
	FineRetention time.Duration `yaml:"fine_retention"`
	Coarse        time.Duration `yaml:"coarse"`
	Retention     time.Duration `yaml:"retention"`
	// CounterpartyRetention is how long a counterparty stays "seen"
	// (default 180 days); MaxCounterparties caps them per investor and
	// direction (default 4096, oldest evicted first).
	CounterpartyRetention time.Duration `yaml:"counterparty_retention"`
	MaxCounterparties     int           `yaml:"max_counterparties"`
	// MaxInvestors caps MemoryWindows (default 100000, least recently used
	// evicted). RedisWindows ignores it.
	MaxInvestors int `yaml:"max_investors"`
}

func (c WindowConfig) withDefaults() (WindowConfig, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Fine, time.Minute)
	def(&c.FineRetention, 2*time.Hour)
	def(&c.Coarse, time.Hour)
	def(&c.Retention, 31*24*time.Hour)
	def(&c.CounterpartyRetention, 180*24*time.Hour)
	if c.MaxCounterparties == 0 {
		c.MaxCounterparties = 4096
	}
	if c.MaxInvestors == 0 {
		c.MaxInvestors = 100000
	}
	if c.Fine < time.Second || c.Coarse < c.Fine || c.FineRetention < c.Fine || c.Retention < c.Coarse ||
		c.Fine%time.Second != 0 || c.Coarse%time.Second != 0 {
		return c, fmt.Errorf("aml: window config: need 1s <= fine <= coarse (whole seconds), fine_retention >= fine, retention >= coarse")
	}
	if c.MaxCounterparties < 1 || c.MaxInvestors < 1 || c.CounterpartyRetention <= 0 {
		return c, fmt.Errorf("aml: window config: max_counterparties, max_investors and counterparty_retention must be positive")
	}
	return c, nil
}

// series is a two-resolution bucketed counter.
type series struct {
	fine   map[int64]Total
	coarse map[int64]Total
}

func newSeries() series {
	return series{fine: map[int64]Total{}, coarse: map[int64]Total{}}
}

func addTotal(t Total, amount int64) Total {
	t.Count++
	t.Sum = satAdd(t.Sum, amount)
	return t
}

func satAdd(a, b int64) int64 {
	s := a + b
	if b > 0 && s < a {
		return 1<<63 - 1
	}
	if b < 0 && s > a {
		return -1 << 63
	}
	return s
}

func (s *series) add(cfg *WindowConfig, at, amount int64) {
	fi := at / int64(cfg.Fine/time.Second)
	s.fine[fi] = addTotal(s.fine[fi], amount)
	ci := at / int64(cfg.Coarse/time.Second)
	s.coarse[ci] = addTotal(s.coarse[ci], amount)
	s.prune(cfg, at)
}

// prune drops buckets older than the retentions, measured back from at.
func (s *series) prune(cfg *WindowConfig, at int64) {
	fs := int64(cfg.Fine / time.Second)
	minFine := (at-int64(cfg.FineRetention/time.Second))/fs - 1
	for k := range s.fine {
		if k < minFine {
			delete(s.fine, k)
		}
	}
	cs := int64(cfg.Coarse / time.Second)
	minCoarse := (at-int64(cfg.Retention/time.Second))/cs - 1
	for k := range s.coarse {
		if k < minCoarse {
			delete(s.coarse, k)
		}
	}
}

// total sums the buckets covering (now-span, now].
func (s *series) total(cfg *WindowConfig, now, span int64) Total {
	m, size := s.coarse, int64(cfg.Coarse/time.Second)
	if span <= int64(cfg.FineRetention/time.Second) {
		m, size = s.fine, int64(cfg.Fine/time.Second)
	}
	lo, hi := floorDiv(now-span+1, size), floorDiv(now, size)
	var t Total
	if hi-lo+1 < int64(len(m)) {
		for i := lo; i <= hi; i++ {
			if b, ok := m[i]; ok {
				t.Count += b.Count
				t.Sum = satAdd(t.Sum, b.Sum)
			}
		}
		return t
	}
	for i, b := range m {
		if i >= lo && i <= hi {
			t.Count += b.Count
			t.Sum = satAdd(t.Sum, b.Sum)
		}
	}
	return t
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

const maxKeyLen = 512

func validateEvent(ev Event) error {
	switch {
	case ev.Investor == "" || len(ev.Investor) > maxKeyLen:
		return fmt.Errorf("aml: event investor must be 1-%d bytes", maxKeyLen)
	case len(ev.Counterparty) > maxKeyLen:
		return fmt.Errorf("aml: event counterparty longer than %d bytes", maxKeyLen)
	case ev.Direction != In && ev.Direction != Out:
		return fmt.Errorf("aml: event direction %d invalid", ev.Direction)
	case ev.At < 0 || ev.Amount < 0:
		return fmt.Errorf("aml: event time and amount must not be negative")
	}
	return nil
}

func validateQuery(q Query) error {
	switch {
	case q.Investor == "" || len(q.Investor) > maxKeyLen:
		return fmt.Errorf("aml: query investor must be 1-%d bytes", maxKeyLen)
	case len(q.Counterparty) > maxKeyLen:
		return fmt.Errorf("aml: query counterparty longer than %d bytes", maxKeyLen)
	case q.Direction != In && q.Direction != Out:
		return fmt.Errorf("aml: query direction %d invalid", q.Direction)
	}
	for _, s := range q.Spans {
		if s <= 0 {
			return fmt.Errorf("aml: query span %d must be positive", s)
		}
	}
	return nil
}
