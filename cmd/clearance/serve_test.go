package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

var servingRE = regexp.MustCompile(`serving gRPC and REST on http://(\S+)`)

// startServe runs `clearance serve` in-process and returns its address.
func startServe(t *testing.T, args ...string) (string, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuf
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), strings.NewReader(""), io.Discard, &stderr)
	}()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			stop := func() {
				cancel()
				select {
				case <-done:
				case <-time.After(20 * time.Second):
					t.Error("serve did not stop")
				}
			}
			return m[1], stop
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel()
	t.Fatalf("serve did not start: %s", stderr.String())
	return "", nil
}

func postJSON(t *testing.T, url, body string) map[string]any {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %s", url, b)
	}
	return m
}

func reasonCodes(m map[string]any) map[string]bool {
	out := map[string]bool{}
	rs, _ := m["reasons"].([]any)
	for _, r := range rs {
		out[r.(map[string]any)["code"].(string)] = true
	}
	return out
}

const (
	aliceW = "0xa11ce00000000000000000000000000000000001"
	graceW = "0x62ace00000000000000000000000000000000001"
)

// TestEmbeddedDefaultEndToEnd starts the real composition root on the
// embedded default (example data, shipped packs) and checks the README's
// ALLOW and DENY examples, then restarts on the same data dir.
func TestEmbeddedDefaultEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", dir)
	base := "http://" + addr
	allow := postJSON(t, base+"/v1/check", `{"action":"ISSUANCE","asset_id":"BOND-2030","to_wallet":"`+aliceW+`","amount":"100000"}`)
	if allow["decision"] != "ALLOW" {
		t.Fatalf("README ALLOW example: %v", allow)
	}
	deny := postJSON(t, base+"/v1/check", `{"action":"TRANSFER","asset_id":"BOND-2030","from_wallet":"`+aliceW+`","to_wallet":"`+graceW+`","amount":"5000000"}`)
	codes := reasonCodes(deny)
	if deny["decision"] != "DENY" || !codes["JURISDICTION_NOT_ALLOWED"] || !codes["INSUFFICIENT_BALANCE"] {
		t.Fatalf("README DENY example: %v", deny)
	}
	id := allow["decision_id"].(string)
	resp, err := http.Get(base + "/v1/decisions/" + id)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"facts"`) {
		t.Fatalf("GetDecision: %d %s", resp.StatusCode, b)
	}
	// The CLI's exit codes.
	var out bytes.Buffer
	if code := run(context.Background(), []string{"check", "--addr", addr, "--action", "ISSUANCE", "--asset", "BOND-2030", "--to", aliceW, "--amount", "100000"}, nil, &out, io.Discard); code != exitOK {
		t.Errorf("check ALLOW exit %d: %s", code, out.String())
	}
	out.Reset()
	if code := run(context.Background(), []string{"check", "--addr", addr, "--asset", "BOND-2030", "--from", aliceW, "--to", graceW, "--amount", "5000000"}, nil, &out, io.Discard); code != exitDeny || !strings.Contains(out.String(), "JURISDICTION_NOT_ALLOWED") {
		t.Errorf("check DENY exit %d: %s", code, out.String())
	}
	stop()

	// Restart on the same data dir: the store survives and is not re-seeded.
	addr, stop = startServe(t, "--listen", "127.0.0.1:0", "--data-dir", dir)
	defer stop()
	again := postJSON(t, "http://"+addr+"/v1/check", `{"action":"ISSUANCE","asset_id":"BOND-2030","to_wallet":"`+aliceW+`","amount":"100000"}`)
	if again["decision"] != "ALLOW" {
		t.Fatalf("after restart: %v", again)
	}
	resp, err = http.Get("http://" + addr + "/v1/decisions/" + id)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("decision from before the restart: %d", resp.StatusCode)
	}
}

func TestRefusesNonLoopbackWithoutAuth(t *testing.T) {
	var stderr syncBuf
	code := run(context.Background(), []string{"serve", "--listen", "0.0.0.0:0", "--data-dir", t.TempDir()}, nil, io.Discard, &stderr)
	if code != exitUsage || !strings.Contains(stderr.String(), "without authentication") {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
}
