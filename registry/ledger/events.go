package ledger

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Events lists events of an asset (and, if wallet is set, only those with
// the wallet on either side), in sequence order after sequence `after`
// (0: from the start). It returns at most limit events (default 100, max
// 1000) and the sequence to pass as after for the next page (0: no more).
func (l *Ledger) Events(ctx context.Context, assetID, wallet string, after int64, limit int) ([]Event, int64, error) {
	if err := checkID("asset_id", assetID); err != nil {
		return nil, 0, err
	}
	switch {
	case limit <= 0:
		limit = 100
	case limit > 1000:
		limit = 1000
	}
	table, prefix := tEvAsset, assetID+sep
	if wallet != "" {
		if err := checkID("wallet", wallet); err != nil {
			return nil, 0, err
		}
		table, prefix = tEvWallet, k(assetID, wallet)+sep
	}
	a := ""
	if after > 0 {
		a = prefix + seqKey(after)
	}
	var out []Event
	var next int64
	err := l.store.View(ctx, func(tx Tx) error {
		kvs, err := tx.Scan(table, prefix, a, limit+1)
		if err != nil {
			return err
		}
		for i, kv := range kvs {
			if i == limit {
				next = out[len(out)-1].Seq
				break
			}
			sk := kv.Key[strings.LastIndex(kv.Key, sep)+1:]
			var e Event
			ok, err := getJSON(tx, tEvents, sk, &e)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("%w: index points to missing event %s", ErrInvariant, sk)
			}
			out = append(out, e)
		}
		return nil
	})
	return out, next, err
}

// VerifyResult is the outcome of Verify.
type VerifyResult struct {
	OK       bool
	Events   int64
	HeadHash string
	// BrokenAt is the first sequence whose hash or link is wrong.
	BrokenAt int64
	Err      string
}

// Verify walks the whole event log and checks every hash and link, and
// that sequences are contiguous from 1 and the head matches.
func (l *Ledger) Verify(ctx context.Context) (VerifyResult, error) {
	res := VerifyResult{OK: true}
	err := l.store.View(ctx, func(tx Tx) error {
		prev := GenesisHash
		var want int64 = 1
		after := ""
		for {
			kvs, err := tx.Scan(tEvents, "", after, 1000)
			if err != nil {
				return err
			}
			if len(kvs) == 0 {
				break
			}
			for _, kv := range kvs {
				var e Event
				if err := json.Unmarshal(kv.Value, &e); err != nil {
					return err
				}
				switch {
				case e.Seq != want || kv.Key != seqKey(e.Seq):
					res.Err = "sequence gap at " + strconv.FormatInt(want, 10)
				case e.PrevHash != prev:
					res.Err = "prev_hash does not link"
				case EventHash(e) != e.Hash:
					res.Err = "hash mismatch"
				}
				if res.Err != "" {
					res.OK, res.BrokenAt = false, want
					return nil
				}
				prev, want = e.Hash, want+1
				res.Events++
			}
			after = kvs[len(kvs)-1].Key
		}
		var hd head
		if _, err := getJSON(tx, tMeta, "head", &hd); err != nil {
			return err
		}
		if hd.Seq != res.Events || (hd.Seq > 0 && hd.Hash != prev) {
			res.OK, res.BrokenAt, res.Err = false, hd.Seq, "head does not match the log"
		}
		res.HeadHash = prev
		return nil
	})
	return res, err
}
