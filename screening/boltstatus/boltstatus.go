package boltstatus

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/screening"
)

var (
	bInvestors   = []byte("screening_investors")
	bWallets     = []byte("screening_wallets")
	bExceptions  = []byte("screening_exceptions")
	bCheckpoints = []byte("screening_checkpoints")
)

// Store is a screening.StatusStore on bbolt.
type Store struct{ db *bolt.DB }

var _ screening.StatusStore = (*Store)(nil)

// New creates the buckets if needed and returns the store.
func New(db *bolt.DB) (*Store, error) {
	err := db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bInvestors, bWallets, bExceptions, bCheckpoints} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstatus: create buckets: %w", err)
	}
	return &Store{db: db}, nil
}

func (s *Store) get(bucket []byte, key string, v any) (bool, error) {
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		raw := tx.Bucket(bucket).Get([]byte(key))
		if raw == nil {
			return nil
		}
		found = true
		return json.Unmarshal(raw, v)
	})
	if err != nil {
		return false, fmt.Errorf("boltstatus: %w", err)
	}
	return found, nil
}

func (s *Store) put(bucket []byte, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("boltstatus: %w", err)
	}
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucket).Put([]byte(key), raw) }); err != nil {
		return fmt.Errorf("boltstatus: %w", err)
	}
	return nil
}

// Investor implements screening.StatusStore.
func (s *Store) Investor(_ context.Context, id string) (screening.StatusRecord, bool, error) {
	var r screening.StatusRecord
	ok, err := s.get(bInvestors, id, &r)
	return r, ok, err
}

// PutInvestor implements screening.StatusStore.
func (s *Store) PutInvestor(_ context.Context, r screening.StatusRecord) error {
	if err := screening.ValidateRecord(&r); err != nil {
		return err
	}
	return s.put(bInvestors, r.Subject, r)
}

// Wallet implements screening.StatusStore.
func (s *Store) Wallet(_ context.Context, addr string) (screening.StatusRecord, bool, error) {
	var r screening.StatusRecord
	ok, err := s.get(bWallets, addr, &r)
	return r, ok, err
}

// PutWallet implements screening.StatusStore.
func (s *Store) PutWallet(_ context.Context, r screening.StatusRecord) error {
	if err := screening.ValidateRecord(&r); err != nil {
		return err
	}
	return s.put(bWallets, r.Subject, r)
}

// exception keys are investor id + NUL + exception id, so an investor's
// exceptions are one prefix scan.
func excKey(investorID, id string) string { return investorID + "\x00" + id }

// PutException implements screening.StatusStore.
func (s *Store) PutException(_ context.Context, e screening.Exception) error {
	if e.ID == "" || e.InvestorID == "" {
		return fmt.Errorf("boltstatus: exception without id or investor")
	}
	return s.put(bExceptions, excKey(e.InvestorID, e.ID), e)
}

// Exception implements screening.StatusStore.
func (s *Store) Exception(_ context.Context, id string) (screening.Exception, bool, error) {
	var out screening.Exception
	var found bool
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bExceptions).ForEach(func(k, v []byte) error {
			if found || !strings.HasSuffix(string(k), "\x00"+id) {
				return nil
			}
			found = true
			return json.Unmarshal(v, &out)
		})
	})
	if err != nil {
		return screening.Exception{}, false, fmt.Errorf("boltstatus: %w", err)
	}
	return out, found, nil
}

// Exceptions implements screening.StatusStore.
func (s *Store) Exceptions(_ context.Context, investorID string) ([]screening.Exception, error) {
	var out []screening.Exception
	prefix := []byte(investorID + "\x00")
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bExceptions).Cursor()
		for k, v := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, v = c.Next() {
			var e screening.Exception
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("boltstatus: %w", err)
	}
	slices.SortStableFunc(out, func(a, b screening.Exception) int { return a.CreatedAt.Compare(b.CreatedAt) })
	return out, nil
}

// Checkpoint implements screening.StatusStore.
func (s *Store) Checkpoint(_ context.Context, key string) (string, bool, error) {
	var v string
	ok, err := s.get(bCheckpoints, key, &v)
	return v, ok, err
}

// SetCheckpoint implements screening.StatusStore.
func (s *Store) SetCheckpoint(_ context.Context, key, value string) error {
	return s.put(bCheckpoints, key, value)
}
