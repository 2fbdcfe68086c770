package sidecar_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/sidecar"
	"github.com/clearancehq/clearance/sidecar/sidecartest"
)

// echo is a test adapter: the request is the list of checks; Forward and
// Refuse answer with the outcome's kind.
type echo struct{ forwarded int }

func (e *echo) Name() string { return "echo" }
func (e *echo) Translate(_ context.Context, req []*gatewayv1.CheckRequest) (sidecar.Translation, error) {
	if len(req) == 1 && req[0].GetAmount() == "bad" {
		return sidecar.Translation{Key: "k"}, errors.New("bad amount")
	}
	return sidecar.Translation{Key: "tx-1", Checks: req}, nil
}
func (e *echo) Forward(_ context.Context, _ []*gatewayv1.CheckRequest, out sidecar.Outcome) (string, error) {
	e.forwarded++
	return "forwarded:" + out.Kind.String(), nil
}
func (e *echo) Refuse(_ context.Context, _ []*gatewayv1.CheckRequest, out sidecar.Outcome) (string, error) {
	return "refused:" + out.Kind.String() + ":" + out.CaseID, nil
}

func check(to string) *gatewayv1.CheckRequest {
	return &gatewayv1.CheckRequest{Action: gatewayv1.Action_TRANSFER, AssetId: "A", ToWallet: to, Amount: "1"}
}

func TestHandle(t *testing.T) {
	gw := sidecartest.NewGateway(t, func(c *gatewayv1.CheckRequest) *gatewayv1.Verdict {
		switch c.GetToWallet() {
		case "ok":
			return sidecartest.Allow()
		case "review":
			return sidecartest.Review("case-1", "AML")
		case "review-no-case":
			return sidecartest.Review("", "AML")
		case "unspecified":
			return &gatewayv1.Verdict{}
		}
		return sidecartest.Deny("NO")
	})
	cfg := sidecar.DefaultGatewayConfig()
	cfg.Address = gw.Addr()
	reg := prometheus.NewRegistry()
	r, err := sidecar.NewRunner(gw.Client(), cfg, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sidecar.NewRunner(gw.Client(), cfg, nil, reg); err != nil {
		t.Fatalf("second runner on the same registry: %v", err)
	}
	tests := []struct {
		name string
		req  []*gatewayv1.CheckRequest
		want string
	}{
		{"passthrough", nil, "forwarded:passthrough"},
		{"allow", []*gatewayv1.CheckRequest{check("ok")}, "forwarded:forwarded"},
		{"batch all allowed", []*gatewayv1.CheckRequest{check("ok"), check("ok")}, "forwarded:forwarded"},
		{"deny wins over review", []*gatewayv1.CheckRequest{check("ok"), check("review"), check("no")}, "refused:denied:"},
		{"review", []*gatewayv1.CheckRequest{check("ok"), check("review")}, "refused:review:case-1"},
		{"review remembers the case", []*gatewayv1.CheckRequest{check("review-no-case")}, "refused:review:case-1"},
		{"unspecified fails closed", []*gatewayv1.CheckRequest{check("unspecified")}, "refused:failed_closed:"},
		{"invalid", []*gatewayv1.CheckRequest{{Amount: "bad"}}, "refused:denied:"},
	}
	a := &echo{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := sidecar.Handle(t.Context(), r, a, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	reqs := gw.Requests()
	var ids []string
	for _, q := range reqs[:3] {
		ids = append(ids, q.GetRequestId())
	}
	if diff := cmp.Diff([]string{"tx-1", "tx-1#0", "tx-1#1"}, ids); diff != "" {
		t.Errorf("request ids (-want +got):\n%s", diff)
	}

	gw.SetHang(true)
	short := cfg
	short.Timeout, short.Retries = 50*time.Millisecond, 0
	r2, err := sidecar.NewRunner(gw.Client(), short, nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := sidecar.Handle(t.Context(), r2, a, []*gatewayv1.CheckRequest{check("ok")}); got != "refused:failed_closed:" {
		t.Errorf("hung gateway: %q", got)
	}
	gw.Stop()
	if got, _ := sidecar.Handle(t.Context(), r, a, []*gatewayv1.CheckRequest{check("ok")}); got != "refused:failed_closed:" {
		t.Errorf("stopped gateway: %q", got)
	}
	if a.forwarded != 3 {
		t.Errorf("forwarded %d times, want 3", a.forwarded)
	}
}

func TestRunnerConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*sidecar.GatewayConfig)
		ok     bool
	}{
		{"default", func(*sidecar.GatewayConfig) {}, true},
		{"no address", func(c *sidecar.GatewayConfig) { c.Address = "" }, false},
		{"no timeout", func(c *sidecar.GatewayConfig) { c.Timeout = 0 }, false},
		{"too many retries", func(c *sidecar.GatewayConfig) { c.Retries = 11 }, false},
		{"too many checks", func(c *sidecar.GatewayConfig) { c.MaxChecks = 10_001 }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := sidecar.DefaultGatewayConfig()
			tt.mutate(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, ok want %v", err, tt.ok)
			}
		})
	}
}

// fakeLedger records what LedgerReporter sends; unimplemented methods panic
// through the nil embedded interface.
type fakeLedger struct {
	sidecar.LedgerObservations
	transfer  *ledgerv1.ReportTransferRequest
	exception *ledgerv1.RecordExceptionRequest
	pages     [][]*ledgerv1.ReconciliationException
}

func (f *fakeLedger) ReportTransfer(_ context.Context, in *ledgerv1.ReportTransferRequest, _ ...grpc.CallOption) (*ledgerv1.ReportTransferResponse, error) {
	f.transfer = in
	return &ledgerv1.ReportTransferResponse{Recorded: true}, nil
}

func (f *fakeLedger) RecordException(_ context.Context, in *ledgerv1.RecordExceptionRequest, _ ...grpc.CallOption) (*ledgerv1.ReconciliationException, error) {
	f.exception = in
	return &ledgerv1.ReconciliationException{Id: "x-1"}, nil
}

func (f *fakeLedger) ListExceptions(_ context.Context, in *ledgerv1.ListExceptionsRequest, _ ...grpc.CallOption) (*ledgerv1.ListExceptionsResponse, error) {
	i := 0
	if in.GetPageToken() != "" {
		i = 1
	}
	resp := &ledgerv1.ListExceptionsResponse{Exceptions: f.pages[i]}
	if i+1 < len(f.pages) {
		resp.NextPageToken = "next"
	}
	return resp, nil
}

func TestLedgerReporter(t *testing.T) {
	f := &fakeLedger{pages: [][]*ledgerv1.ReconciliationException{
		{{Id: "a", Chain: "evm", Wallet: "0x1", Item: "transfer:0xab:0", Status: ledgerv1.ExceptionStatus_EXCEPTION_STATUS_OPEN}},
		{{Id: "b", Chain: "stellar", Wallet: "GA", Item: "balance"}, {Id: "c", Chain: "evm", Wallet: "0x2", Item: "balance", Status: ledgerv1.ExceptionStatus_EXCEPTION_STATUS_RESOLVED}},
	}}
	r := sidecar.NewLedgerReporter(f)
	ctx := t.Context()
	if err := r.ReportTransfer(ctx, sidecar.Transfer{Chain: "evm", AssetID: "A", TxHash: "0xab", LogIndex: 2, BlockNumber: 7, From: "0x1", To: "0x2", Amount: "5", ViaProxy: true, DecisionID: "d"}); err != nil {
		t.Fatal(err)
	}
	want := &ledgerv1.ReportTransferRequest{Chain: "evm", AssetId: "A", FromWallet: "0x1", ToWallet: "0x2", Amount: "5", TxRef: "0xab:2", Block: 7, ViaProxy: true, DecisionId: "d"}
	if diff := cmp.Diff(want.String(), f.transfer.String()); diff != "" {
		t.Errorf("ReportTransfer (-want +got):\n%s", diff)
	}
	id, err := r.RecordException(ctx, sidecar.Exception{Chain: "evm", AssetID: "A", Wallet: "0x1", Item: sidecar.ItemBalance, Expected: "1", Observed: "2", Difference: "1"})
	if err != nil || id != "x-1" || f.exception.GetItem() != "balance" {
		t.Errorf("RecordException = %q, %v, %v", id, err, f.exception)
	}
	got, err := r.ListExceptions(ctx, sidecar.ExceptionFilter{Chain: "evm"})
	if err != nil {
		t.Fatal(err)
	}
	var summary []string
	for _, x := range got {
		summary = append(summary, x.ID+" "+x.Kind+" "+x.Status)
	}
	if diff := cmp.Diff([]string{"a UNCLEARED_TRANSFER OPEN", "c BALANCE_MISMATCH RESOLVED"}, summary); diff != "" {
		t.Errorf("ListExceptions (-want +got):\n%s", diff)
	}
}
