package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/policies/opaengine"
)

// verdict is the part of a decision the gate compares.
type verdict struct {
	Decision string
	Codes    []string
}

func (v verdict) String() string { return v.Decision + " [" + strings.Join(v.Codes, ",") + "]" }

func (v verdict) equal(o verdict) bool {
	return v.Decision == o.Decision && slices.Equal(v.Codes, o.Codes)
}

// checkREST sends one check to Clearance and returns the verdict and its
// decision id.
func checkREST(ctx context.Context, client *http.Client, base string, body []byte) (verdict, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/check", bytes.NewReader(body))
	if err != nil {
		return verdict{}, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return verdict{}, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return verdict{}, "", fmt.Errorf("check %s: HTTP %d: %s", body, resp.StatusCode, b)
	}
	var v struct {
		Decision   string `json:"decision"`
		DecisionID string `json:"decision_id"`
		Reasons    []struct {
			Code string `json:"code"`
		} `json:"reasons"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return verdict{}, "", fmt.Errorf("check: %w", err)
	}
	out := verdict{Decision: v.Decision, Codes: []string{}}
	for _, r := range v.Reasons {
		out.Codes = append(out.Codes, r.Code)
	}
	slices.Sort(out.Codes)
	return out, v.DecisionID, nil
}

// factsBody fetches the decision's facts and returns the OPA request body
// {"input": ...} holding exactly the value Clearance's Rego engine was given:
// the facts are decoded into policies.Input and converted with
// opaengine.InputValue, the engine's own conversion.
func factsBody(ctx context.Context, client *http.Client, base, id string) ([]byte, error) {
	var b []byte
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/decisions/"+id, nil)
		if err != nil {
			return nil, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, err
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			break
		}
		// The decision log is written off the request path: retry briefly.
		if resp.StatusCode != http.StatusNotFound || attempt > 50 {
			return nil, fmt.Errorf("decision %s: HTTP %d: %s", id, resp.StatusCode, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var rec struct {
		Facts json.RawMessage `json:"facts"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("decision %s: %w", id, err)
	}
	if len(rec.Facts) == 0 || string(rec.Facts) == "null" {
		return nil, fmt.Errorf("decision %s has no facts", id)
	}
	var in policies.Input
	if err := json.Unmarshal(rec.Facts, &in); err != nil {
		return nil, fmt.Errorf("decision %s facts: %w", id, err)
	}
	v, err := ast.JSON(opaengine.InputValue(&in))
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"input": v})
}

// queryOPA asks OPA for data.bench.decision.
func queryOPA(ctx context.Context, client *http.Client, url string, body []byte) (verdict, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return verdict{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return verdict{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return verdict{}, fmt.Errorf("opa: HTTP %d: %s", resp.StatusCode, b)
	}
	var r struct {
		Result *struct {
			Decision string   `json:"decision"`
			Codes    []string `json:"codes"`
		} `json:"result"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return verdict{}, err
	}
	if r.Result == nil {
		return verdict{}, fmt.Errorf("opa: undefined decision: %s", b)
	}
	v := verdict{Decision: r.Result.Decision, Codes: append([]string{}, r.Result.Codes...)}
	slices.Sort(v.Codes)
	return v, nil
}

// gateResult is the outcome of replaying one request mix.
type gateResult struct {
	Name       string
	Requests   int
	Compared   int // verdict pairs compared (every server against OPA)
	Mismatches []string
	Counts     map[string]int // decisions of the reference server
	OPABodies  [][]byte       // OPA request bodies, in mix order
}

// gate replays bodies against every Clearance server, fetches the facts of
// the reference (first) server's decisions, asks OPA about the same facts,
// and compares decision and sorted reason codes of every server with OPA's.
func gate(ctx context.Context, client *http.Client, name string, bodies [][]byte, servers []string, opaURL string) (gateResult, error) {
	g := gateResult{Name: name, Requests: len(bodies), Counts: map[string]int{}, OPABodies: make([][]byte, len(bodies))}
	ids := make([]string, len(bodies))
	got := make([][]verdict, len(servers))
	for s, base := range servers {
		got[s] = make([]verdict, len(bodies))
		err := parallel(ctx, len(bodies), func(i int) error {
			v, id, err := checkREST(ctx, client, base, bodies[i])
			if err != nil {
				return err
			}
			got[s][i] = v
			if s == 0 {
				ids[i] = id
			}
			return nil
		})
		if err != nil {
			return g, err
		}
	}
	for i := range bodies {
		g.Counts[got[0][i].Decision]++
	}
	wants := make([]verdict, len(bodies))
	err := parallel(ctx, len(bodies), func(i int) error {
		ob, err := factsBody(ctx, client, servers[0], ids[i])
		if err != nil {
			return err
		}
		g.OPABodies[i] = ob
		wants[i], err = queryOPA(ctx, client, opaURL, ob)
		return err
	})
	if err != nil {
		return g, err
	}
	for i, want := range wants {
		for s := range servers {
			g.Compared++
			if !got[s][i].equal(want) {
				g.Mismatches = append(g.Mismatches, fmt.Sprintf("%s #%d on %s: clearance %s, opa %s; request %s", name, i, servers[s], got[s][i], want, bodies[i]))
			}
		}
	}
	return g, nil
}

// parallel runs f(0..n-1) on 8 goroutines and returns the first error.
func parallel(ctx context.Context, n int, f func(i int) error) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
