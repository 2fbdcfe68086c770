package boltstore_test

import (
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/storetest"
)

func open(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) registry.Store {
		db := open(t, filepath.Join(t.TempDir(), "clearance.db"))
		t.Cleanup(func() { db.Close() })
		s, err := boltstore.New(db, nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "clearance.db")
	db := open(t, path)
	s, err := boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	inv, err := s.CreateInvestor(ctx, storetest.Investor("inv-r"), registry.Change{Actor: "t"})
	if err != nil {
		t.Fatal(err)
	}
	seq, _ := s.Seq(ctx)
	db.Close()

	db = open(t, path)
	defer db.Close()
	s, err = boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Investor(ctx, "inv-r", time.Time{})
	if err != nil || got.Version != inv.Version || got.Name != inv.Name {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	if s2, _ := s.Seq(ctx); s2 != seq || seq == 0 {
		t.Fatalf("seq after reopen %d, before %d", s2, seq)
	}
}
