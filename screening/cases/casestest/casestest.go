package casestest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/screening/cases"
)

// Clock is a manual clock for tests.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts a clock at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now returns the current time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Start is the suite's initial instant.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// Recorder is a settlement hook that records its calls and can be told to
// fail.
type Recorder struct {
	mu    sync.Mutex
	calls map[string]int
	last  map[string]cases.Case
	fail  int
}

// NewRecorder returns a recorder that fails its first failures calls.
func NewRecorder(failures int) *Recorder {
	return &Recorder{calls: map[string]int{}, last: map[string]cases.Case{}, fail: failures}
}

// Settle is the hook.
func (r *Recorder) Settle(_ context.Context, c cases.Case) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return errors.New("hook unavailable")
	}
	r.calls[c.ID]++
	r.last[c.ID] = c
	return nil
}

// Calls returns how many times the hook succeeded for case id.
func (r *Recorder) Calls(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[id]
}

// Last returns the case the hook last saw for id.
func (r *Recorder) Last(id string) cases.Case {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last[id]
}

// Request returns an open request for decision id with a risk score.
func Request(decision string, risk int64) cases.OpenRequest {
	return cases.OpenRequest{
		DecisionID: decision, Origin: "ledger:op-" + decision, Action: "TRANSFER", AssetID: "TKN", Amount: 650_000,
		FromWallet: "0xA11CE", ToWallet: "0xB0B", FromInvestor: "alice", ToInvestor: "bob",
		Reasons:     []policies.Reason{{Code: "AML_SCORE_HIGH", Message: "AML score 85", Effect: "REVIEW", Observed: "85", Limit: "80"}},
		RiskScore:   risk,
		RequestedBy: "venue-1",
	}
}

// Env is one queue over a fresh store.
type Env struct {
	t     *testing.T
	Store cases.Store
	Queue *cases.Queue
	Clock *Clock
	Hook  *Recorder
}

// NewEnv builds a queue on store with a recorder hook named "ledger".
func NewEnv(t *testing.T, store cases.Store, hookFailures int) *Env {
	t.Helper()
	clk := NewClock(Start)
	q, err := cases.New(store, cases.Config{Clock: clk.Now, SLA: 24 * time.Hour, Expiry: 72 * time.Hour, RetryBase: time.Second, RetryMax: time.Minute}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(hookFailures)
	if err := q.AddSettler("ledger", rec.Settle); err != nil {
		t.Fatal(err)
	}
	return &Env{t: t, Store: store, Queue: q, Clock: clk, Hook: rec}
}

// Run runs the suite; newStore returns an empty store per subtest.
func Run(t *testing.T, newStore func(t *testing.T) cases.Store) {
	tests := []struct {
		name string
		run  func(t *testing.T, e *Env)
	}{
		{"open is idempotent by decision", openIdempotent},
		{"get missing is ErrNotFound", getMissing},
		{"list filters and pages", listFilters},
		{"four-eyes needs two different reviewers", fourEyes},
		{"self-approval refused and recorded", selfApproval},
		{"below the level one approval settles", singleApproval},
		{"reject settles and is idempotent", reject},
		{"expiry sweeper settles as rejected", expire},
		{"decision after expiry expires the case", decideAfterExpiry},
		{"failed hook retried with backoff, delivered once", retryHook},
		{"pending delivery resumes after restart", resumeAfterRestart},
		{"history records every action", history},
		{"watch streams updates", watch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, NewEnv(t, newStore(t), 0)) })
	}
	t.Run("hook failing first", func(t *testing.T) { retryFromFailure(t, NewEnv(t, newStore(t), 2)) })
}

func (e *Env) ok(c cases.Case, err error) cases.Case {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *Env) n(n int, err error) int {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *Env) ds(ds []cases.Delivery, err error) []cases.Delivery {
	e.t.Helper()
	if err != nil {
		e.t.Fatal(err)
	}
	return ds
}

func openIdempotent(t *testing.T, e *Env) {
	ctx := t.Context()
	a := e.ok(e.Queue.Open(ctx, Request("d1", 85)))
	e.Clock.Advance(time.Second)
	b := e.ok(e.Queue.Open(ctx, Request("d1", 85)))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("second Open (-first +second):\n%s", diff)
	}
	got := e.ok(e.Queue.Get(ctx, a.ID))
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("Get (-open +get):\n%s", diff)
	}
	if a.Status != cases.StatusOpen || a.RequiredApprovals != 2 || !a.SLADeadline.Equal(Start.Add(24*time.Hour)) || !a.ExpiresAt.Equal(Start.Add(72*time.Hour)) {
		t.Errorf("opened case = %+v", a)
	}
}

func getMissing(t *testing.T, e *Env) {
	if _, err := e.Queue.Get(t.Context(), "case_nope"); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := e.Queue.Approve(t.Context(), "case_nope", "r1", "ok"); !errors.Is(err, cases.ErrNotFound) {
		t.Errorf("Approve(missing) = %v, want ErrNotFound", err)
	}
}

func listFilters(t *testing.T, e *Env) {
	ctx := t.Context()
	var ids []string
	for i := range 5 {
		r := Request(fmt.Sprintf("l%d", i), int64(20*i))
		if i%2 == 1 {
			r.AssetID = "OTHER"
		}
		ids = append(ids, e.ok(e.Queue.Open(ctx, r)).ID)
		e.Clock.Advance(time.Millisecond)
	}
	e.ok(e.Queue.Assign(ctx, ids[2], "r1", "", "mine"))
	idsOf := func(cs []cases.Case) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    cases.Filter
		want []string
	}{
		{"all", cases.Filter{}, ids},
		{"asset", cases.Filter{AssetID: "OTHER"}, []string{ids[1], ids[3]}},
		{"min risk", cases.Filter{MinRisk: 60}, []string{ids[3], ids[4]}},
		{"assignee", cases.Filter{Assignee: "r1"}, []string{ids[2]}},
		{"status", cases.Filter{Status: cases.StatusAssigned}, []string{ids[2]}},
		{"open", cases.Filter{Status: cases.StatusOpen, AssetID: "TKN"}, []string{ids[0], ids[4]}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := e.Queue.List(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, idsOf(got)); diff != "" || next != "" {
				t.Errorf("List (-want +got):\n%s next=%q", diff, next)
			}
		})
	}
	var paged []string
	tok := ""
	for range 10 {
		page, next, err := e.Queue.List(ctx, cases.Filter{PageSize: 2, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, idsOf(page)...)
		if next == "" {
			break
		}
		tok = next
	}
	if diff := cmp.Diff(ids, paged); diff != "" {
		t.Errorf("paged (-want +got):\n%s", diff)
	}
}

func fourEyes(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("fe", 85)))
	c = e.ok(e.Queue.Assign(ctx, c.ID, "r1", "", "taking it"))
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r1", "docs fine"))
	if c.Status.Final() || e.Hook.Calls(c.ID) != 0 {
		t.Fatalf("after one approval: status %s, hook calls %d; want not final, 0", c.Status, e.Hook.Calls(c.ID))
	}
	if _, err := e.Queue.Approve(ctx, c.ID, "r1", "again"); !errors.Is(err, cases.ErrAlreadyApproved) {
		t.Errorf("same reviewer twice = %v, want ErrAlreadyApproved", err)
	}
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r2", "agree"))
	if c.Status != cases.StatusApproved || c.Outcome != cases.OutcomeAllow || c.SettledAt.IsZero() {
		t.Errorf("after two approvals: %s %s settled %v", c.Status, c.Outcome, c.SettledAt)
	}
	if n := e.Hook.Calls(c.ID); n != 1 {
		t.Errorf("hook calls = %d, want 1", n)
	}
	again := e.ok(e.Queue.Approve(ctx, c.ID, "r3", "late"))
	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("approving an approved case changed it:\n%s", diff)
	}
	if _, err := e.Queue.Reject(ctx, c.ID, "r3", "no"); !errors.Is(err, cases.ErrWrongState) {
		t.Errorf("reject after approve = %v, want ErrWrongState", err)
	}
	if _, err := e.Queue.Assign(ctx, c.ID, "r3", "", ""); !errors.Is(err, cases.ErrWrongState) {
		t.Errorf("assign after approve = %v, want ErrWrongState", err)
	}
	if n := e.n(e.Queue.ResumePending(ctx)); n != 0 || e.Hook.Calls(c.ID) != 1 {
		t.Errorf("ResumePending redelivered: n=%d calls=%d", n, e.Hook.Calls(c.ID))
	}
	ds := e.ds(e.Queue.Deliveries(ctx, c.ID))
	if len(ds) != 1 || !ds[0].Delivered || ds[0].Attempts != 1 {
		t.Errorf("deliveries = %+v", ds)
	}
}

func selfApproval(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("sa", 30)))
	got, err := e.Queue.Approve(ctx, c.ID, "venue-1", "my own")
	if !errors.Is(err, cases.ErrSelfApproval) {
		t.Fatalf("self-approval = %v, want ErrSelfApproval", err)
	}
	if got.Status.Final() || len(got.Approvals) != 0 {
		t.Errorf("self-approval changed the decision: %+v", got)
	}
	last := got.History[len(got.History)-1]
	if last.Actor != "venue-1" || last.Action != "APPROVE_REFUSED" {
		t.Errorf("refusal not recorded: %+v", last)
	}
}

func singleApproval(t *testing.T, e *Env) {
	c := e.ok(e.Queue.Open(t.Context(), Request("one", 79)))
	if c.RequiredApprovals != 1 {
		t.Fatalf("required = %d, want 1", c.RequiredApprovals)
	}
	c = e.ok(e.Queue.Approve(t.Context(), c.ID, "r1", "ok"))
	if c.Status != cases.StatusApproved || e.Hook.Calls(c.ID) != 1 {
		t.Errorf("status %s calls %d", c.Status, e.Hook.Calls(c.ID))
	}
}

func reject(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("rej", 90)))
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r1", "fine"))
	c = e.ok(e.Queue.Reject(ctx, c.ID, "r2", "source of funds unclear"))
	if c.Status != cases.StatusRejected || c.Outcome != cases.OutcomeDeny {
		t.Errorf("status %s outcome %s", c.Status, c.Outcome)
	}
	again := e.ok(e.Queue.Reject(ctx, c.ID, "r3", "also no"))
	if diff := cmp.Diff(c, again); diff != "" {
		t.Errorf("rejecting again changed it:\n%s", diff)
	}
	if _, err := e.Queue.Approve(ctx, c.ID, "r3", "yes"); !errors.Is(err, cases.ErrWrongState) {
		t.Errorf("approve after reject = %v, want ErrWrongState", err)
	}
	if _, err := e.Queue.Reject(ctx, c.ID, "r3", ""); !errors.Is(err, cases.ErrInvalid) {
		t.Errorf("reject without note = %v, want ErrInvalid", err)
	}
	if e.Hook.Calls(c.ID) != 1 || e.Hook.Last(c.ID).Outcome != cases.OutcomeDeny {
		t.Errorf("hook calls %d last %+v", e.Hook.Calls(c.ID), e.Hook.Last(c.ID))
	}
}

func expire(t *testing.T, e *Env) {
	ctx := t.Context()
	old := e.ok(e.Queue.Open(ctx, Request("old", 50)))
	e.Clock.Advance(48 * time.Hour)
	young := e.ok(e.Queue.Open(ctx, Request("young", 50)))
	e.Clock.Advance(24 * time.Hour)
	if n := e.n(e.Queue.Expire(ctx)); n != 1 {
		t.Errorf("Expire = %d, want 1", n)
	}
	got := e.ok(e.Queue.Get(ctx, old.ID))
	if got.Status != cases.StatusExpired || got.Outcome != cases.OutcomeDeny || e.Hook.Calls(old.ID) != 1 {
		t.Errorf("old: %s %s calls %d", got.Status, got.Outcome, e.Hook.Calls(old.ID))
	}
	if got := e.ok(e.Queue.Get(ctx, young.ID)); got.Status != cases.StatusOpen {
		t.Errorf("young: %s, want OPEN", got.Status)
	}
	if n := e.n(e.Queue.Expire(ctx)); n != 0 {
		t.Errorf("second Expire = %d, want 0", n)
	}
}

func decideAfterExpiry(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("late", 50)))
	e.Clock.Advance(72 * time.Hour)
	got, err := e.Queue.Approve(ctx, c.ID, "r1", "ok")
	if !errors.Is(err, cases.ErrExpired) || got.Status != cases.StatusExpired {
		t.Errorf("approve after expiry = %v (%s), want ErrExpired, EXPIRED", err, got.Status)
	}
	if _, err := e.Queue.Approve(ctx, c.ID, "r1", "ok"); !errors.Is(err, cases.ErrWrongState) {
		t.Errorf("approve expired = %v, want ErrWrongState", err)
	}
	if e.Hook.Calls(c.ID) != 1 {
		t.Errorf("hook calls %d, want 1", e.Hook.Calls(c.ID))
	}
}

func retryHook(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("rh", 10)))
	e.Hook.mu.Lock()
	e.Hook.fail = 2
	e.Hook.mu.Unlock()
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r1", "ok")) // attempt 1 fails
	if n := e.n(e.Queue.ResumePending(ctx)); n != 0 {
		t.Errorf("resume before backoff = %d, want 0", n)
	}
	e.Clock.Advance(time.Second)    // backoff 1s
	e.n(e.Queue.ResumePending(ctx)) // attempt 2 fails
	e.Clock.Advance(time.Second)
	if n := e.n(e.Queue.ResumePending(ctx)); n != 0 {
		t.Errorf("resume before second backoff (2s) = %d, want 0", n)
	}
	e.Clock.Advance(time.Second)
	if n := e.n(e.Queue.ResumePending(ctx)); n != 1 { // attempt 3 succeeds
		t.Errorf("resume = %d, want 1", n)
	}
	e.Clock.Advance(time.Hour)
	e.n(e.Queue.ResumePending(ctx))
	ds := e.ds(e.Queue.Deliveries(ctx, c.ID))
	if len(ds) != 1 || !ds[0].Delivered || ds[0].Attempts != 3 || e.Hook.Calls(c.ID) != 1 {
		t.Errorf("deliveries %+v calls %d; want delivered after 3 attempts, once", ds, e.Hook.Calls(c.ID))
	}
}

func retryFromFailure(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("rf", 10)))
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r1", "ok"))
	for range 5 {
		e.Clock.Advance(time.Minute)
		e.n(e.Queue.ResumePending(ctx))
	}
	if e.Hook.Calls(c.ID) != 1 {
		t.Errorf("calls %d, want 1", e.Hook.Calls(c.ID))
	}
}

func resumeAfterRestart(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("rs", 10)))
	// The process settles the case but dies before the hook succeeds.
	e.Hook.mu.Lock()
	e.Hook.fail = 1
	e.Hook.mu.Unlock()
	e.ok(e.Queue.Approve(ctx, c.ID, "r1", "ok"))
	// Restart: a new queue on the same store with a healthy hook.
	q2, err := cases.New(e.Store, cases.Config{Clock: e.Clock.Now, RetryBase: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := NewRecorder(0)
	if err := q2.AddSettler("ledger", rec.Settle); err != nil {
		t.Fatal(err)
	}
	e.Clock.Advance(time.Second)
	if n := e.n(q2.ResumePending(ctx)); n != 1 || rec.Calls(c.ID) != 1 {
		t.Errorf("resume after restart: n=%d calls=%d, want 1 1", n, rec.Calls(c.ID))
	}
	if rec.Last(c.ID).Status != cases.StatusApproved {
		t.Errorf("hook saw %s", rec.Last(c.ID).Status)
	}
	e.Clock.Advance(time.Hour)
	if n := e.n(q2.ResumePending(ctx)); n != 0 || rec.Calls(c.ID) != 1 {
		t.Errorf("second resume: n=%d calls=%d, want 0 1", n, rec.Calls(c.ID))
	}
}

func history(t *testing.T, e *Env) {
	ctx := t.Context()
	c := e.ok(e.Queue.Open(ctx, Request("h", 85)))
	e.Clock.Advance(time.Minute)
	e.ok(e.Queue.Assign(ctx, c.ID, "lead", "r1", "please look"))
	e.Clock.Advance(time.Minute)
	e.ok(e.Queue.Comment(ctx, c.ID, "r1", "asked for documents"))
	e.Clock.Advance(time.Minute)
	e.ok(e.Queue.Approve(ctx, c.ID, "r1", "documents received"))
	e.Clock.Advance(time.Minute)
	c = e.ok(e.Queue.Approve(ctx, c.ID, "r2", "concur"))
	type entry struct{ Actor, Action, Note string }
	var got []entry
	for i, h := range c.History {
		got = append(got, entry{h.Actor, h.Action, h.Note})
		if want := Start.Add(time.Duration(i) * time.Minute); !h.At.Equal(want) {
			t.Errorf("history[%d].At = %v, want %v", i, h.At, want)
		}
	}
	want := []entry{
		{"venue-1", cases.ActionOpen, "risk score 85; 2 approval(s) required"},
		{"lead", cases.ActionAssign, "assignee r1: please look"},
		{"r1", cases.ActionComment, "asked for documents"},
		{"r1", cases.ActionApprove, "approval 1 of 2: documents received"},
		{"r2", cases.ActionApprove, "approval 2 of 2: concur"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if c.Assignee != "r1" || len(c.Approvals) != 2 {
		t.Errorf("case %+v", c)
	}
}

func watch(t *testing.T, e *Env) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch := e.Queue.Watch(ctx)
	c := e.ok(e.Queue.Open(ctx, Request("w", 10)))
	e.ok(e.Queue.Approve(ctx, c.ID, "r1", "ok"))
	var got []cases.Status
	for range 2 {
		u := <-ch
		got = append(got, u.Status)
	}
	if diff := cmp.Diff([]cases.Status{cases.StatusOpen, cases.StatusApproved}, got); diff != "" {
		t.Errorf("watched (-want +got):\n%s", diff)
	}
	cancel()
	for range ch { // closed after cancel
	}
}
