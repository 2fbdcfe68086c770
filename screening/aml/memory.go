package aml

import (
	"context"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2/simplelru"
)

// MemoryWindows keeps windows in process: time-bucketed counters per
// investor and direction, and first-seen times of counterparties. Memory is
// bounded by WindowConfig (investors, buckets per retention, counterparties).
// State is lost on restart and not shared between replicas; configure Redis
// for that.
type MemoryWindows struct {
	cfg WindowConfig
	mu  sync.Mutex
	inv *lru.LRU[string, *investorState]
}

type investorState struct {
	in, out     series
	cpIn, cpOut map[string]int64 // counterparty wallet -> first seen
}

var _ Windows = (*MemoryWindows)(nil)

// NewMemoryWindows returns in-process windows.
func NewMemoryWindows(cfg WindowConfig) (*MemoryWindows, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c, err := lru.NewLRU[string, *investorState](cfg.MaxInvestors, nil)
	if err != nil {
		return nil, err
	}
	return &MemoryWindows{cfg: cfg, inv: c}, nil
}

// Record implements Windows.
func (m *MemoryWindows) Record(_ context.Context, ev Event) error {
	if err := validateEvent(ev); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.inv.Get(ev.Investor)
	if !ok {
		st = &investorState{in: newSeries(), out: newSeries(), cpIn: map[string]int64{}, cpOut: map[string]int64{}}
		m.inv.Add(ev.Investor, st)
	}
	s, cp := &st.in, st.cpIn
	if ev.Direction == Out {
		s, cp = &st.out, st.cpOut
	}
	s.add(&m.cfg, ev.At, ev.Amount)
	if ev.Counterparty != "" {
		if first, ok := cp[ev.Counterparty]; !ok || ev.At < first || ev.At-first > int64(m.cfg.CounterpartyRetention/time.Second) {
			cp[ev.Counterparty] = ev.At
		}
		if len(cp) > m.cfg.MaxCounterparties {
			m.evictCounterparties(cp, ev.At)
		}
	}
	return nil
}

// evictCounterparties drops expired entries, then the oldest, until cp is
// at most 7/8 of the cap (so eviction is amortised).
func (m *MemoryWindows) evictCounterparties(cp map[string]int64, now int64) {
	ret := int64(m.cfg.CounterpartyRetention / time.Second)
	for k, t := range cp {
		if now-t > ret {
			delete(cp, k)
		}
	}
	target := m.cfg.MaxCounterparties - m.cfg.MaxCounterparties/8
	for len(cp) > target {
		var oldK string
		var oldT int64 = 1<<63 - 1
		for k, t := range cp {
			if t < oldT {
				oldK, oldT = k, t
			}
		}
		delete(cp, oldK)
	}
}

// Read implements Windows.
func (m *MemoryWindows) Read(_ context.Context, q Query) (Snapshot, error) {
	if err := validateQuery(q); err != nil {
		return Snapshot{}, err
	}
	snap := Snapshot{In: make([]Total, len(q.Spans)), Out: make([]Total, len(q.Spans))}
	m.mu.Lock()
	defer m.mu.Unlock()
	st, ok := m.inv.Get(q.Investor)
	if !ok {
		return snap, nil
	}
	for i, span := range q.Spans {
		snap.In[i] = st.in.total(&m.cfg, q.Now, span)
		snap.Out[i] = st.out.total(&m.cfg, q.Now, span)
	}
	cp := st.cpIn
	if q.Direction == Out {
		cp = st.cpOut
	}
	ret := int64(m.cfg.CounterpartyRetention / time.Second)
	if q.Counterparty != "" {
		first, ok := cp[q.Counterparty]
		snap.CounterpartySeen = ok && first <= q.Now && q.Now-first <= ret
	}
	for _, first := range cp {
		if first > q.Now {
			continue
		}
		if first > q.Now-q.Short {
			snap.FanOut++
		}
		if first > q.Now-q.Day {
			snap.NewCounterparties++
		}
	}
	return snap, nil
}
