package decisionlog

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ErrNotFound is returned by Get for an unknown decision id.
var ErrNotFound = errors.New("decisionlog: not found")

// Entry is one logged decision, or (Kind "settlement") the settlement of an
// earlier one.
type Entry struct {
	Seq        int64           `json:"seq"`
	Kind       string          `json:"kind"` // "decision" or "settlement"
	DecisionID string          `json:"decision_id"`
	Time       time.Time       `json:"time"`
	Caller     string          `json:"caller"`
	Request    json.RawMessage `json:"request,omitempty"`
	Facts      json.RawMessage `json:"facts,omitempty"`
	Verdict    json.RawMessage `json:"verdict,omitempty"`
	Decision   string          `json:"decision"`
	Revision   string          `json:"revision,omitempty"`
	LatencyUS  int64           `json:"latency_us"`
	Note       string          `json:"note,omitempty"`
	PrevHash   string          `json:"prev_hash"`
	Hash       string          `json:"hash"`
	// raw holds the stored canonical bytes of an entry read from a sink.
	raw []byte
	// Build, if set, fills the expensive fields (request, facts, verdict)
	// on the writer goroutine, so the decision path does not pay for JSON.
	Build func(*Entry) `json:"-"`
}

func (e *Entry) materialize() {
	if e.Build != nil {
		e.Build(e)
		e.Build = nil
	}
}

// Canonical returns the bytes the chain hashes: the entry as JSON with
// PrevHash set and Hash empty, encoded by hand in a fixed field order (the
// embedded request, facts and verdict are copied verbatim, not re-encoded).
// Sinks store exactly these bytes, so verification hashes what is stored.
func Canonical(e Entry) []byte {
	b := make([]byte, 0, 256+len(e.Request)+len(e.Facts)+len(e.Verdict))
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = appendField(b, "kind", e.Kind)
	b = appendField(b, "decision_id", e.DecisionID)
	b = appendField(b, "time", e.Time.UTC().Format(time.RFC3339Nano))
	b = appendField(b, "caller", e.Caller)
	b = appendRaw(b, "request", e.Request)
	b = appendRaw(b, "facts", e.Facts)
	b = appendRaw(b, "verdict", e.Verdict)
	b = appendField(b, "decision", e.Decision)
	b = appendField(b, "revision", e.Revision)
	b = append(b, `,"latency_us":`...)
	b = strconv.AppendInt(b, e.LatencyUS, 10)
	b = appendField(b, "note", e.Note)
	b = appendField(b, "prev_hash", e.PrevHash)
	return append(b, '}')
}

func appendField(b []byte, k, v string) []byte {
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	q, _ := json.Marshal(v) // a string always marshals
	return append(b, q...)
}

func appendRaw(b []byte, k string, v json.RawMessage) []byte {
	if len(v) == 0 {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, k...)
	b = append(b, '"', ':')
	return append(b, v...)
}

// HashCanonical chains canonical bytes onto the previous hash.
func HashCanonical(prev string, canonical []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write(canonical)
	return hex.EncodeToString(h.Sum(nil))
}

// ComputeHash returns the chain hash of e given the previous hash.
func ComputeHash(prev string, e Entry) string {
	e.PrevHash = prev
	return HashCanonical(prev, Canonical(e))
}

// decodeStored parses stored canonical bytes and sets the stored hash.
func decodeStored(canonical []byte, hash string) (Entry, error) {
	var e Entry
	if err := json.Unmarshal(canonical, &e); err != nil {
		return e, err
	}
	e.Hash = hash
	e.raw = canonical
	return e, nil
}

// Sink persists entries. Implementations assign Seq, PrevHash and Hash inside
// one transaction so the chain stays linear even with several writers.
type Sink interface {
	// AppendBatch appends entries in order and returns them as stored.
	AppendBatch(ctx context.Context, entries []Entry) ([]Entry, error)
	// Get returns the decision entry and any settlement entries for id.
	Get(ctx context.Context, id string) ([]Entry, error)
	// Scan calls fn for every entry in sequence order, for verification.
	Scan(ctx context.Context, fn func(Entry) error) error
}

// Verify walks the chain and returns the number of entries checked, or an
// error naming the first broken link.
func Verify(ctx context.Context, s Sink) (int64, error) {
	prev := ""
	var n int64
	err := s.Scan(ctx, func(e Entry) error {
		if e.PrevHash != prev {
			return fmt.Errorf("decisionlog: entry %d: prev_hash %s does not match previous entry's hash %s", e.Seq, e.PrevHash, prev)
		}
		raw := e.raw
		if raw == nil {
			raw = Canonical(e)
		}
		if want := HashCanonical(prev, raw); want != e.Hash {
			return fmt.Errorf("decisionlog: entry %d (%s): hash mismatch: stored %s, computed %s", e.Seq, e.DecisionID, e.Hash, want)
		}
		prev = e.Hash
		n++
		return nil
	})
	return n, err
}

// Config tunes the asynchronous writer.
type Config struct {
	QueueSize     int           `yaml:"queue_size"`
	BatchSize     int           `yaml:"batch_size"`
	FlushInterval time.Duration `yaml:"flush_interval"`
}

// DefaultConfig returns the shipped defaults.
func DefaultConfig() Config {
	return Config{QueueSize: 65536, BatchSize: 1024, FlushInterval: 20 * time.Millisecond}
}

// Logger queues entries and writes them to a Sink in batches off the
// request path.
type Logger struct {
	cfg     Config
	sink    Sink
	log     *slog.Logger
	queue   chan Entry
	mu      sync.Mutex
	pending map[string]Entry
	done    chan struct{}
	closeMu sync.RWMutex
	closed  bool
	dropped prometheus.Counter
	written prometheus.Counter
	errs    prometheus.Counter
}

// New starts a Logger writing to sink. Call Close to flush and stop.
func New(cfg Config, sink Sink, logger *slog.Logger, reg prometheus.Registerer) (*Logger, error) {
	if cfg.QueueSize <= 0 || cfg.BatchSize <= 0 || cfg.FlushInterval <= 0 {
		return nil, errors.New("decisionlog: queue_size, batch_size and flush_interval must be positive")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l := &Logger{
		cfg: cfg, sink: sink, log: logger.With("component", "decisionlog"),
		queue:   make(chan Entry, cfg.QueueSize),
		pending: make(map[string]Entry),
		done:    make(chan struct{}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{Name: "clearance_decision_log_dropped_total", Help: "Decision log entries dropped because the queue was full."}),
		written: prometheus.NewCounter(prometheus.CounterOpts{Name: "clearance_decision_log_written_total", Help: "Decision log entries written."}),
		errs:    prometheus.NewCounter(prometheus.CounterOpts{Name: "clearance_decision_log_errors_total", Help: "Decision log batch write errors."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{l.dropped, l.written, l.errs} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("decisionlog: register metrics: %w", err)
			}
		}
	}
	go l.run()
	return l, nil
}

// Append queues e. It never does I/O on the caller's goroutine.
func (l *Logger) Append(e Entry) {
	l.closeMu.RLock()
	defer l.closeMu.RUnlock()
	if l.closed {
		l.dropped.Inc()
		return
	}
	l.mu.Lock()
	if e.Kind == "decision" || e.Kind == "" {
		e.Kind = "decision"
		l.pending[e.DecisionID] = e
	}
	l.mu.Unlock()
	select {
	case l.queue <- e:
	default:
		// Queue full: wait a little, then drop and count it.
		t := time.NewTimer(50 * time.Millisecond)
		defer t.Stop()
		select {
		case l.queue <- e:
		case <-t.C:
			l.dropped.Inc()
			l.mu.Lock()
			delete(l.pending, e.DecisionID)
			l.mu.Unlock()
			l.log.Warn("decision log queue full; entry dropped", "decision_id", e.DecisionID)
		}
	}
}

// Get returns the entries for a decision id: the decision and any later
// settlements. Entries still queued are returned too.
func (l *Logger) Get(ctx context.Context, id string) ([]Entry, error) {
	es, err := l.sink.Get(ctx, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	if len(es) == 0 {
		l.mu.Lock()
		e, ok := l.pending[id]
		l.mu.Unlock()
		if ok {
			e.materialize()
			return []Entry{e}, nil
		}
		return nil, ErrNotFound
	}
	return es, nil
}

// Sink returns the underlying sink (for verification).
func (l *Logger) Sink() Sink { return l.sink }

func (l *Logger) run() {
	defer close(l.done)
	batch := make([]Entry, 0, l.cfg.BatchSize)
	tick := time.NewTicker(l.cfg.FlushInterval)
	defer tick.Stop()
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var err error
		for attempt := 0; attempt < 5; attempt++ {
			if _, err = l.sink.AppendBatch(ctx, batch); err == nil {
				break
			}
			time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
		}
		cancel()
		if err != nil {
			l.errs.Inc()
			l.log.Error("decision log write failed; entries kept in memory for reads", "entries", len(batch), "err", err)
			return // keep them in pending so Get still answers
		}
		l.written.Add(float64(len(batch)))
		l.mu.Lock()
		for _, e := range batch {
			delete(l.pending, e.DecisionID)
		}
		l.mu.Unlock()
		batch = batch[:0]
	}
	for {
		select {
		case e, ok := <-l.queue:
			if !ok {
				flush()
				return
			}
			e.materialize()
			batch = append(batch, e)
			if len(batch) >= l.cfg.BatchSize {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// Close flushes queued entries and stops the writer.
// It is safe to call more than once; entries appended after Close are
// counted as dropped.
func (l *Logger) Close() {
	l.closeMu.Lock()
	if l.closed {
		l.closeMu.Unlock()
		return
	}
	l.closed = true
	close(l.queue)
	l.closeMu.Unlock()
	<-l.done
}
