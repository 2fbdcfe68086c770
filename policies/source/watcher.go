package source

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/clearancehq/clearance/policies"
)

// DefaultInterval is the Watcher's default polling interval.
const DefaultInterval = time.Second

// Status is what the Watcher reports about the pack it serves.
type Status struct {
	// Revision and LoadedAt describe the revision being served.
	Revision string    `json:"revision"`
	LoadedAt time.Time `json:"loaded_at"`
	// LastError is the last rejected edit ("" when the last attempt succeeded
	// or none failed), with the revision it had and when it was seen.
	LastError         string    `json:"last_error,omitempty"`
	LastErrorAt       time.Time `json:"last_error_at,omitempty"`
	LastErrorRevision string    `json:"last_error_revision,omitempty"`
	// Reloads and Failures count swaps and rejected edits since start.
	Reloads  int64 `json:"reloads"`
	Failures int64 `json:"failures"`
	// Counts of the served pack.
	RegoModules int `json:"rego_modules"`
	RegoTests   int `json:"rego_tests"`
	CELFiles    int `json:"cel_files"`
	GoldenCases int `json:"golden_cases"`
}

// Watcher polls a policy directory, and when its content hash changes
// compiles the new pack and runs its tests off the request path. It swaps
// the pack into Live only when both succeed; otherwise it logs the failure
// (warn, with file and line), counts it in
// clearance_policy_reloads_total{result="error"}, records it in Status, and
// the last good revision keeps serving.
type Watcher struct {
	dir      string
	live     *Live
	interval time.Duration
	log      *slog.Logger
	reloads  *prometheus.CounterVec
	reg      prometheus.Registerer

	mu        sync.Mutex
	status    Status
	attempted string // revision of the last attempt, good or bad
	onSwap    []func(rev string)
}

// WatcherOption configures NewWatcher.
type WatcherOption func(*Watcher)

// WithInterval sets the polling interval (default 1s).
func WithInterval(d time.Duration) WatcherOption {
	return func(w *Watcher) {
		if d > 0 {
			w.interval = d
		}
	}
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) WatcherOption {
	return func(w *Watcher) {
		if l != nil {
			w.log = l
		}
	}
}

// WithRegisterer registers the Watcher's metrics on r (default: not
// registered).
func WithRegisterer(r prometheus.Registerer) WatcherOption {
	return func(w *Watcher) { w.reg = r }
}

// NewWatcher watches dir and swaps good packs into live. The revision live
// already serves is not reloaded. It fails if the metrics cannot be
// registered.
func NewWatcher(dir string, live *Live, opts ...WatcherOption) (*Watcher, error) {
	if live == nil {
		return nil, errors.New("source: NewWatcher: nil Live")
	}
	w := &Watcher{
		dir:      dir,
		live:     live,
		interval: DefaultInterval,
		log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "clearance_policy_reloads_total",
			Help: "Policy pack reload attempts by result (success or error).",
		}, []string{"result"}),
	}
	for _, o := range opts {
		o(w)
	}
	if w.reg != nil {
		if err := w.reg.Register(w.reloads); err != nil {
			return nil, err
		}
	}
	if b := live.Current(); b != nil {
		w.attempted = b.Revision()
		w.status = statusOf(b)
	}
	return w, nil
}

func statusOf(b *Bundle) Status {
	f := b.Files()
	return Status{
		Revision: b.Revision(), LoadedAt: b.LoadedAt(),
		RegoModules: len(f.Modules), RegoTests: len(f.RegoTests), CELFiles: len(f.CEL), GoldenCases: len(f.Golden),
	}
}

// OnSwap registers fn to be called, with the new revision, after every swap
// (for example to purge a verdict cache). Callbacks run on the watcher's
// goroutine.
func (w *Watcher) OnSwap(fn func(rev string)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.onSwap = append(w.onSwap, fn)
}

// Status returns the current status.
func (w *Watcher) Status() Status {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status
}

// Run polls until ctx ends, then returns ctx's error.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.interval)
	defer t.Stop()
	for {
		// A rejected edit is logged, counted and recorded by Reload.
		_, _ = w.Reload(ctx)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Reload checks the directory once. It returns true when a new revision was
// swapped in, and the error of a rejected edit (which leaves the served
// revision unchanged). An unchanged directory, or a bad revision already
// rejected, is not recompiled.
func (w *Watcher) Reload(ctx context.Context) (bool, error) {
	files, err := Load(os.DirFS(w.dir))
	if err != nil {
		w.reject(ctx, "", err, Report{})
		return false, err
	}
	w.mu.Lock()
	same := files.Revision == w.attempted
	w.attempted = files.Revision
	w.mu.Unlock()
	if same {
		return false, nil
	}
	b, rep, err := compileAndTest(ctx, files)
	if err != nil {
		w.reject(ctx, files.Revision, err, rep)
		return false, err
	}
	w.live.Swap(b)
	w.reloads.WithLabelValues("success").Inc()
	w.mu.Lock()
	prev := w.status
	w.status = statusOf(b)
	w.status.Reloads = prev.Reloads + 1
	w.status.Failures = prev.Failures
	w.status.LastError, w.status.LastErrorAt, w.status.LastErrorRevision = "", time.Time{}, ""
	callbacks := append([]func(string){}, w.onSwap...)
	w.mu.Unlock()
	w.log.InfoContext(ctx, "policy pack swapped", "dir", w.dir, "revision", b.Revision(),
		"rego_tests_passed", rep.Rego.Passed, "golden_passed", rep.Golden.Passed)
	for _, fn := range callbacks {
		fn(b.Revision())
	}
	return true, nil
}

func (w *Watcher) reject(ctx context.Context, rev string, err error, rep Report) {
	w.reloads.WithLabelValues("error").Inc()
	loc := ""
	var pe *policies.Error
	if errors.As(err, &pe) {
		loc = pe.Rule
	}
	attrs := []any{"dir", w.dir, "revision", rev, "location", loc, "error", err.Error(), "serving", w.live.Revision()}
	if len(rep.Failures) > 0 {
		attrs = append(attrs, "failures", len(rep.Failures))
	}
	w.log.WarnContext(ctx, "policy pack rejected; last good revision keeps serving", attrs...)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.status.LastError = err.Error()
	w.status.LastErrorAt = time.Now()
	w.status.LastErrorRevision = rev
	w.status.Failures++
}
