package cases

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Webhook headers.
const (
	HeaderSignature = "X-Clearance-Signature"
	HeaderTimestamp = "X-Clearance-Timestamp"
	HeaderDelivery  = "X-Clearance-Delivery"
)

// WebhookConfig configures the settlement webhook.
type WebhookConfig struct {
	// URL receives a POST per settled case (http or https).
	URL string `yaml:"url"`
	// Secret keys the HMAC-SHA256 signature; at least 16 bytes. Never
	// logged.
	Secret string `yaml:"secret" json:"-"`
	// Timeout bounds one attempt [10s]. Retries are the queue's: a failed
	// delivery is retried with exponential backoff (Config.RetryBase..RetryMax).
	Timeout time.Duration `yaml:"timeout"`
	// Clock stamps the signature [time.Now].
	Clock func() time.Time `yaml:"-"`
}

// Webhook posts settled cases to a caller. Register its Settle method with
// Queue.AddSettler("webhook", w.Settle).
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	clock  func() time.Time
}

// NewWebhook returns a webhook notifier; client nil uses a client with
// cfg.Timeout.
func NewWebhook(cfg WebhookConfig, client *http.Client) (*Webhook, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: webhook url must be an absolute http(s) URL", ErrInvalid)
	}
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("%w: webhook secret must be at least 16 bytes", ErrInvalid)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if client == nil {
		client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	return &Webhook{url: u.String(), secret: []byte(cfg.Secret), client: client, clock: cfg.Clock}, nil
}

// WebhookEvent is the JSON body of a settlement notification. It carries no
// personal data beyond identifiers; callers fetch the case for details.
type WebhookEvent struct {
	Event      string    `json:"event"` // "case.settled"
	CaseID     string    `json:"case_id"`
	DecisionID string    `json:"decision_id"`
	Origin     string    `json:"origin"`
	AssetID    string    `json:"asset_id"`
	Status     Status    `json:"status"`
	Outcome    string    `json:"outcome"`
	RiskScore  int64     `json:"risk_score"`
	SettledAt  time.Time `json:"settled_at"`
}

// Sign returns the signature header value for body sent at timestamp ts
// (Unix seconds as a decimal string): "sha256=" + hex(HMAC(secret, ts "." body)).
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySignature checks a received notification: the signature must match
// and the timestamp be within tolerance of now (replay protection).
func VerifySignature(secret []byte, ts, sig string, body []byte, now time.Time, tolerance time.Duration) error {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("cases: webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return errors.New("cases: webhook: timestamp outside tolerance")
	}
	if !hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig)) {
		return errors.New("cases: webhook: signature mismatch")
	}
	return nil
}

// Settle posts c; any non-2xx answer is an error (the queue retries).
func (w *Webhook) Settle(ctx context.Context, c Case) error {
	body, err := json.Marshal(WebhookEvent{
		Event: "case.settled", CaseID: c.ID, DecisionID: c.DecisionID, Origin: c.Origin, AssetID: c.AssetID,
		Status: c.Status, Outcome: c.Outcome, RiskScore: c.RiskScore, SettledAt: c.SettledAt,
	})
	if err != nil {
		return fmt.Errorf("cases: webhook: %w", err)
	}
	ts := strconv.FormatInt(w.clock().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("cases: webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(w.secret, ts, body))
	req.Header.Set(HeaderDelivery, c.ID)
	resp, err := w.client.Do(req)
	if err != nil {
		return fmt.Errorf("cases: webhook: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("cases: webhook: receiver answered %d", resp.StatusCode)
	}
	return nil
}
