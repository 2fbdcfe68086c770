package ledger_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry/ledger"
	ledgerbolt "github.com/clearancehq/clearance/registry/ledger/boltstore"
	"github.com/clearancehq/clearance/registry/ledger/ledgertest"
	"github.com/clearancehq/clearance/registry/ledger/pgstore"
)

// Environment of the crash child (issue 4 §7): the parent re-executes the
// test binary with these set and SIGKILLs it in the middle of its stream.
const (
	envCrashChild = "CLEARANCE_LEDGER_CRASH_CHILD" // "bolt" or "postgres"
	envCrashBolt  = "CLEARANCE_LEDGER_CRASH_BOLT"  // bbolt file
	envCrashDSN   = "CLEARANCE_LEDGER_CRASH_DSN"
	envCrashSch   = "CLEARANCE_LEDGER_CRASH_SCHEMA"
	// crashStreamMax bounds the child's stream if it is never killed.
	crashStreamMax = 100000
)

// The stream is a cycle of crashCycle operations on the ledgertest fixture.
const crashCycle = 9

// crashKey is the idempotency key of stream step i.
func crashKey(i int) string { return fmt.Sprintf("crash-%06d", i) }

// crashAck is what the child reports for an acknowledged step.
type crashAck struct {
	step int
	key  string
	opID string
	seqs string
}

// crashStep executes stream step i on l (or replays it: the same key and
// body) and returns the operation that acknowledges it.
func crashStep(ctx context.Context, l *ledger.Ledger, i int) (*ledger.Operation, error) {
	r, key := i/crashCycle, crashKey(i)
	m := ledger.Meta{IdempotencyKey: key, Actor: "crash-test"}
	invA, invB := fmt.Sprintf("ia-%06d", r), fmt.Sprintf("ib-%06d", r)
	switch i % crashCycle {
	case 0:
		return l.Mint(ctx, ledger.MintRequest{Meta: m, AssetID: ledgertest.Asset, Amount: 1000})
	case 1:
		return l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m, AssetID: ledgertest.Asset, InvestmentID: invA, InvestorID: "alice", Wallet: ledgertest.Alice, Amount: 300})
	case 2:
		return l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m, AssetID: ledgertest.Asset, InvestmentID: invA})
	case 3:
		return l.DistributeInvestment(ctx, ledger.InvestmentRequest{Meta: m, AssetID: ledgertest.Asset, InvestmentID: invA})
	case 4:
		return l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m, AssetID: ledgertest.Asset, InvestmentID: invB, InvestorID: "bob", Wallet: ledgertest.Bob, Amount: 200})
	case 5:
		return l.ConfirmInvestment(ctx, ledger.InvestmentRequest{Meta: m, AssetID: ledgertest.Asset, InvestmentID: invB})
	case 6:
		res, err := l.DistributeBatch(ctx, ledgertest.Asset, key, "crash-test")
		if err != nil {
			return nil, err
		}
		if len(res.Operations) != 1 || len(res.Errors) != 0 {
			return nil, fmt.Errorf("batch %s: %d operations, errors %v", key, len(res.Operations), res.Errors)
		}
		return res.Operations[0], nil
	case 7:
		return l.Transfer(ctx, ledger.TransferRequest{Meta: m, AssetID: ledgertest.Asset, From: ledgertest.Alice, To: ledgertest.Bob, Amount: 50})
	default:
		return l.Transfer(ctx, ledger.TransferRequest{Meta: m, AssetID: ledgertest.Asset, From: ledgertest.Bob, To: ledgertest.Alice2, Amount: 20})
	}
}

// crashMoneyKey is the key under which step i's bucket or balance change is
// recorded (a batch distributes under "<batch key>/<investment id>").
func crashMoneyKey(i int) string {
	if i%crashCycle == 6 {
		return fmt.Sprintf("%s/ib-%06d", crashKey(i), i/crashCycle)
	}
	return crashKey(i)
}

// crashMoneyEvents are the event types that move value, one per step.
var crashMoneyEvents = []string{ledger.EvMint, ledger.EvReserve, ledger.EvConfirm, ledger.EvDistributed, ledger.EvTransfer}

// crashModel is the state the first n steps imply.
type crashModel struct {
	b                  ledger.Buckets
	alice, alice2, bob int64
}

func modelAfter(n int) crashModel {
	var m crashModel
	for i := range n {
		switch i % crashCycle {
		case 0:
			m.b.Treasury += 1000
			m.b.Total += 1000
		case 1:
			m.b.Treasury -= 300
			m.b.Reserved += 300
		case 2:
			m.b.Reserved -= 300
			m.b.Confirmed += 300
		case 3:
			m.b.Confirmed -= 300
			m.b.Distributed += 300
			m.alice += 300
		case 4:
			m.b.Treasury -= 200
			m.b.Reserved += 200
		case 5:
			m.b.Reserved -= 200
			m.b.Confirmed += 200
		case 6:
			m.b.Confirmed -= 200
			m.b.Distributed += 200
			m.bob += 200
		case 7:
			m.alice -= 50
			m.bob += 50
		default:
			m.bob -= 20
			m.alice2 += 20
		}
	}
	return m
}

func observed(t *testing.T, ctx context.Context, l *ledger.Ledger) crashModel {
	t.Helper()
	var m crashModel
	var err error
	if m.b, err = l.Buckets(ctx, ledgertest.Asset); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		addr string
		dst  *int64
	}{{ledgertest.Alice, &m.alice}, {ledgertest.Alice2, &m.alice2}, {ledgertest.Bob, &m.bob}} {
		h, err := l.WalletBalance(ctx, ledgertest.Asset, w.addr)
		if err != nil {
			t.Fatal(err)
		}
		*w.dst = h.Balance
	}
	return m
}

func seqString(op *ledger.Operation) string {
	parts := make([]string, len(op.EventSeqs))
	for i, s := range op.EventSeqs {
		parts[i] = strconv.FormatInt(s, 10)
	}
	return strings.Join(parts, ",")
}

// TestLedgerCrashChild is the child process of TestLedgerCrash; it is
// skipped unless CLEARANCE_LEDGER_CRASH_CHILD is set. It runs the stream
// and prints one ACK line per acknowledged step, until it is killed.
func TestLedgerCrashChild(t *testing.T) {
	kind := os.Getenv(envCrashChild)
	if kind == "" {
		t.Skip("crash child: run by TestLedgerCrash")
	}
	ctx := context.Background()
	store := openCrashStore(t, kind, os.Getenv(envCrashBolt), os.Getenv(envCrashDSN), os.Getenv(envCrashSch))
	l, err := ledger.New(store, ledgertest.NewRegistry(t, 0), ledgertest.NewClearer(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range crashStreamMax {
		op, err := crashStep(ctx, l, i)
		if err != nil {
			fmt.Printf("ERR %d %v\n", i, err)
			t.Fatalf("step %d: %v", i, err)
		}
		// The acknowledgement: printed only after the call returned.
		fmt.Printf("ACK %d %s %s %s %s\n", i, crashKey(i), op.ID, op.Status, seqString(op))
	}
}

// openCrashStore opens the ledger store the child and the restarted parent
// share.
func openCrashStore(t *testing.T, kind, boltPath, dsn, schema string) ledger.Store {
	t.Helper()
	switch kind {
	case "bolt":
		db, err := bbolt.Open(boltPath, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		s, err := ledgerbolt.New(db)
		if err != nil {
			t.Fatal(err)
		}
		return s
	case "postgres":
		cfg, err := pgxpool.ParseConfig(dsn)
		if err != nil {
			t.Fatal(err)
		}
		cfg.ConnConfig.RuntimeParams["search_path"] = schema
		cfg.MaxConns = 4
		pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		s, err := pgstore.New(pool)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Fatalf("unknown crash store %q", kind)
	return nil
}

// TestLedgerCrash kills a ledger process with SIGKILL during a stream of
// operations (mint, reserve/confirm/distribute, batch distribution,
// transfers), restarts a ledger on the same store and checks that the
// invariants hold, that no acknowledged operation is lost, that replaying
// acknowledged keys returns the original results and applies nothing
// twice, and that the balances are those the operations imply.
func TestLedgerCrash(t *testing.T) {
	if os.Getenv(envCrashChild) != "" {
		t.Skip("in the crash child")
	}
	t.Run("bolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ledger.db")
		runCrash(t, []string{envCrashChild + "=bolt", envCrashBolt + "=" + path}, func() ledger.Store {
			return openCrashStore(t, "bolt", path, "", "")
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := os.Getenv("CLEARANCE_TEST_POSTGRES_DSN")
		if dsn == "" {
			dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
		}
		schema := crashSchema(t, dsn)
		runCrash(t, []string{envCrashChild + "=postgres", envCrashDSN + "=" + dsn, envCrashSch + "=" + schema}, func() ledger.Store {
			return openCrashStore(t, "postgres", "", dsn, schema)
		})
	})
}

// crashSchema creates and migrates a schema of its own, dropped at cleanup.
func crashSchema(t *testing.T, dsn string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "ledger_crash_" + hex.EncodeToString(b)
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("postgres at %s: %v", dsn, err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close(ctx)
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		_ = admin.Close(context.Background())
	})
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pgstore.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	return schema
}

// runCrash starts the child, kills it after a random number of
// acknowledgements, and checks the store it leaves behind.
func runCrash(t *testing.T, env []string, open func() ledger.Store) {
	ctx := context.Background()
	n, _ := rand.Int(rand.Reader, big.NewInt(5*crashCycle))
	killAfter := 3*crashCycle + int(n.Int64()) // lands on every kind of step

	cmd := exec.Command(os.Args[0], "-test.run=^TestLedgerCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acks []crashAck
	sc := bufio.NewScanner(stdout)
	killed := false
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || f[0] != "ACK" {
			if len(f) > 0 && f[0] == "ERR" {
				t.Errorf("child: %s", sc.Text())
			}
			continue
		}
		if len(f) != 6 || f[4] != ledger.OpApplied {
			t.Fatalf("bad ack line %q", sc.Text())
		}
		step, _ := strconv.Atoi(f[1])
		if step != len(acks) {
			t.Fatalf("ack %d out of order (want %d)", step, len(acks))
		}
		acks = append(acks, crashAck{step: step, key: f[2], opID: f[3], seqs: f[5]})
		if len(acks) == killAfter {
			// Acknowledgements already in the pipe are read on to EOF:
			// they were acknowledged before the kill.
			if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended after %d acks without being killed: %s", len(acks), stderr.String())
	}
	t.Logf("killed the child after %d acknowledged operations", len(acks))

	// Restart on the same store.
	l, err := ledger.New(open(), ledgertest.NewRegistry(t, 0), ledgertest.NewClearer(), ledger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkChain := func(stage string) int64 {
		t.Helper()
		vr, err := l.Verify(ctx)
		if err != nil || !vr.OK {
			t.Fatalf("%s: event chain: %+v %v", stage, vr, err)
		}
		if err := l.CheckInvariants(ctx, ledgertest.Asset); err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		return vr.Events
	}
	events := checkChain("after the crash")

	// Every acknowledged operation is there, as acknowledged.
	for _, a := range acks {
		op, err := l.Operation(ctx, a.opID)
		if err != nil {
			t.Fatalf("acknowledged %s lost: %v", a.key, err)
		}
		if op.Status != ledger.OpApplied || seqString(op) != a.seqs {
			t.Errorf("acknowledged %s: status %s seqs %s, acknowledged APPLIED %s", a.key, op.Status, seqString(op), a.seqs)
		}
	}

	// The state is what the acknowledged steps imply, or that plus the one
	// step in flight when the process died (committed, not acknowledged).
	got := observed(t, ctx, l)
	acked, inflight := modelAfter(len(acks)), modelAfter(len(acks)+1)
	if got != acked && got != inflight {
		t.Fatalf("state after the crash %+v\nwant (acknowledged) %+v\n  or (with the in-flight step) %+v", got, acked, inflight)
	}

	// Replaying every acknowledged key returns the original result and
	// applies nothing.
	for _, a := range acks {
		op, err := crashStep(ctx, l, a.step)
		if err != nil {
			t.Fatalf("replay %s: %v", a.key, err)
		}
		if !op.Replayed || op.ID != a.opID || op.Status != ledger.OpApplied || seqString(op) != a.seqs {
			t.Errorf("replay %s: id %s replayed %v status %s seqs %s; original %s %s", a.key, op.ID, op.Replayed, op.Status, seqString(op), a.opID, a.seqs)
		}
	}
	if after := observed(t, ctx, l); after != got {
		t.Fatalf("replaying acknowledged keys changed the state: %+v -> %+v", got, after)
	}
	if n := checkChain("after the replay"); n != events {
		t.Fatalf("replaying acknowledged keys appended %d events", n-events)
	}

	// The client retries the step in flight with its key and goes on: the
	// result is exactly the full stream, every step applied once.
	total := len(acks) + crashCycle + 1
	for i := len(acks); i < total; i++ {
		if _, err := crashStep(ctx, l, i); err != nil {
			t.Fatalf("step %d after restart: %v", i, err)
		}
	}
	checkChain("after the retry")
	if got, want := observed(t, ctx, l), modelAfter(total); got != want {
		t.Fatalf("state after the retried stream %+v, want %+v", got, want)
	}
	perKey := map[string]int{}
	var after int64
	for {
		evs, next, err := l.Events(ctx, ledgertest.Asset, "", after, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if slices.Contains(crashMoneyEvents, e.Type) {
				perKey[e.IdempotencyKey]++
			}
		}
		if next == 0 {
			break
		}
		after = next
	}
	for i := range total {
		if n := perKey[crashMoneyKey(i)]; n != 1 {
			t.Errorf("step %d (%s) moved value %d times, want once", i, crashMoneyKey(i), n)
		}
	}
	if len(perKey) != total {
		t.Errorf("%d keys moved value, want %d", len(perKey), total)
	}
}
