package decisionlog_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clearancehq/clearance/registry/postgres/pgtest"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/gateway/decisionlog"
)

type sinkCase struct {
	name   string
	sink   decisionlog.Sink
	tamper func(t *testing.T, seq int64, from, to string)
	drop   func(t *testing.T, seq int64)
}

func boltCase(t *testing.T) sinkCase {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "log.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := decisionlog.NewBoltSink(db)
	if err != nil {
		t.Fatal(err)
	}
	key := func(seq int64) []byte {
		var k [8]byte
		for i := 7; i >= 0; i-- {
			k[i] = byte(seq)
			seq >>= 8
		}
		return k[:]
	}
	return sinkCase{name: "bolt", sink: s,
		tamper: func(t *testing.T, seq int64, from, to string) {
			err := db.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte("decisionlog_entries"))
				v := strings.Replace(string(b.Get(key(seq))), from, to, 1)
				return b.Put(key(seq), []byte(v))
			})
			if err != nil {
				t.Fatal(err)
			}
		},
		drop: func(t *testing.T, seq int64) {
			if err := db.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("decisionlog_entries")).Delete(key(seq)) }); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func pgCase(t *testing.T) sinkCase {
	ctx := context.Background()
	pool := pgtest.NewPool(t)
	if err := decisionlog.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := decisionlog.Migrate(ctx, pool); err != nil { // idempotent
		t.Fatal(err)
	}
	return sinkCase{name: "postgres", sink: decisionlog.NewPGSink(pool),
		tamper: func(t *testing.T, seq int64, from, to string) {
			if _, err := pool.Exec(ctx, `UPDATE decisionlog_entries SET body = convert_to(replace(convert_from(body,'UTF8'), $2, $3),'UTF8') WHERE seq=$1`, seq, from, to); err != nil {
				t.Fatal(err)
			}
		},
		drop: func(t *testing.T, seq int64) {
			if _, err := pool.Exec(ctx, `DELETE FROM decisionlog_entries WHERE seq=$1`, seq); err != nil {
				t.Fatal(err)
			}
		},
	}
}

func entries(n int) []decisionlog.Entry {
	out := make([]decisionlog.Entry, n)
	for i := range out {
		out[i] = decisionlog.Entry{Kind: "decision", DecisionID: fmt.Sprintf("dec_%03d", i), Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
			Caller: "venue-a", Request: json.RawMessage(`{"action":"TRANSFER","amount":"100"}`), Facts: json.RawMessage(`{"from":{"wallet":{"frozen":false}}}`),
			Verdict: json.RawMessage(`{"decision":"ALLOW"}`), Decision: "ALLOW", Revision: "rev1", LatencyUS: int64(100 + i)}
	}
	return out
}

func TestChainDetectsTamperingAndGaps(t *testing.T) {
	for _, mk := range []func(*testing.T) sinkCase{boltCase, pgCase} {
		sc := mk(t)
		t.Run(sc.name, func(t *testing.T) {
			ctx := t.Context()
			es := entries(10)
			if _, err := sc.sink.AppendBatch(ctx, es[:4]); err != nil {
				t.Fatal(err)
			}
			stored, err := sc.sink.AppendBatch(ctx, es[4:])
			if err != nil {
				t.Fatal(err)
			}
			if stored[0].Seq != 5 || stored[0].PrevHash == "" {
				t.Fatalf("second batch continues the chain: %+v", stored[0])
			}
			n, err := decisionlog.Verify(ctx, sc.sink)
			if err != nil || n != 10 {
				t.Fatalf("verify: %d %v", n, err)
			}
			got, err := sc.sink.Get(ctx, "dec_003")
			if err != nil || len(got) != 1 || string(got[0].Facts) != string(es[3].Facts) || got[0].LatencyUS != 103 {
				t.Fatalf("get: %+v %v", got, err)
			}
			// Flip a fact in entry 6: verification names it.
			sc.tamper(t, 6, `"frozen":false`, `"frozen":true `)
			if _, err := decisionlog.Verify(ctx, sc.sink); err == nil || !strings.Contains(err.Error(), "entry 6") {
				t.Fatalf("tampered entry not detected: %v", err)
			}
			sc.tamper(t, 6, `"frozen":true `, `"frozen":false`)
			if _, err := decisionlog.Verify(ctx, sc.sink); err != nil {
				t.Fatalf("restored: %v", err)
			}
			// Remove entry 3: the next link breaks.
			sc.drop(t, 3)
			if _, err := decisionlog.Verify(ctx, sc.sink); err == nil || !strings.Contains(err.Error(), "entry 4") {
				t.Fatalf("gap not detected: %v", err)
			}
		})
	}
}
