package screening

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SourceFile is one list file: its name (which identifies the format) and
// content.
type SourceFile struct {
	Name string
	Data []byte
}

// ParseFunc parses a set of list files into entities
// (screening/sources.Parse).
type ParseFunc func(files []SourceFile) ([]Entity, error)

// MaxFileSize bounds one list file (the full OFAC sdn.csv is ~2 MB).
const MaxFileSize = 64 << 20

// Options configure a Service.
type Options struct {
	// Parse is required: screening/sources.Parse.
	Parse      ParseFunc
	Thresholds Thresholds // zero value = DefaultThresholds()
	Logger     *slog.Logger
	// Registerer receives the metrics; nil registers nothing.
	Registerer prometheus.Registerer
	Now        func() time.Time
}

// LoadStatus reports the list set in force and the last load attempt.
type LoadStatus struct {
	Loaded      bool      `json:"loaded"`
	Current     ListSet   `json:"current"`
	LastAttempt time.Time `json:"last_attempt"`
	// LastError is the last failed load's error ("" after a success).
	LastError string `json:"last_error,omitempty"`
	Failures  int64  `json:"failures"`
}

// Service holds the list set in force and screens parties against it.
type Service struct {
	parse  ParseFunc
	th     Thresholds
	log    *slog.Logger
	now    func() time.Time
	index  atomic.Pointer[Index]
	loadMu sync.Mutex // serialises loads
	seq    int64

	stMu   sync.Mutex
	status LoadStatus

	matches *prometheus.CounterVec
	loads   *prometheus.CounterVec
	counts  *prometheus.GaugeVec
}

// NewService builds a Service with no list loaded.
func NewService(o Options) (*Service, error) {
	if o.Parse == nil {
		return nil, errors.New("screening: Options.Parse is required")
	}
	if o.Thresholds == (Thresholds{}) {
		o.Thresholds = DefaultThresholds()
	}
	if err := o.Thresholds.Validate(); err != nil {
		return nil, err
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Service{parse: o.Parse, th: o.Thresholds, log: o.Logger, now: o.Now,
		matches: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clearance_screening_matches_total", Help: "Screening matches at or above the potential tier, by list."}, []string{"list"}),
		loads:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "clearance_screening_loads_total", Help: "List set loads by result (ok, error, unchanged)."}, []string{"result"}),
		counts:  prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "clearance_screening_entities", Help: "Entities in the list set in force, by list."}, []string{"list"}),
	}
	if o.Registerer != nil {
		for _, c := range []prometheus.Collector{s.matches, s.loads, s.counts} {
			if err := o.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("screening: register metrics: %w", err)
			}
		}
	}
	return s, nil
}

// Thresholds returns the configured tiers.
func (s *Service) Thresholds() Thresholds { return s.th }

// Index returns the index in force, or nil when no list is loaded.
func (s *Service) Index() *Index { return s.index.Load() }

// ListVersion is the version of the list set in force ("" when none).
func (s *Service) ListVersion() string {
	if ix := s.index.Load(); ix != nil {
		return ix.set.Version
	}
	return ""
}

// Status reports the list set in force and the last load error.
func (s *Service) Status() LoadStatus {
	s.stMu.Lock()
	defer s.stMu.Unlock()
	st := s.status
	st.Current.Counts = maps.Clone(st.Current.Counts)
	return st
}

// ContentHash is the sha256 over the files sorted by base name, each
// contributing its base name and the sha256 of its content.
func ContentHash(files []SourceFile) string {
	type nh struct{ name, h string }
	hs := make([]nh, 0, len(files))
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		hs = append(hs, nh{filepath.Base(f.Name), hex.EncodeToString(sum[:])})
	}
	slices.SortFunc(hs, func(a, b nh) int { return strings.Compare(a.name, b.name) })
	h := sha256.New()
	for _, x := range hs {
		fmt.Fprintf(h, "%s\x00%s\n", x.name, x.h)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Load parses files, builds an index and swaps it in. On any error the set
// in force is kept and the error is recorded in Status. Loading files whose
// content hash equals the set in force is a no-op that returns it.
func (s *Service) Load(ctx context.Context, files ...SourceFile) (ListSet, error) {
	s.loadMu.Lock()
	defer s.loadMu.Unlock()
	at := s.now()
	set, err := s.load(ctx, files)
	s.stMu.Lock()
	defer s.stMu.Unlock()
	s.status.LastAttempt = at
	if err != nil {
		s.status.LastError = err.Error()
		s.status.Failures++
		s.loads.WithLabelValues("error").Inc()
		s.log.ErrorContext(ctx, "screening: list load failed; keeping the set in force", "err", err, "version", s.ListVersion())
		return ListSet{}, err
	}
	s.status.LastError = ""
	s.status.Loaded = true
	s.status.Current = set
	return set, nil
}

func (s *Service) load(ctx context.Context, files []SourceFile) (ListSet, error) {
	if len(files) == 0 {
		return ListSet{}, errors.New("screening: no list files")
	}
	for _, f := range files {
		if len(f.Data) > MaxFileSize {
			return ListSet{}, fmt.Errorf("screening: %s larger than %d bytes", f.Name, MaxFileSize)
		}
	}
	sum := ContentHash(files)
	if cur := s.index.Load(); cur != nil && cur.set.SHA256 == sum {
		s.loads.WithLabelValues("unchanged").Inc()
		return cur.set, nil
	}
	if err := ctx.Err(); err != nil {
		return ListSet{}, err
	}
	ents, err := s.parse(files)
	if err != nil {
		return ListSet{}, fmt.Errorf("screening: parse: %w", err)
	}
	counts := map[string]int{}
	for _, e := range ents {
		counts[e.List]++
	}
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, filepath.Base(f.Name))
	}
	slices.Sort(names)
	s.seq++
	set := ListSet{Version: "ls-" + sum[:16], SHA256: sum, Seq: s.seq, LoadedAt: s.now().UTC(), Counts: counts, Files: names}
	ix := NewIndex(set, ents)
	s.index.Store(ix)
	s.counts.Reset()
	for l, n := range counts {
		s.counts.WithLabelValues(l).Set(float64(n))
	}
	s.loads.WithLabelValues("ok").Inc()
	s.log.InfoContext(ctx, "screening: list set loaded", "version", set.Version, "seq", set.Seq, "counts", counts, "names", ix.NameCount())
	return set, nil
}

// LoadPaths reads the files and loads them (backs `clearance screening
// load FILE...`).
func (s *Service) LoadPaths(ctx context.Context, paths ...string) (ListSet, error) {
	files, err := ReadFiles(paths...)
	if err != nil {
		s.stMu.Lock()
		s.status.LastAttempt, s.status.LastError = s.now(), err.Error()
		s.status.Failures++
		s.stMu.Unlock()
		s.loads.WithLabelValues("error").Inc()
		return ListSet{}, err
	}
	return s.Load(ctx, files...)
}

// ReadFiles reads list files from disk, bounded by MaxFileSize.
func ReadFiles(paths ...string) ([]SourceFile, error) {
	out := make([]SourceFile, 0, len(paths))
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("screening: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("screening: read %s: %w", p, err)
		}
		if len(data) > MaxFileSize {
			return nil, fmt.Errorf("screening: %s larger than %d bytes", p, MaxFileSize)
		}
		out = append(out, SourceFile{Name: p, Data: data})
	}
	return out, nil
}

// listFileNames are the files a directory refresh picks up.
func isListFile(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv":
		return true
	}
	return strings.HasSuffix(n, ".xml")
}

// RefreshDir loads the list files in dir (sdn.csv, alt.csv, add.csv,
// sdn_comments.csv and *.xml). Unchanged content is a no-op.
func (s *Service) RefreshDir(ctx context.Context, dir string) (ListSet, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return ListSet{}, s.fail(fmt.Errorf("screening: refresh %s: %w", dir, err))
	}
	var paths []string
	for _, e := range ents {
		if e.Type().IsRegular() && isListFile(e.Name()) {
			paths = append(paths, filepath.Join(dir, e.Name()))
		}
	}
	return s.LoadPaths(ctx, paths...)
}

// RefreshURLs fetches each URL with HTTP GET (the file name is the URL
// path's base name) and loads the set. Any fetch failure keeps the set in
// force.
func (s *Service) RefreshURLs(ctx context.Context, client *http.Client, urls ...string) (ListSet, error) {
	if client == nil {
		client = &http.Client{Timeout: 60 * time.Second}
	}
	files := make([]SourceFile, 0, len(urls))
	for _, u := range urls {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return ListSet{}, s.fail(fmt.Errorf("screening: %w", err))
		}
		resp, err := client.Do(req)
		if err != nil {
			return ListSet{}, s.fail(fmt.Errorf("screening: fetch: %w", err))
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
		resp.Body.Close()
		if err != nil {
			return ListSet{}, s.fail(fmt.Errorf("screening: fetch %s: %w", req.URL.Redacted(), err))
		}
		if resp.StatusCode != http.StatusOK {
			return ListSet{}, s.fail(fmt.Errorf("screening: fetch %s: HTTP %d", req.URL.Redacted(), resp.StatusCode))
		}
		if len(data) > MaxFileSize {
			return ListSet{}, s.fail(fmt.Errorf("screening: fetch %s: larger than %d bytes", req.URL.Redacted(), MaxFileSize))
		}
		files = append(files, SourceFile{Name: path.Base(req.URL.Path), Data: data})
	}
	return s.Load(ctx, files...)
}

func (s *Service) fail(err error) error {
	s.stMu.Lock()
	s.status.LastAttempt, s.status.LastError = s.now(), err.Error()
	s.status.Failures++
	s.stMu.Unlock()
	s.loads.WithLabelValues("error").Inc()
	s.log.Error("screening: list refresh failed; keeping the set in force", "err", err)
	return err
}

// Watch calls refresh every interval until ctx ends (refresh is
// RefreshDir or RefreshURLs bound to its source). Errors are recorded in
// Status; onChange, if set, is called after a load that changed the
// version (cmd wires the holder rescreen to it).
func (s *Service) Watch(ctx context.Context, every time.Duration, refresh func(context.Context) (ListSet, error), onChange func(context.Context, ListSet)) {
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		before := s.ListVersion()
		if set, err := refresh(ctx); err == nil && set.Version != before && onChange != nil {
			onChange(ctx, set)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// ErrNoList is returned when no list set is loaded.
var ErrNoList = errors.New("screening: no list set loaded")

// Screen fuzzy-screens a party (name with corroboration, and its wallets
// exactly) and each of its owners (name with corroboration) against the
// set in force. An owner's matches carry Match.Owner. The result is sorted
// by tier then score, so bounding it by Thresholds.MaxMatches keeps the
// worst match of the party and its owners.
func (s *Service) Screen(ctx context.Context, p Party) ([]Match, ListSet, error) {
	ix := s.index.Load()
	if ix == nil {
		return nil, ListSet{}, ErrNoList
	}
	if err := p.Validate(); err != nil {
		return nil, ix.set, err
	}
	if err := ctx.Err(); err != nil {
		return nil, ix.set, err
	}
	ms := ix.Screen(p, s.th)
	if len(p.Owners) > 0 {
		for _, o := range p.Owners {
			if err := ctx.Err(); err != nil {
				return nil, ix.set, err
			}
			om := ix.Screen(Party{Name: o.Name, Type: o.Type, DateOfBirth: o.DateOfBirth, Nationality: o.Nationality, RegistrationNumber: o.RegistrationNumber}, s.th)
			for i := range om {
				om[i].Owner = o.Name
			}
			ms = append(ms, om...)
		}
		slices.SortStableFunc(ms, compareMatches)
		if len(ms) > s.th.MaxMatches {
			ms = ms[:s.th.MaxMatches]
		}
	}
	s.count(ms)
	return ms, ix.set, nil
}

// compareMatches orders matches by tier, then score (both descending),
// then list entry and owner, so the order is deterministic.
func compareMatches(a, b Match) int {
	if c := cmp.Compare(b.Tier.rank(), a.Tier.rank()); c != 0 {
		return c
	}
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Entity.Ref(), b.Entity.Ref()); c != 0 {
		return c
	}
	return cmp.Compare(a.Owner, b.Owner)
}

// ScreenWallet checks one address exactly against the set in force.
func (s *Service) ScreenWallet(ctx context.Context, addr string) ([]Match, ListSet, error) {
	ix := s.index.Load()
	if ix == nil {
		return nil, ListSet{}, ErrNoList
	}
	if len(addr) > MaxFieldLen {
		return nil, ix.set, fmt.Errorf("screening: wallet address longer than %d bytes", MaxFieldLen)
	}
	ms := ix.ScreenWallet(addr)
	s.count(ms)
	return ms, ix.set, nil
}

func (s *Service) count(ms []Match) {
	for i := range ms {
		if ms[i].Tier != TierClear {
			s.matches.WithLabelValues(ms[i].List).Inc()
		}
	}
}
