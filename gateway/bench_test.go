package gateway_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/clearancehq/clearance/examples/exampledata"
	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	"github.com/clearancehq/clearance/gateway/decisionlog"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/gateway/verdictcache"
	"github.com/clearancehq/clearance/policies/library"
	"github.com/clearancehq/clearance/policies/source"
	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
)

// The full-Check benchmarks run the real shipped pack (one language at a
// time, as `serve --policy-engines` does) against the bbolt registry seeded
// with the example data, through an in-process gateway on loopback, with
// the bolt decision log on. Holdings, screening and AML are not wired (the
// composition root in cmd/clearance owns them), so these measure transport,
// fact gathering from the registry, evaluation of both scopes and logging.
//
//	go test -run '^$' -bench . -benchmem ./gateway/

// benchRequests are an ALLOW (issuance to an accredited, whitelisted
// investor) and a DENY with several reasons (blocked jurisdiction, retail).
var benchRequests = []*gatewayv1.CheckRequest{
	{Action: gatewayv1.Action_ISSUANCE, AssetId: "BOND-2030", ToWallet: "0xa11ce00000000000000000000000000000000001", Amount: "100000"},
	{Action: gatewayv1.Action_TRANSFER, AssetId: "BOND-2030", FromWallet: "0xa11ce00000000000000000000000000000000001", ToWallet: "0x62ace00000000000000000000000000000000001", Amount: "5000000"},
}

var benchBodies = []string{
	`{"action":"ISSUANCE","asset_id":"BOND-2030","to_wallet":"0xa11ce00000000000000000000000000000000001","amount":"100000"}`,
	`{"action":"TRANSFER","asset_id":"BOND-2030","from_wallet":"0xa11ce00000000000000000000000000000000001","to_wallet":"0x62ace00000000000000000000000000000000001","amount":"5000000"}`,
}

// onlyDir hides every top-level directory of the pack but keep.
type onlyDir struct {
	fs.FS
	drop string
}

func (f onlyDir) hidden(name string) bool {
	return name == f.drop || strings.HasPrefix(name, f.drop+"/")
}

func (f onlyDir) Open(name string) (fs.File, error) {
	if f.hidden(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return f.FS.Open(name)
}

func (f onlyDir) ReadDir(name string) ([]fs.DirEntry, error) {
	es, err := fs.ReadDir(f.FS, name)
	if err != nil {
		return nil, err
	}
	out := es[:0]
	for _, e := range es {
		if !f.hidden(path.Join(name, e.Name())) {
			out = append(out, e)
		}
	}
	return out, nil
}

type benchGateway struct {
	dec  *gateway.Decider
	url  string
	conn *grpc.ClientConn
}

// newBenchGateway starts a gateway with the shipped pack in language lang
// ("rego" or "cel"), optionally with the in-process verdict cache.
func newBenchGateway(b *testing.B, lang string, cached bool) *benchGateway {
	b.Helper()
	ctx := context.Background()
	drop := map[string]string{"rego": "cel", "cel": "rego"}[lang]
	bundle, err := source.Compile(ctx, onlyDir{library.FS(), drop})
	if err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(b.TempDir()+"/bench.db", 0o600, &bolt.Options{NoFreelistSync: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	reg, err := boltstore.New(db, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := exampledata.SeedRegistry(ctx, reg, registry.Change{}); err != nil {
		b.Fatal(err)
	}
	sink, err := decisionlog.NewBoltSink(db)
	if err != nil {
		b.Fatal(err)
	}
	dl, err := decisionlog.New(decisionlog.DefaultConfig(), sink, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(dl.Close)
	promReg := prometheus.NewRegistry()
	deps := gateway.Deps{Registry: reg, Engine: bundle, Log: dl}
	if cached {
		c, err := verdictcache.New(verdictcache.DefaultConfig(), nil, nil, promReg)
		if err != nil {
			b.Fatal(err)
		}
		deps.Cache = c
	}
	dec, err := gateway.NewDecider(deps, promReg)
	if err != nil {
		b.Fatal(err)
	}
	authn, err := auth.NewAuthenticator(nil, true)
	if err != nil {
		b.Fatal(err)
	}
	srv, err := gateway.NewServer(gateway.ServerConfig{Listen: "127.0.0.1:0", GRPCListen: "127.0.0.1:0", MaxBodyBytes: 4 << 20}, authn,
		[]gateway.Service{gateway.NewAPI(dec, dl, nil, 4)}, promReg, nil, nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &benchGateway{dec: dec, url: "http://" + srv.Addr(), conn: conn}
}

var benchVariants = []struct {
	name   string
	lang   string
	cached bool
}{
	{"rego", "rego", false},
	{"cel", "cel", false},
	{"rego_cached", "rego", true},
}

// BenchmarkCheckGRPC is one Check over the dedicated gRPC listener, serial.
func BenchmarkCheckGRPC(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			g := newBenchGateway(b, v.lang, v.cached)
			c := gatewayv1.NewGatewayServiceClient(g.conn)
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Check(ctx, benchRequests[i%len(benchRequests)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkCheckREST is one POST /v1/check (grpc-gateway), serial.
func BenchmarkCheckREST(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			g := newBenchGateway(b, v.lang, v.cached)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			ctx := context.Background()
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.url+"/v1/check", strings.NewReader(benchBodies[i%len(benchBodies)]))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"decision"`)) {
					b.Fatalf("HTTP %d: %s", resp.StatusCode, body)
				}
				i++
			}
		})
	}
}

// BenchmarkDeciderCheck is Decider.Check without any transport: fact
// gathering, both scopes, combining and logging.
func BenchmarkDeciderCheck(b *testing.B) {
	for _, v := range benchVariants {
		b.Run(v.name, func(b *testing.B) {
			g := newBenchGateway(b, v.lang, v.cached)
			ctx := auth.WithPrincipal(context.Background(), auth.Principal{Name: "bench"})
			reqs := make([]gateway.CheckRequest, len(benchRequests))
			for i, r := range benchRequests {
				cr, err := gateway.ToDomain(r, "bench")
				if err != nil {
					b.Fatal(err)
				}
				reqs[i] = cr
			}
			i := 0
			b.ReportAllocs()
			for b.Loop() {
				if _, err := g.dec.Check(ctx, reqs[i%len(reqs)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
