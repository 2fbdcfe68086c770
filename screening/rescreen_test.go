package screening_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/clearancehq/clearance/screening"
)

func TestRescreenResumesAndReportsHits(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if _, err := svc.LoadPaths(ctx, fixtureFiles()...); err != nil {
		t.Fatal(err)
	}
	reg := fakeRegistry{"a": {Name: "Jane Ordinary"}, "b": {Name: "Nicolas Maduro Moros"}, "c": {Name: "John Plain"}}
	sc, _ := newScreener(t, svc, reg, time.Now)
	holders := []screening.Holder{{InvestorID: "a"}, {InvestorID: "b"}, {InvestorID: "c", Wallets: []string{"0x8576ACC5C05D6CE88F4E49BF65BDF0C62F91353C"}}}
	iter := func(ctx context.Context, after string, yield func(screening.Holder) error) error {
		for _, h := range holders {
			if h.InvestorID > after {
				if err := yield(h); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var hits []string
	stop := errors.New("crash")
	res, err := sc.Rescreen(ctx, iter, screening.RescreenOptions{OnHit: func(_ context.Context, h screening.Hit) error {
		if h.InvestorID == "c" {
			return stop // the action fails: the run stops before c is checkpointed
		}
		hits = append(hits, h.InvestorID+"/"+h.Match.Entry)
		return nil
	}})
	if !errors.Is(err, stop) || res.Done != 2 || res.Complete {
		t.Fatalf("first run = %+v, %v; want 2 done and the hook error", res, err)
	}
	var progress []string
	res, err = sc.Rescreen(ctx, iter, screening.RescreenOptions{
		OnHit: func(_ context.Context, h screening.Hit) error {
			hits = append(hits, h.InvestorID+h.Wallet+"/"+h.Match.Entry)
			return nil
		},
		Progress: func(p screening.RescreenProgress) { progress = append(progress, p.LastID) },
	})
	if err != nil || !res.Resumed || !res.Complete || res.Done != 1 {
		t.Fatalf("resumed run = %+v, %v", res, err)
	}
	want := []string{"b/OFAC-SDN:22790 MADURO MOROS, Nicolas", "c0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c/OFAC-SDN:29703 ANDREYEV, Anton Nikolaeyvich"}
	if !slices.Equal(hits, want) || !slices.Equal(progress, []string{"c"}) {
		t.Errorf("hits = %q progress = %q; want %q, [c]", hits, progress, want)
	}
	res, err = sc.Rescreen(ctx, iter, screening.RescreenOptions{})
	if err != nil || !res.Complete || res.Done != 0 {
		t.Errorf("completed version rerun = %+v, %v", res, err)
	}
}

func TestRefreshURLs(t *testing.T) {
	ctx := context.Background()
	files := map[string]string{}
	for _, p := range fixtureFiles() {
		files["/"+filepath.Base(p)] = p
	}
	broken := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if broken && r.URL.Path == "/sdn.csv" {
			w.Write([]byte("garbage"))
			return
		}
		p, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		data, _ := os.ReadFile(p)
		w.Write(data)
	}))
	defer srv.Close()
	var urls []string
	for name := range files {
		urls = append(urls, srv.URL+name)
	}
	svc := newService(t)
	set, err := svc.RefreshURLs(ctx, srv.Client(), urls...)
	if err != nil || set.Counts["OFAC-SDN"] != 6 {
		t.Fatalf("RefreshURLs = %+v, %v", set, err)
	}
	broken = true
	if _, err := svc.RefreshURLs(ctx, srv.Client(), urls...); err == nil {
		t.Fatal("broken list loaded")
	}
	if st := svc.Status(); st.LastError == "" || svc.ListVersion() != set.Version {
		t.Errorf("after broken refresh: %+v, version %s want %s", st, svc.ListVersion(), set.Version)
	}
	if _, err := svc.RefreshURLs(ctx, srv.Client(), srv.URL+"/missing.xml"); err == nil {
		t.Error("404 accepted")
	}
}
