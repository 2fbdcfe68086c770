package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/screening/cases"
)

var (
	bucketCases      = []byte("cases_cases")
	bucketByDecision = []byte("cases_by_decision")
	bucketDeliveries = []byte("cases_deliveries")
)

// Store implements cases.Store.
type Store struct{ db *bbolt.DB }

var _ cases.Store = (*Store)(nil)

// New creates the buckets if needed and returns the store.
func New(db *bbolt.DB) (*Store, error) {
	if db == nil {
		return nil, fmt.Errorf("cases/boltstore: nil db")
	}
	err := db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketCases, bucketByDecision, bucketDeliveries} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cases/boltstore: create buckets: %w", err)
	}
	return &Store{db: db}, nil
}

func getCase(tx *bbolt.Tx, id string) (cases.Case, error) {
	v := tx.Bucket(bucketCases).Get([]byte(id))
	if v == nil {
		return cases.Case{}, fmt.Errorf("%w: case %s", cases.ErrNotFound, id)
	}
	var c cases.Case
	if err := json.Unmarshal(v, &c); err != nil {
		return cases.Case{}, fmt.Errorf("cases/boltstore: decode case %s: %w", id, err)
	}
	return c, nil
}

func putJSON(b *bbolt.Bucket, k []byte, v any) error {
	buf, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, buf)
}

// Create implements cases.Store.
func (s *Store) Create(_ context.Context, c cases.Case) (cases.Case, bool, error) {
	var out cases.Case
	var created bool
	err := s.db.Update(func(tx *bbolt.Tx) error {
		bd := tx.Bucket(bucketByDecision)
		if id := bd.Get([]byte(c.DecisionID)); id != nil {
			var err error
			out, err = getCase(tx, string(id))
			return err
		}
		if tx.Bucket(bucketCases).Get([]byte(c.ID)) != nil {
			return fmt.Errorf("cases/boltstore: duplicate case id %s", c.ID)
		}
		if err := putJSON(tx.Bucket(bucketCases), []byte(c.ID), c); err != nil {
			return err
		}
		if err := bd.Put([]byte(c.DecisionID), []byte(c.ID)); err != nil {
			return err
		}
		out, created = c, true
		return nil
	})
	if err != nil {
		return cases.Case{}, false, err
	}
	return out, created, nil
}

// Get implements cases.Store.
func (s *Store) Get(_ context.Context, id string) (cases.Case, error) {
	var c cases.Case
	err := s.db.View(func(tx *bbolt.Tx) error {
		var err error
		c, err = getCase(tx, id)
		return err
	})
	return c, err
}

func deliveryKey(caseID, hook string) []byte {
	return []byte(caseID + "\x00" + hook)
}

// Update implements cases.Store.
func (s *Store) Update(_ context.Context, id string, fn func(c *cases.Case) ([]cases.Delivery, error)) (cases.Case, error) {
	var out cases.Case
	err := s.db.Update(func(tx *bbolt.Tx) error {
		c, err := getCase(tx, id)
		if err != nil {
			return err
		}
		ds, err := fn(&c)
		if err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("cases/boltstore: update changed the case id")
		}
		if err := putJSON(tx.Bucket(bucketCases), []byte(id), c); err != nil {
			return err
		}
		bd := tx.Bucket(bucketDeliveries)
		for _, d := range ds {
			k := deliveryKey(d.CaseID, d.Hook)
			if bd.Get(k) != nil {
				continue
			}
			if err := putJSON(bd, k, d); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	return out, err
}

func match(c cases.Case, f cases.Filter) bool {
	return (f.Status == "" || c.Status == f.Status) &&
		(f.AssetID == "" || c.AssetID == f.AssetID) &&
		(f.Assignee == "" || c.Assignee == f.Assignee) &&
		c.RiskScore >= f.MinRisk
}

// List implements cases.Store. It scans in id order.
func (s *Store) List(_ context.Context, f cases.Filter) ([]cases.Case, string, error) {
	var out []cases.Case
	next := ""
	err := s.db.View(func(tx *bbolt.Tx) error {
		cur := tx.Bucket(bucketCases).Cursor()
		k, v := cur.First()
		if f.PageToken != "" {
			k, v = cur.Seek([]byte(f.PageToken))
			if k != nil && bytes.Equal(k, []byte(f.PageToken)) {
				k, v = cur.Next()
			}
		}
		for ; k != nil; k, v = cur.Next() {
			var c cases.Case
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("cases/boltstore: decode case %s: %w", k, err)
			}
			if !match(c, f) {
				continue
			}
			if len(out) == f.PageSize {
				next = out[len(out)-1].ID
				return nil
			}
			out = append(out, c)
		}
		return nil
	})
	return out, next, err
}

// Due implements cases.Store (a scan; the open set is small).
func (s *Store) Due(_ context.Context, now time.Time, limit int) ([]string, error) {
	var ids []string
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketCases).ForEach(func(k, v []byte) error {
			if len(ids) >= limit {
				return nil
			}
			var c cases.Case
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("cases/boltstore: decode case %s: %w", k, err)
			}
			if !c.Status.Final() && !now.Before(c.ExpiresAt) {
				ids = append(ids, c.ID)
			}
			return nil
		})
	})
	return ids, err
}

func getDelivery(b *bbolt.Bucket, k []byte) (cases.Delivery, bool, error) {
	v := b.Get(k)
	if v == nil {
		return cases.Delivery{}, false, nil
	}
	var d cases.Delivery
	if err := json.Unmarshal(v, &d); err != nil {
		return d, false, fmt.Errorf("cases/boltstore: decode delivery: %w", err)
	}
	return d, true, nil
}

func due(d cases.Delivery, now time.Time) bool {
	return !d.Delivered && !d.NextAt.After(now) && !d.LeaseUntil.After(now)
}

// Pending implements cases.Store.
func (s *Store) Pending(_ context.Context, now time.Time, hooks []string, limit int) ([]cases.Delivery, error) {
	var out []cases.Delivery
	err := s.db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDeliveries).ForEach(func(k, v []byte) error {
			var d cases.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("cases/boltstore: decode delivery %q: %w", k, err)
			}
			if due(d, now) && slices.Contains(hooks, d.Hook) {
				out = append(out, d)
			}
			return nil
		})
	})
	slices.SortStableFunc(out, func(a, b cases.Delivery) int { return a.NextAt.Compare(b.NextAt) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, err
}

// Claim implements cases.Store.
func (s *Store) Claim(_ context.Context, caseID, hook string, now, leaseUntil time.Time) (cases.Delivery, bool, error) {
	var out cases.Delivery
	var ok bool
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDeliveries)
		k := deliveryKey(caseID, hook)
		d, found, err := getDelivery(b, k)
		if err != nil || !found || !due(d, now) {
			return err
		}
		d.LeaseUntil = leaseUntil
		out, ok = d, true
		return putJSON(b, k, d)
	})
	return out, ok, err
}

// Finish implements cases.Store.
func (s *Store) Finish(_ context.Context, caseID, hook string, at time.Time, deliverErr string, nextAt time.Time) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketDeliveries)
		k := deliveryKey(caseID, hook)
		d, found, err := getDelivery(b, k)
		if err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("%w: delivery %s/%s", cases.ErrNotFound, caseID, hook)
		}
		if d.Delivered {
			return nil
		}
		d.Attempts++
		d.LeaseUntil = time.Time{}
		if deliverErr == "" {
			d.Delivered, d.DeliveredAt, d.LastError = true, at, ""
		} else {
			d.LastError, d.NextAt = deliverErr, nextAt
		}
		return putJSON(b, k, d)
	})
}

// Deliveries implements cases.Store.
func (s *Store) Deliveries(_ context.Context, caseID string) ([]cases.Delivery, error) {
	var out []cases.Delivery
	err := s.db.View(func(tx *bbolt.Tx) error {
		cur := tx.Bucket(bucketDeliveries).Cursor()
		prefix := []byte(caseID + "\x00")
		for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
			var d cases.Delivery
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("cases/boltstore: decode delivery: %w", err)
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
