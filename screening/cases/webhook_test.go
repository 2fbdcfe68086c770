package cases_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/screening/cases"
	"github.com/clearancehq/clearance/screening/cases/boltstore"
	"github.com/clearancehq/clearance/screening/cases/casestest"
)

const secret = "0123456789abcdef-test-secret"

func TestWebhookSignedWithRetries(t *testing.T) {
	clk := casestest.NewClock(casestest.Start)
	var mu sync.Mutex
	var bodies []cases.WebhookEvent
	status := []int{500, 500, 200}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := cases.VerifySignature([]byte(secret), r.Header.Get(cases.HeaderTimestamp), r.Header.Get(cases.HeaderSignature), body, clk.Now(), 5*time.Minute); err != nil {
			t.Errorf("signature: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var ev cases.WebhookEvent
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("body: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, ev)
		w.WriteHeader(status[min(len(bodies)-1, len(status)-1)])
	}))
	defer srv.Close()

	db, err := bbolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, err := boltstore.New(db)
	if err != nil {
		t.Fatal(err)
	}
	q, err := cases.New(st, cases.Config{Clock: clk.Now, RetryBase: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := cases.NewWebhook(cases.WebhookConfig{URL: srv.URL, Secret: secret, Clock: clk.Now}, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	if err := q.AddSettler("webhook", wh.Settle); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	c, err := q.Open(ctx, casestest.Request("wh", 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.Approve(ctx, c.ID, "r1", "ok"); err != nil { // attempt 1: 500
		t.Fatal(err)
	}
	clk.Advance(time.Second)
	if _, err := q.ResumePending(ctx); err != nil { // attempt 2: 500
		t.Fatal(err)
	}
	clk.Advance(2 * time.Second)
	if n, err := q.ResumePending(ctx); err != nil || n != 1 { // attempt 3: 200
		t.Fatalf("ResumePending = %d, %v; want 1", n, err)
	}
	clk.Advance(time.Hour)
	if _, err := q.ResumePending(ctx); err != nil {
		t.Fatal(err)
	}
	ds, err := q.Deliveries(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 1 || !ds[0].Delivered || ds[0].Attempts != 3 {
		t.Errorf("deliveries = %+v, want one delivered after 3 attempts", ds)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 3 {
		t.Fatalf("receiver saw %d posts, want 3", len(bodies))
	}
	if ev := bodies[2]; ev.Event != "case.settled" || ev.CaseID != c.ID || ev.Outcome != cases.OutcomeAllow || ev.DecisionID != "wh" {
		t.Errorf("event = %+v", ev)
	}
}

func TestVerifySignatureRejects(t *testing.T) {
	now := casestest.Start
	ts := "1772442000" // 2026-03-02T09:00:00Z
	body := []byte(`{"x":1}`)
	sig := cases.Sign([]byte(secret), ts, body)
	tests := []struct {
		name      string
		ts, sig   string
		body      []byte
		now       time.Time
		wantValid bool
	}{
		{"valid", ts, sig, body, now, true},
		{"tampered body", ts, sig, []byte(`{"x":2}`), now, false},
		{"wrong secret", ts, cases.Sign([]byte("another-secret-0123"), ts, body), body, now, false},
		{"stale", ts, sig, body, now.Add(time.Hour), false},
		{"bad timestamp", "x", sig, body, now, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cases.VerifySignature([]byte(secret), tc.ts, tc.sig, tc.body, tc.now, 5*time.Minute)
			if (err == nil) != tc.wantValid {
				t.Errorf("VerifySignature = %v, want valid=%v", err, tc.wantValid)
			}
		})
	}
}

func TestNewWebhookValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  cases.WebhookConfig
	}{
		{"relative url", cases.WebhookConfig{URL: "/hook", Secret: secret}},
		{"ftp", cases.WebhookConfig{URL: "ftp://x/hook", Secret: secret}},
		{"short secret", cases.WebhookConfig{URL: "https://x/hook", Secret: "short"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cases.NewWebhook(tc.cfg, nil); err == nil {
				t.Error("want an error")
			}
		})
	}
}
