package pgmigrate_test

import (
	"sync"
	"testing"
	"testing/fstest"

	"github.com/clearancehq/clearance/registry/postgres/pgtest"

	"github.com/clearancehq/clearance/registry/pgmigrate"
)

func TestApplyOnceInOrderConcurrently(t *testing.T) {
	p := pgtest.NewPool(t)
	ctx := t.Context()
	fsys := fstest.MapFS{
		"migrations/001_a.sql": {Data: []byte(`CREATE TABLE demo_a (n int); INSERT INTO demo_a VALUES (1);`)},
		"migrations/002_b.sql": {Data: []byte(`INSERT INTO demo_a SELECT max(n)+1 FROM demo_a;`)},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- pgmigrate.Apply(ctx, p, "demo", fsys, nil) }()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var rows, max int
	if err := p.QueryRow(ctx, `SELECT count(*), max(n) FROM demo_a`).Scan(&rows, &max); err != nil {
		t.Fatal(err)
	}
	if rows != 2 || max != 2 {
		t.Fatalf("migrations applied %d rows, max %d; want each once, in order", rows, max)
	}
	// A failing migration applies nothing of its batch.
	fsys["migrations/003_c.sql"] = &fstest.MapFile{Data: []byte(`INSERT INTO demo_a VALUES (3);`)}
	fsys["migrations/004_bad.sql"] = &fstest.MapFile{Data: []byte(`SELECT * FROM no_such_table;`)}
	if err := pgmigrate.Apply(ctx, p, "demo", fsys, nil); err == nil {
		t.Fatal("a broken migration was accepted")
	}
	if err := p.QueryRow(ctx, `SELECT count(*) FROM demo_a`).Scan(&rows); err != nil || rows != 2 {
		t.Fatalf("half-applied batch: %d rows, %v", rows, err)
	}
	if err := pgmigrate.Apply(ctx, p, "Bad-Name", fsys, nil); err == nil {
		t.Fatal("bad component name accepted")
	}
}
