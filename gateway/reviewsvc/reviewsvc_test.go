package reviewsvc_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"go.etcd.io/bbolt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	reviewv1 "github.com/clearancehq/clearance/gateway/gen/review/v1"
	"github.com/clearancehq/clearance/gateway/reviewsvc"
	"github.com/clearancehq/clearance/screening/cases"
	"github.com/clearancehq/clearance/screening/cases/boltstore"
	"github.com/clearancehq/clearance/screening/cases/casestest"
)

// principal parses the test credential "Bearer name:role,role".
func principal(ctx context.Context) (context.Context, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get("authorization")
	if len(v) == 0 {
		return ctx, nil
	}
	name, roles, ok := strings.Cut(strings.TrimPrefix(v[0], "Bearer "), ":")
	if !ok {
		return nil, status.Error(codes.Unauthenticated, "bad test credential")
	}
	return auth.WithPrincipal(ctx, auth.Principal{Name: name, Roles: strings.Split(roles, ",")}), nil
}

type wrapped struct {
	grpc.ServerStream
	ctx context.Context
}

func (w wrapped) Context() context.Context { return w.ctx }

type env struct {
	q      *cases.Queue
	hook   *casestest.Recorder
	client reviewv1.ReviewServiceClient
	http   *httptest.Server
}

func setup(t *testing.T) *env {
	t.Helper()
	db, err := bbolt.Open(filepath.Join(t.TempDir(), "c.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st, err := boltstore.New(db)
	if err != nil {
		t.Fatal(err)
	}
	clk := casestest.NewClock(casestest.Start)
	q, err := cases.New(st, cases.Config{Clock: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	hook := casestest.NewRecorder(0)
	if err := q.AddSettler("ledger", hook.Settle); err != nil {
		t.Fatal(err)
	}
	svc := reviewsvc.New(q, nil)
	srv := grpc.NewServer(
		grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			ctx, err := principal(ctx)
			if err != nil {
				return nil, err
			}
			return h(ctx, req)
		}),
		grpc.StreamInterceptor(func(s any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			ctx, err := principal(ss.Context())
			if err != nil {
				return err
			}
			return h(s, wrapped{ss, ctx})
		}),
	)
	svc.RegisterGRPC(srv)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	// As gateway/server.go configures it.
	mux := runtime.NewServeMux(runtime.WithMarshalerOption(runtime.MIMEWildcard, &runtime.JSONPb{
		MarshalOptions: protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
	}))
	if err := svc.RegisterHTTP(t.Context(), mux, conn); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return &env{q: q, hook: hook, client: reviewv1.NewReviewServiceClient(conn), http: hs}
}

func as(ctx context.Context, name string, roles ...string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+name+":"+strings.Join(roles, ","))
}

func wantCode(t *testing.T, err error, want codes.Code) {
	t.Helper()
	if got := status.Code(err); got != want {
		t.Errorf("code = %v (%v), want %v", got, err, want)
	}
}

func TestFourEyesOverGRPC(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	c, err := e.q.Open(ctx, casestest.Request("d-4eyes", 85))
	if err != nil {
		t.Fatal(err)
	}
	r1, r2 := as(ctx, "r1", auth.RoleReviewer), as(ctx, "r2", auth.RoleReviewer)

	resp, err := e.client.ApproveCase(r1, &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "documents fine"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetCase().GetStatus(); got != reviewv1.CaseStatus_CASE_STATUS_OPEN || e.hook.Calls(c.ID) != 0 {
		t.Fatalf("one reviewer released the case: status %v, hook calls %d", got, e.hook.Calls(c.ID))
	}
	_, err = e.client.ApproveCase(r1, &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "again"})
	wantCode(t, err, codes.FailedPrecondition)
	if e.hook.Calls(c.ID) != 0 {
		t.Fatal("the same reviewer twice released the case")
	}

	resp, err = e.client.ApproveCase(r2, &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "concur"})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.GetCase(); got.GetStatus() != reviewv1.CaseStatus_CASE_STATUS_APPROVED || got.GetOutcome() != "ALLOW" || len(got.GetApprovals()) != 2 {
		t.Errorf("after two reviewers: %v %q approvals %d", got.GetStatus(), got.GetOutcome(), len(got.GetApprovals()))
	}
	// Idempotent and exactly once.
	if _, err := e.client.ApproveCase(as(ctx, "r3", auth.RoleReviewer), &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "late"}); err != nil {
		t.Errorf("approve approved: %v", err)
	}
	if n, err := e.q.ResumePending(ctx); err != nil || n != 0 {
		t.Errorf("ResumePending = %d, %v", n, err)
	}
	if n := e.hook.Calls(c.ID); n != 1 {
		t.Errorf("settle hook ran %d times, want 1", n)
	}
	_, err = e.client.RejectCase(r1, &reviewv1.RejectCaseRequest{CaseId: c.ID, Note: "too late"})
	wantCode(t, err, codes.FailedPrecondition)
}

func TestRolesAndErrors(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	c, err := e.q.Open(ctx, casestest.Request("d-roles", 30))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		call func() error
		want codes.Code
	}{
		{"self-approval", func() error {
			_, err := e.client.ApproveCase(as(ctx, "venue-1", auth.RoleReviewer, auth.RoleVenue), &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "mine"})
			return err
		}, codes.PermissionDenied},
		{"auditor cannot approve", func() error {
			_, err := e.client.ApproveCase(as(ctx, "aud", auth.RoleAuditor), &reviewv1.ApproveCaseRequest{CaseId: c.ID, Note: "x"})
			return err
		}, codes.PermissionDenied},
		{"compliance cannot assign", func() error {
			_, err := e.client.AssignCase(as(ctx, "comp", auth.RoleCompliance), &reviewv1.AssignCaseRequest{CaseId: c.ID})
			return err
		}, codes.PermissionDenied},
		{"auditor reads", func() error {
			_, err := e.client.GetCase(as(ctx, "aud", auth.RoleAuditor), &reviewv1.GetCaseRequest{CaseId: c.ID})
			return err
		}, codes.OK},
		{"compliance lists", func() error {
			_, err := e.client.ListCases(as(ctx, "comp", auth.RoleCompliance), &reviewv1.ListCasesRequest{Status: reviewv1.CaseStatus_CASE_STATUS_OPEN})
			return err
		}, codes.OK},
		{"venue cannot read", func() error {
			_, err := e.client.GetCase(as(ctx, "v", auth.RoleVenue), &reviewv1.GetCaseRequest{CaseId: c.ID})
			return err
		}, codes.PermissionDenied},
		{"unauthenticated", func() error {
			_, err := e.client.GetCase(ctx, &reviewv1.GetCaseRequest{CaseId: c.ID})
			return err
		}, codes.Unauthenticated},
		{"not found", func() error {
			_, err := e.client.GetCase(as(ctx, "r1", auth.RoleReviewer), &reviewv1.GetCaseRequest{CaseId: "case_nope"})
			return err
		}, codes.NotFound},
		{"note required", func() error {
			_, err := e.client.RejectCase(as(ctx, "r1", auth.RoleReviewer), &reviewv1.RejectCaseRequest{CaseId: c.ID})
			return err
		}, codes.InvalidArgument},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantCode(t, tc.call(), tc.want) })
	}
	got, err := e.client.GetCase(as(ctx, "r1", auth.RoleReviewer), &reviewv1.GetCaseRequest{CaseId: c.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetCase().GetStatus() != reviewv1.CaseStatus_CASE_STATUS_OPEN || len(got.GetCase().GetApprovals()) != 0 {
		t.Errorf("refused calls changed the case: %v", got.GetCase())
	}
}

func TestRESTApprove(t *testing.T) {
	e := setup(t)
	ctx := t.Context()
	c, err := e.q.Open(ctx, casestest.Request("d-rest", 10))
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, body, who string) *http.Response {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.http.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+who)
		resp, err := e.http.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = resp.Body.Close() })
		return resp
	}
	if resp := post("/v1/cases/"+c.ID+":assign", `{}`, "r1:reviewer"); resp.StatusCode != http.StatusOK {
		t.Fatalf("assign: HTTP %d", resp.StatusCode)
	}
	resp := post("/v1/cases/"+c.ID+":approve", `{"note":"looks fine"}`, "r1:reviewer")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: HTTP %d", resp.StatusCode)
	}
	var out struct {
		Case struct {
			CaseID   string `json:"case_id"`
			Status   string `json:"status"`
			Outcome  string `json:"outcome"`
			Assignee string `json:"assignee"`
		} `json:"case"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Case.CaseID != c.ID || out.Case.Status != "CASE_STATUS_APPROVED" || out.Case.Outcome != "ALLOW" || out.Case.Assignee != "r1" {
		t.Errorf("approve response = %+v", out.Case)
	}
	if e.hook.Calls(c.ID) != 1 {
		t.Errorf("hook calls = %d, want 1", e.hook.Calls(c.ID))
	}
	if resp := post("/v1/cases/"+c.ID+":reject", `{"note":"no"}`, "r2:reviewer"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("reject approved over REST: HTTP %d, want 400 (FailedPrecondition)", resp.StatusCode)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, e.http.URL+"/v1/cases?status=CASE_STATUS_APPROVED", nil)
	req.Header.Set("Authorization", "Bearer aud:auditor")
	lr, err := e.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer lr.Body.Close()
	var list struct {
		Cases []struct {
			CaseID string `json:"case_id"`
		} `json:"cases"`
	}
	if err := json.NewDecoder(lr.Body).Decode(&list); err != nil || lr.StatusCode != http.StatusOK {
		t.Fatalf("list: HTTP %d %v", lr.StatusCode, err)
	}
	if len(list.Cases) != 1 || list.Cases[0].CaseID != c.ID {
		t.Errorf("list = %+v", list)
	}
}

func TestWatchCases(t *testing.T) {
	e := setup(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stream, err := e.client.WatchCases(as(ctx, "comp", auth.RoleCompliance), &reviewv1.WatchCasesRequest{AssetId: "TKN"})
	if err != nil {
		t.Fatal(err)
	}
	// The subscription is live once the header arrives.
	if _, err := stream.Header(); err != nil {
		t.Fatal(err)
	}
	var c cases.Case
	got := make(chan *reviewv1.Case, 4)
	go func() {
		for {
			m, err := stream.Recv()
			if err != nil {
				close(got)
				return
			}
			got <- m.GetCase()
		}
	}()
	c, err = e.q.Open(ctx, casestest.Request("d-watch", 10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.q.Approve(ctx, c.ID, "r1", "ok"); err != nil {
		t.Fatal(err)
	}
	var statuses []reviewv1.CaseStatus
	for m := range got {
		if m.GetCaseId() == c.ID {
			statuses = append(statuses, m.GetStatus())
		}
		if m.GetStatus() == reviewv1.CaseStatus_CASE_STATUS_APPROVED {
			break
		}
	}
	if len(statuses) == 0 || statuses[len(statuses)-1] != reviewv1.CaseStatus_CASE_STATUS_APPROVED {
		t.Errorf("watched statuses = %v, want ending in APPROVED", statuses)
	}
	cancel()
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("watch timed out")
	}
}

var _ gateway.Service = (*reviewsvc.Service)(nil)
