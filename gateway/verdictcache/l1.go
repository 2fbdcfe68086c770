package verdictcache

import (
	"sync"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"github.com/clearancehq/clearance/policies"
)

// Tag kinds: the registry entities an entry rests on.
const (
	tagAsset byte = iota + 1
	tagInvestor
	tagWallet
)

// tag names one registry entity.
type tag struct {
	kind byte
	id   string
}

// entry is one cached static result. It is immutable once stored.
type entry struct {
	res policies.Result
	// lo and hi bound, exclusively, the Now values the result holds for.
	lo, hi int64
	// expires is the wall-clock backstop, Unix nanoseconds.
	expires int64
	tags    []tag
}

// valid reports whether e answers a check at instant now (Unix seconds)
// when the wall clock reads wallNanos.
func (e *entry) valid(now, wallNanos int64) bool {
	return e.lo < now && now < e.hi && wallNanos < e.expires
}

// l1 is the in-process tier: an LRU plus a secondary index from each tag to
// the keys of the entries that carry it, so an invalidation evicts exactly
// the affected entries. One mutex guards both.
type l1 struct {
	mu    sync.Mutex
	lru   *simplelru.LRU[key, *entry]
	index map[tag]map[key]struct{}
	// purging silences the eviction callback during Purge.
	purging bool
}

func newL1(size int) (*l1, error) {
	c := &l1{index: make(map[tag]map[key]struct{})}
	lru, err := simplelru.NewLRU[key, *entry](size, c.onEvict)
	if err != nil {
		return nil, err
	}
	c.lru = lru
	return c, nil
}

// onEvict runs under c.mu, from Add (capacity) or Remove.
func (c *l1) onEvict(k key, e *entry) {
	if c.purging {
		return
	}
	for _, t := range e.tags {
		if set, ok := c.index[t]; ok {
			delete(set, k)
			if len(set) == 0 {
				delete(c.index, t)
			}
		}
	}
}

// get returns the entry for k if it is valid at now; an expired entry is
// removed.
func (c *l1) get(k key, now, wallNanos int64) (*entry, bool) {
	c.mu.Lock()
	e, ok := c.lru.Get(k)
	if ok && !e.valid(now, wallNanos) {
		if wallNanos >= e.expires {
			c.lru.Remove(k)
		}
		ok = false
	}
	c.mu.Unlock()
	return e, ok
}

// add stores e under k unless stillValid, called under the lock, says the
// cache state moved on since the lookup started.
func (c *l1) add(k key, e *entry, stillValid func() bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !stillValid() {
		return false
	}
	if c.lru.Contains(k) {
		// Same key, same facts, same tags: replace the value only.
		c.lru.Add(k, e)
		return true
	}
	c.lru.Add(k, e)
	for _, t := range e.tags {
		set, ok := c.index[t]
		if !ok {
			set = make(map[key]struct{}, 1)
			c.index[t] = set
		}
		set[k] = struct{}{}
	}
	return true
}

// invalidate evicts every entry carrying t and returns how many. bump runs
// under the lock first, so no lookup that started before it can store.
func (c *l1) invalidate(t tag, bump func()) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	bump()
	set := c.index[t]
	n := len(set)
	for k := range set {
		c.lru.Remove(k) // onEvict prunes the index, including set
	}
	delete(c.index, t)
	return n
}

// purge empties the tier. bump runs under the lock first.
func (c *l1) purge(bump func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	bump()
	c.purging = true
	c.lru.Purge()
	c.purging = false
	clear(c.index)
}

func (c *l1) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len()
}
