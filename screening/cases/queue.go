package cases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/clearancehq/clearance/policies"
)

// Config tunes the queue. Zero fields take the defaults in brackets.
type Config struct {
	// FourEyesScore is the risk score at or above which two different
	// reviewers must approve [80].
	FourEyesScore int64 `yaml:"four_eyes_score"`
	// SLA is the review deadline after opening [24h]; Expiry is when an
	// undecided case expires and settles as a rejection [72h].
	SLA    time.Duration `yaml:"sla"`
	Expiry time.Duration `yaml:"expiry"`
	// RetryBase and RetryMax bound the exponential backoff of failed
	// settlement deliveries [5s, 1h]; Lease is how long a delivery attempt
	// holds its claim [1m].
	RetryBase time.Duration `yaml:"retry_base"`
	RetryMax  time.Duration `yaml:"retry_max"`
	Lease     time.Duration `yaml:"lease"`
	// SweepInterval is Run's period for expiry and redelivery [30s].
	SweepInterval time.Duration `yaml:"sweep_interval"`
	// Clock returns now [time.Now].
	Clock func() time.Time `yaml:"-"`
}

func (c Config) withDefaults() (Config, error) {
	if c.FourEyesScore == 0 {
		c.FourEyesScore = 80
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SLA, 24*time.Hour)
	def(&c.Expiry, 72*time.Hour)
	def(&c.RetryBase, 5*time.Second)
	def(&c.RetryMax, time.Hour)
	def(&c.Lease, time.Minute)
	def(&c.SweepInterval, 30*time.Second)
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.FourEyesScore < 0 || c.SLA < 0 || c.Expiry <= 0 || c.RetryBase <= 0 || c.RetryMax < c.RetryBase || c.Lease <= 0 || c.SweepInterval <= 0 {
		return c, errors.New("cases: config: durations must be positive, retry_max >= retry_base, four_eyes_score >= 0")
	}
	return c, nil
}

// Queue is the review queue. Construct it with New; it is safe for
// concurrent use.
type Queue struct {
	store Store
	cfg   Config
	log   *slog.Logger

	mu    sync.RWMutex
	hooks map[string]Settler
	subs  map[chan Case]struct{}
}

// New returns a queue over store.
func New(store Store, cfg Config, log *slog.Logger) (*Queue, error) {
	if store == nil {
		return nil, errors.New("cases: nil store")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Queue{store: store, cfg: cfg, log: log.With("component", "cases"), hooks: map[string]Settler{}, subs: map[chan Case]struct{}{}}, nil
}

// AddSettler registers a settlement hook under a stable name (the name keys
// its deliveries, so keep it across restarts). Register hooks before
// opening cases and before ResumePending: a case settled while a hook is
// not registered never gets a delivery for it.
func (q *Queue) AddSettler(name string, fn Settler) error {
	if name == "" || len(name) > 64 || fn == nil {
		return fmt.Errorf("%w: settler name must be 1-64 bytes and fn non-nil", ErrInvalid)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, dup := q.hooks[name]; dup {
		return fmt.Errorf("%w: settler %q already registered", ErrInvalid, name)
	}
	q.hooks[name] = fn
	return nil
}

func (q *Queue) hookNames() []string {
	q.mu.RLock()
	defer q.mu.RUnlock()
	names := make([]string, 0, len(q.hooks))
	for n := range q.hooks {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func (q *Queue) hook(name string) Settler {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.hooks[name]
}

func (q *Queue) now() time.Time { return q.cfg.Clock().UTC().Truncate(time.Microsecond) }

// OpenRequest is what opens a case: the gateway's REVIEW verdict.
type OpenRequest struct {
	DecisionID string
	// Origin names what was parked: "check", "ledger:<op id>", ... ["check"].
	Origin       string
	Action       string
	AssetID      string
	Amount       int64
	FromWallet   string
	ToWallet     string
	FromInvestor string
	ToInvestor   string
	Reasons      []policies.Reason
	// RiskScore is the AML score, 0-100.
	RiskScore int64
	// RequestedBy is the principal that made the request; it may not
	// approve the case.
	RequestedBy string
}

const (
	maxIDLen      = 128
	maxWalletLen  = 256
	maxNoteLen    = 4096
	maxReasons    = 64
	maxReasonText = 1024
)

func checkLen(field, v string, maxLen int, required bool) error {
	if required && v == "" {
		return fmt.Errorf("%w: %s is required", ErrInvalid, field)
	}
	if len(v) > maxLen || !utf8.ValidString(v) {
		return fmt.Errorf("%w: %s must be valid UTF-8 of at most %d bytes", ErrInvalid, field, maxLen)
	}
	return nil
}

func (r OpenRequest) validate() error {
	for _, f := range []struct {
		name, v  string
		max      int
		required bool
	}{
		{"decision_id", r.DecisionID, maxIDLen, true},
		{"origin", r.Origin, maxIDLen, false},
		{"action", r.Action, maxIDLen, false},
		{"asset_id", r.AssetID, maxIDLen, true},
		{"from_wallet", r.FromWallet, maxWalletLen, false},
		{"to_wallet", r.ToWallet, maxWalletLen, false},
		{"from_investor", r.FromInvestor, maxIDLen, false},
		{"to_investor", r.ToInvestor, maxIDLen, false},
		{"requested_by", r.RequestedBy, maxIDLen, false},
	} {
		if err := checkLen(f.name, f.v, f.max, f.required); err != nil {
			return err
		}
	}
	if r.RiskScore < 0 || r.RiskScore > 100 {
		return fmt.Errorf("%w: risk_score %d outside 0-100", ErrInvalid, r.RiskScore)
	}
	if r.Amount < 0 {
		return fmt.Errorf("%w: amount must not be negative", ErrInvalid)
	}
	if len(r.Reasons) > maxReasons {
		return fmt.Errorf("%w: reasons: at most %d", ErrInvalid, maxReasons)
	}
	for i, x := range r.Reasons {
		for _, v := range []string{x.Code, x.Message, x.Policy, x.Observed, x.Limit, x.Reference, x.Effect} {
			if err := checkLen(fmt.Sprintf("reasons[%d]", i), v, maxReasonText, false); err != nil {
				return err
			}
		}
	}
	return nil
}

func newID(now time.Time) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("case_%016x%s", now.UnixNano(), hex.EncodeToString(b[:]))
}

// Open opens a case for a REVIEW verdict. It is idempotent by DecisionID:
// opening the same decision again returns the existing case.
func (q *Queue) Open(ctx context.Context, r OpenRequest) (Case, error) {
	if err := r.validate(); err != nil {
		return Case{}, err
	}
	now := q.now()
	if r.Origin == "" {
		r.Origin = "check"
	}
	c := Case{
		ID: newID(now), DecisionID: r.DecisionID, Origin: r.Origin, Action: r.Action,
		AssetID: r.AssetID, Amount: r.Amount, Reasons: slices.Clone(r.Reasons), RiskScore: r.RiskScore,
		Status: StatusOpen, RequiredApprovals: 1, RequestedBy: r.RequestedBy,
		CreatedAt: now, UpdatedAt: now, SLADeadline: now.Add(q.cfg.SLA), ExpiresAt: now.Add(q.cfg.Expiry),
	}
	if r.RiskScore >= q.cfg.FourEyesScore {
		c.RequiredApprovals = 2
	}
	if r.FromWallet != "" || r.FromInvestor != "" {
		c.Parties = append(c.Parties, Party{Role: "from", Wallet: r.FromWallet, InvestorID: r.FromInvestor})
	}
	if r.ToWallet != "" || r.ToInvestor != "" {
		c.Parties = append(c.Parties, Party{Role: "to", Wallet: r.ToWallet, InvestorID: r.ToInvestor})
	}
	actor := r.RequestedBy
	if actor == "" {
		actor = "gateway"
	}
	c.History = []HistoryEntry{{Actor: actor, Action: ActionOpen, At: now, Note: fmt.Sprintf("risk score %d; %d approval(s) required", r.RiskScore, c.RequiredApprovals)}}
	stored, created, err := q.store.Create(ctx, c)
	if err != nil {
		return Case{}, fmt.Errorf("cases: open: %w", err)
	}
	if created {
		q.log.InfoContext(ctx, "case opened", "case", stored.ID, "decision", stored.DecisionID, "risk", stored.RiskScore)
		q.publish(stored)
	}
	return stored, nil
}

// Get returns a case.
func (q *Queue) Get(ctx context.Context, id string) (Case, error) {
	if err := checkLen("case_id", id, maxIDLen, true); err != nil {
		return Case{}, err
	}
	return q.store.Get(ctx, id)
}

// List returns cases matching f, one page at a time.
func (q *Queue) List(ctx context.Context, f Filter) ([]Case, string, error) {
	if f.Status != "" && !f.Status.Valid() {
		return nil, "", fmt.Errorf("%w: status %q", ErrInvalid, f.Status)
	}
	if f.PageSize < 0 {
		return nil, "", fmt.Errorf("%w: page_size must not be negative", ErrInvalid)
	}
	if f.PageSize == 0 {
		f.PageSize = 50
	}
	f.PageSize = min(f.PageSize, 500)
	for _, v := range []struct{ n, v string }{{"asset_id", f.AssetID}, {"assignee", f.Assignee}, {"page_token", f.PageToken}} {
		if err := checkLen(v.n, v.v, maxIDLen, false); err != nil {
			return nil, "", err
		}
	}
	return q.store.List(ctx, f)
}

func validateActor(actor, note string, noteRequired bool) error {
	if err := checkLen("actor", actor, maxIDLen, true); err != nil {
		return err
	}
	return checkLen("note", note, maxNoteLen, noteRequired)
}

// Assign assigns a case to assignee (the actor when empty). OPEN and
// ASSIGNED cases can be (re)assigned; settled ones cannot.
func (q *Queue) Assign(ctx context.Context, id, actor, assignee, note string) (Case, error) {
	if err := validateActor(actor, note, false); err != nil {
		return Case{}, err
	}
	if assignee == "" {
		assignee = actor
	}
	if err := checkLen("assignee", assignee, maxIDLen, true); err != nil {
		return Case{}, err
	}
	return q.mutate(ctx, id, func(c *Case, now time.Time) ([]Delivery, error) {
		if c.Status.Final() {
			return nil, fmt.Errorf("%w: case %s is %s", ErrWrongState, c.ID, c.Status)
		}
		c.Status, c.Assignee = StatusAssigned, assignee
		c.History = append(c.History, HistoryEntry{Actor: actor, Action: ActionAssign, At: now, Note: joinNote("assignee "+assignee, note)})
		return nil, nil
	})
}

func joinNote(a, b string) string {
	if b == "" {
		return a
	}
	return a + ": " + b
}

// Comment adds a note to a case, settled or not.
func (q *Queue) Comment(ctx context.Context, id, actor, note string) (Case, error) {
	if err := validateActor(actor, note, true); err != nil {
		return Case{}, err
	}
	return q.mutate(ctx, id, func(c *Case, now time.Time) ([]Delivery, error) {
		c.History = append(c.History, HistoryEntry{Actor: actor, Action: ActionComment, At: now, Note: note})
		return nil, nil
	})
}

// errUnchanged aborts an update that would not change the case.
var errUnchanged = errors.New("cases: unchanged")

// Approve records actor's approval; with enough approvals the case is
// APPROVED and settles. See the package doc for the four-eyes rules.
func (q *Queue) Approve(ctx context.Context, id, actor, note string) (Case, error) {
	if err := validateActor(actor, note, true); err != nil {
		return Case{}, err
	}
	var refused error
	c, err := q.mutate(ctx, id, func(c *Case, now time.Time) ([]Delivery, error) {
		switch {
		case c.Status == StatusApproved:
			return nil, errUnchanged
		case c.Status.Final():
			return nil, fmt.Errorf("%w: case %s is %s", ErrWrongState, c.ID, c.Status)
		case !now.Before(c.ExpiresAt):
			refused = fmt.Errorf("%w: case %s expired at %s", ErrExpired, c.ID, c.ExpiresAt.Format(time.RFC3339))
			return q.settle(c, StatusExpired, "system", now, "expired before decision"), nil
		case c.RequestedBy != "" && actor == c.RequestedBy:
			// Recorded, then refused.
			refused = fmt.Errorf("%w: %s requested case %s", ErrSelfApproval, actor, c.ID)
			c.History = append(c.History, HistoryEntry{Actor: actor, Action: "APPROVE_REFUSED", At: now, Note: "self-approval refused"})
			return nil, nil
		case slices.ContainsFunc(c.Approvals, func(a Approval) bool { return a.Reviewer == actor }):
			return nil, fmt.Errorf("%w: %s on case %s", ErrAlreadyApproved, actor, c.ID)
		}
		c.Approvals = append(c.Approvals, Approval{Reviewer: actor, At: now, Note: note})
		c.History = append(c.History, HistoryEntry{Actor: actor, Action: ActionApprove, At: now,
			Note: joinNote(fmt.Sprintf("approval %d of %d", len(c.Approvals), c.RequiredApprovals), note)})
		if len(c.Approvals) >= c.RequiredApprovals {
			return q.settle(c, StatusApproved, actor, now, ""), nil
		}
		return nil, nil
	})
	if err != nil {
		return Case{}, err
	}
	return c, refused
}

// Reject rejects a case; one rejection settles it.
func (q *Queue) Reject(ctx context.Context, id, actor, note string) (Case, error) {
	if err := validateActor(actor, note, true); err != nil {
		return Case{}, err
	}
	var refused error
	c, err := q.mutate(ctx, id, func(c *Case, now time.Time) ([]Delivery, error) {
		switch {
		case c.Status == StatusRejected:
			return nil, errUnchanged
		case c.Status.Final():
			return nil, fmt.Errorf("%w: case %s is %s", ErrWrongState, c.ID, c.Status)
		case !now.Before(c.ExpiresAt):
			refused = fmt.Errorf("%w: case %s expired at %s", ErrExpired, c.ID, c.ExpiresAt.Format(time.RFC3339))
			return q.settle(c, StatusExpired, "system", now, "expired before decision"), nil
		}
		c.History = append(c.History, HistoryEntry{Actor: actor, Action: ActionReject, At: now, Note: note})
		return q.settle(c, StatusRejected, actor, now, ""), nil
	})
	if err != nil {
		return Case{}, err
	}
	return c, refused
}

// settle makes c final and returns one delivery per registered hook.
func (q *Queue) settle(c *Case, st Status, actor string, now time.Time, note string) []Delivery {
	c.Status, c.SettledAt = st, now
	c.Outcome = OutcomeDeny
	if st == StatusApproved {
		c.Outcome = OutcomeAllow
	}
	if st == StatusExpired {
		c.History = append(c.History, HistoryEntry{Actor: actor, Action: ActionExpire, At: now, Note: note})
	}
	names := q.hookNames()
	ds := make([]Delivery, 0, len(names))
	for _, n := range names {
		ds = append(ds, Delivery{CaseID: c.ID, Hook: n, NextAt: now})
	}
	return ds
}

// mutate runs fn in one store transaction, publishes the result, and
// delivers settlement hooks when the case became final.
func (q *Queue) mutate(ctx context.Context, id string, fn func(c *Case, now time.Time) ([]Delivery, error)) (Case, error) {
	if err := checkLen("case_id", id, maxIDLen, true); err != nil {
		return Case{}, err
	}
	var becameFinal bool
	c, err := q.store.Update(ctx, id, func(c *Case) ([]Delivery, error) {
		now := q.now()
		wasFinal := c.Status.Final()
		ds, err := fn(c, now)
		if err != nil {
			return nil, err
		}
		c.UpdatedAt = now
		becameFinal = !wasFinal && c.Status.Final()
		return ds, nil
	})
	if errors.Is(err, errUnchanged) {
		return q.store.Get(ctx, id)
	}
	if err != nil {
		return Case{}, err
	}
	q.publish(c)
	if becameFinal {
		q.log.InfoContext(ctx, "case settled", "case", c.ID, "status", c.Status, "outcome", c.Outcome)
		q.deliverCase(ctx, c)
	}
	return c, nil
}

// deliverCase tries each hook once for a just-settled case; failures are
// retried by ResumePending.
func (q *Queue) deliverCase(ctx context.Context, c Case) {
	for _, n := range q.hookNames() {
		if err := q.deliverOne(ctx, c, n); err != nil {
			q.log.WarnContext(ctx, "settlement delivery failed; will retry", "case", c.ID, "hook", n, "err", err)
		}
	}
}

// deliverOne claims, runs and finishes one delivery. It returns the hook's
// or the store's error.
func (q *Queue) deliverOne(ctx context.Context, c Case, hook string) error {
	fn := q.hook(hook)
	if fn == nil {
		return nil
	}
	now := q.now()
	d, ok, err := q.store.Claim(ctx, c.ID, hook, now, now.Add(q.cfg.Lease))
	if err != nil {
		return fmt.Errorf("claim: %w", err)
	}
	if !ok {
		return nil
	}
	herr := fn(ctx, c)
	at := q.now()
	msg, next := "", at
	if herr != nil {
		msg = herr.Error()
		if len(msg) > 1024 {
			msg = msg[:1024]
		}
		next = at.Add(q.backoff(d.Attempts + 1))
	}
	if err := q.store.Finish(ctx, c.ID, hook, at, msg, next); err != nil {
		return fmt.Errorf("finish: %w", err)
	}
	return herr
}

// backoff is RetryBase * 2^(attempts-1), capped at RetryMax.
func (q *Queue) backoff(attempts int) time.Duration {
	d := q.cfg.RetryBase
	for i := 1; i < attempts && d < q.cfg.RetryMax; i++ {
		d *= 2
	}
	return min(d, q.cfg.RetryMax)
}

// ResumePending delivers every due, undelivered settlement: after a crash,
// and for retries. It returns the number of deliveries that succeeded; hook
// failures are recorded on the delivery and retried later, and only store
// errors are returned.
func (q *Queue) ResumePending(ctx context.Context) (int, error) {
	hooks := q.hookNames()
	if len(hooks) == 0 {
		return 0, nil
	}
	ds, err := q.store.Pending(ctx, q.now(), hooks, 500)
	if err != nil {
		return 0, fmt.Errorf("cases: pending deliveries: %w", err)
	}
	ok := 0
	cache := map[string]Case{}
	for _, d := range ds {
		c, found := cache[d.CaseID]
		if !found {
			if c, err = q.store.Get(ctx, d.CaseID); err != nil {
				return ok, fmt.Errorf("cases: resume %s: %w", d.CaseID, err)
			}
			cache[d.CaseID] = c
		}
		if err := q.deliverOne(ctx, c, d.Hook); err != nil {
			q.log.WarnContext(ctx, "settlement delivery failed; will retry", "case", c.ID, "hook", d.Hook, "attempt", d.Attempts+1, "err", err)
			continue
		}
		ok++
	}
	return ok, nil
}

// Deliveries returns a case's settlement deliveries (attempts, errors).
func (q *Queue) Deliveries(ctx context.Context, id string) ([]Delivery, error) {
	return q.store.Deliveries(ctx, id)
}

// Expire settles every undecided case past its expiry as EXPIRED and
// returns how many it expired.
func (q *Queue) Expire(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := q.store.Due(ctx, q.now(), 100)
		if err != nil {
			return n, fmt.Errorf("cases: due cases: %w", err)
		}
		for _, id := range ids {
			_, err := q.mutate(ctx, id, func(c *Case, now time.Time) ([]Delivery, error) {
				if c.Status.Final() || now.Before(c.ExpiresAt) {
					return nil, errUnchanged
				}
				return q.settle(c, StatusExpired, "system", now, "expired by sweeper"), nil
			})
			if err != nil {
				return n, fmt.Errorf("cases: expire %s: %w", id, err)
			}
			n++
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}

// Run expires cases and redelivers settlements every SweepInterval until
// ctx ends. It returns ctx's error.
func (q *Queue) Run(ctx context.Context) error {
	t := time.NewTicker(q.cfg.SweepInterval)
	defer t.Stop()
	for {
		if _, err := q.Expire(ctx); err != nil {
			q.log.ErrorContext(ctx, "expiry sweep failed", "err", err)
		}
		if _, err := q.ResumePending(ctx); err != nil {
			q.log.ErrorContext(ctx, "settlement redelivery failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Watch streams case updates made by this process until ctx ends. A
// subscriber that falls more than 64 updates behind has its channel closed
// and should resubscribe and re-list.
func (q *Queue) Watch(ctx context.Context) <-chan Case {
	ch := make(chan Case, 64)
	q.mu.Lock()
	q.subs[ch] = struct{}{}
	q.mu.Unlock()
	go func() {
		<-ctx.Done()
		q.mu.Lock()
		defer q.mu.Unlock()
		if _, ok := q.subs[ch]; ok {
			delete(q.subs, ch)
			close(ch)
		}
	}()
	return ch
}

func (q *Queue) publish(c Case) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for ch := range q.subs {
		select {
		case ch <- c:
		default:
			delete(q.subs, ch)
			close(ch)
		}
	}
}
