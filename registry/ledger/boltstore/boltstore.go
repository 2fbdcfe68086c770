package boltstore

import (
	"bytes"
	"context"
	"fmt"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry/ledger"
)

// Store is a ledger.Store over a shared *bbolt.DB.
type Store struct {
	db *bbolt.DB
}

var _ ledger.Store = (*Store)(nil)

// New creates the ledger's buckets in db if missing and returns the store.
// db stays owned by the caller.
func New(db *bbolt.DB) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("ledger/boltstore: nil db")
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, t := range ledger.Tables {
			if _, err := tx.CreateBucketIfNotExists([]byte(bucket(t))); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("ledger/boltstore: create buckets: %w", err)
	}
	return &Store{db: db}, nil
}

func bucket(table string) string { return "ledger_" + table }

// Update runs fn in one read-write transaction.
func (s *Store) Update(ctx context.Context, fn func(ledger.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.Update(func(tx *bbolt.Tx) error { return fn(&btx{tx: tx}) })
}

// View runs fn in one read-only transaction.
func (s *Store) View(ctx context.Context, fn func(ledger.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bbolt.Tx) error { return fn(&btx{tx: tx}) })
}

type btx struct{ tx *bbolt.Tx }

func (t *btx) b(table string) (*bbolt.Bucket, error) {
	b := t.tx.Bucket([]byte(bucket(table)))
	if b == nil {
		return nil, fmt.Errorf("ledger/boltstore: unknown table %q", table)
	}
	return b, nil
}

func (t *btx) Get(table, key string) ([]byte, bool, error) {
	b, err := t.b(table)
	if err != nil {
		return nil, false, err
	}
	v := b.Get([]byte(key))
	if v == nil {
		return nil, false, nil
	}
	return bytes.Clone(v), true, nil
}

func (t *btx) Put(table, key string, value []byte) error {
	b, err := t.b(table)
	if err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	return b.Put([]byte(key), value)
}

func (t *btx) Delete(table, key string) error {
	b, err := t.b(table)
	if err != nil {
		return err
	}
	return b.Delete([]byte(key))
}

func (t *btx) Scan(table, prefix, after string, limit int) ([]ledger.KV, error) {
	b, err := t.b(table)
	if err != nil {
		return nil, err
	}
	c := b.Cursor()
	p := []byte(prefix)
	var kk, v []byte
	if after != "" && after >= prefix {
		kk, v = c.Seek([]byte(after))
		if kk != nil && string(kk) == after {
			kk, v = c.Next()
		}
	} else {
		kk, v = c.Seek(p)
	}
	var out []ledger.KV
	for ; kk != nil && bytes.HasPrefix(kk, p); kk, v = c.Next() {
		out = append(out, ledger.KV{Key: string(kk), Value: bytes.Clone(v)})
		if limit > 0 && len(out) >= limit {
			break
		}
	}
	return out, nil
}
