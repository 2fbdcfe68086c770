package decisionlog

import (
	"context"
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

var (
	bktEntries = []byte("decisionlog_entries") // seq -> entry JSON
	bktByID    = []byte("decisionlog_by_id")   // decision_id/seq -> nil
	bktMeta    = []byte("decisionlog_meta")    // "head" -> last hash
)

// BoltSink stores the log in a shared bbolt database.
type BoltSink struct{ db *bolt.DB }

// NewBoltSink creates the buckets it needs in db.
func NewBoltSink(db *bolt.DB) (*BoltSink, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bktEntries, bktByID, bktMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decisionlog: init bolt buckets: %w", err)
	}
	return &BoltSink{db: db}, nil
}

func seqKey(n int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(n))
	return b[:]
}

// AppendBatch implements Sink.
func (s *BoltSink) AppendBatch(_ context.Context, entries []Entry) ([]Entry, error) {
	out := make([]Entry, len(entries))
	err := s.db.Update(func(tx *bolt.Tx) error {
		eb, ib, mb := tx.Bucket(bktEntries), tx.Bucket(bktByID), tx.Bucket(bktMeta)
		prev := string(mb.Get([]byte("head")))
		for i, e := range entries {
			seq, err := eb.NextSequence()
			if err != nil {
				return err
			}
			e.Seq = int64(seq)
			e.PrevHash = prev
			canon := Canonical(e)
			e.Hash = HashCanonical(prev, canon)
			// Stored as <64 hex hash><canonical JSON>.
			if err := eb.Put(seqKey(e.Seq), append([]byte(e.Hash), canon...)); err != nil {
				return err
			}
			if err := ib.Put(append([]byte(e.DecisionID+"/"), seqKey(e.Seq)...), nil); err != nil {
				return err
			}
			prev = e.Hash
			out[i] = e
		}
		return mb.Put([]byte("head"), []byte(prev))
	})
	if err != nil {
		return nil, fmt.Errorf("decisionlog: bolt append: %w", err)
	}
	return out, nil
}

// Get implements Sink.
func (s *BoltSink) Get(_ context.Context, id string) ([]Entry, error) {
	var out []Entry
	err := s.db.View(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bktEntries)
		c := tx.Bucket(bktByID).Cursor()
		prefix := []byte(id + "/")
		for k, _ := c.Seek(prefix); k != nil && len(k) == len(prefix)+8 && string(k[:len(prefix)]) == string(prefix); k, _ = c.Next() {
			e, err := decodeBolt(eb.Get(k[len(prefix):]))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("decisionlog: bolt get %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, ErrNotFound
	}
	return out, nil
}

// Scan implements Sink.
func (s *BoltSink) Scan(ctx context.Context, fn func(Entry) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktEntries).Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			e, err := decodeBolt(v)
			if err != nil {
				return fmt.Errorf("decisionlog: entry %x: %w", k, err)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		return nil
	})
}

func decodeBolt(v []byte) (Entry, error) {
	if len(v) < 64 {
		return Entry{}, fmt.Errorf("decisionlog: stored entry too short")
	}
	// Copy: bbolt values are only valid inside the transaction.
	return decodeStored(append([]byte(nil), v[64:]...), string(v[:64]))
}
