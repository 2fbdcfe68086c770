package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

func doJSON(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m
}

// TestChangeSeenByNextCheck: a registry change acknowledged through the API
// is seen by the very next check, even with the verdict cache hot.
func TestChangeSeenByNextCheck(t *testing.T) {
	addr, stop := startServe(t, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir())
	defer stop()
	base := "http://" + addr
	check := `{"action":"ISSUANCE","asset_id":"BOND-2030","to_wallet":"` + aliceW + `","amount":"100000"}`
	for i := 0; i < 3; i++ { // warm the cache
		if m := postJSON(t, base+"/v1/check", check); m["decision"] != "ALLOW" {
			t.Fatalf("warm-up %d: %v", i, m)
		}
	}
	if m := postJSON(t, base+"/v1/check", check); m["cached"] != true {
		t.Fatalf("cache not hot: %v", m)
	}
	st, w := doJSON(t, http.MethodGet, base+"/v1/registry/wallets/"+aliceW, "")
	if st != 200 {
		t.Fatalf("get wallet: %d %v", st, w)
	}
	version := w["version"]
	st, m := doJSON(t, http.MethodPatch, base+"/v1/registry/wallets/"+aliceW,
		`{"version":"`+jsonNum(version)+`","wallet":{"frozen":true},"reason":"test freeze"}`)
	if st != 200 {
		t.Fatalf("freeze: %d %v", st, m)
	}
	got := postJSON(t, base+"/v1/check", check)
	if got["decision"] != "DENY" || !reasonCodes(got)["RECIPIENT_FROZEN"] {
		t.Fatalf("check after an acknowledged freeze: %v", got)
	}
	// A stale version is a conflict and changes nothing.
	st, m = doJSON(t, http.MethodPatch, base+"/v1/registry/wallets/"+aliceW,
		`{"version":"`+jsonNum(version)+`","wallet":{"frozen":false},"reason":"stale"}`)
	if st != 409 {
		t.Fatalf("stale update: %d %v", st, m)
	}
	if got := postJSON(t, base+"/v1/check", check); got["decision"] != "DENY" {
		t.Fatalf("stale update changed state: %v", got)
	}
}

func jsonNum(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		b, _ := json.Marshal(int64(x))
		return string(b)
	}
	return ""
}
