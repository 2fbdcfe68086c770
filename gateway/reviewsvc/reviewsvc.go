package reviewsvc

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/clearancehq/clearance/gateway/auth"
	reviewv1 "github.com/clearancehq/clearance/gateway/gen/review/v1"
	"github.com/clearancehq/clearance/screening/cases"
)

// Queue is the part of *cases.Queue the service calls.
type Queue interface {
	Get(ctx context.Context, id string) (cases.Case, error)
	List(ctx context.Context, f cases.Filter) ([]cases.Case, string, error)
	Assign(ctx context.Context, id, actor, assignee, note string) (cases.Case, error)
	Comment(ctx context.Context, id, actor, note string) (cases.Case, error)
	Approve(ctx context.Context, id, actor, note string) (cases.Case, error)
	Reject(ctx context.Context, id, actor, note string) (cases.Case, error)
	Watch(ctx context.Context) <-chan cases.Case
}

// Service implements reviewv1.ReviewServiceServer and gateway.Service.
type Service struct {
	reviewv1.UnimplementedReviewServiceServer
	q   Queue
	log *slog.Logger
}

var _ reviewv1.ReviewServiceServer = (*Service)(nil)

// New returns the review service over q; log nil discards.
func New(q Queue, log *slog.Logger) *Service {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{q: q, log: log.With("component", "reviewsvc")}
}

// RegisterGRPC registers the service on s.
func (s *Service) RegisterGRPC(g *grpc.Server) { reviewv1.RegisterReviewServiceServer(g, s) }

// RegisterHTTP registers the REST routes, which call the gRPC service
// through conn so interceptors run.
func (s *Service) RegisterHTTP(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	return reviewv1.RegisterReviewServiceHandler(ctx, mux, conn)
}

var readRoles = []string{auth.RoleReviewer, auth.RoleCompliance, auth.RoleAuditor}

func (s *Service) errStatus(ctx context.Context, err error) error {
	switch {
	case errors.Is(err, auth.ErrUnauthenticated):
		return status.Error(codes.Unauthenticated, "authentication required")
	case errors.Is(err, auth.ErrPermissionDenied):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, cases.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, cases.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, cases.ErrSelfApproval):
		return status.Error(codes.PermissionDenied, err.Error())
	case errors.Is(err, cases.ErrWrongState), errors.Is(err, cases.ErrAlreadyApproved), errors.Is(err, cases.ErrExpired):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, "canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "deadline exceeded")
	}
	s.log.ErrorContext(ctx, "review queue error", "err", err)
	return status.Error(codes.Internal, "internal error")
}

var statusToProto = map[cases.Status]reviewv1.CaseStatus{
	cases.StatusOpen:     reviewv1.CaseStatus_CASE_STATUS_OPEN,
	cases.StatusAssigned: reviewv1.CaseStatus_CASE_STATUS_ASSIGNED,
	cases.StatusApproved: reviewv1.CaseStatus_CASE_STATUS_APPROVED,
	cases.StatusRejected: reviewv1.CaseStatus_CASE_STATUS_REJECTED,
	cases.StatusExpired:  reviewv1.CaseStatus_CASE_STATUS_EXPIRED,
}

func ts(t time.Time) *timestamppb.Timestamp {
	if t.IsZero() {
		return nil
	}
	return timestamppb.New(t)
}

func toProto(c cases.Case) *reviewv1.Case {
	out := &reviewv1.Case{
		CaseId: c.ID, DecisionId: c.DecisionID, Origin: c.Origin, Action: c.Action, AssetId: c.AssetID,
		Amount: strconv.FormatInt(c.Amount, 10), RiskScore: c.RiskScore, Status: statusToProto[c.Status],
		Assignee: c.Assignee, RequiredApprovals: int32(c.RequiredApprovals), RequestedBy: c.RequestedBy,
		CreatedAt: ts(c.CreatedAt), UpdatedAt: ts(c.UpdatedAt), SlaDeadline: ts(c.SLADeadline), ExpiresAt: ts(c.ExpiresAt),
		SettledAt: ts(c.SettledAt), Outcome: c.Outcome,
	}
	for _, p := range c.Parties {
		out.Parties = append(out.Parties, &reviewv1.Party{Role: p.Role, Wallet: p.Wallet, InvestorId: p.InvestorID})
	}
	for _, r := range c.Reasons {
		out.Reasons = append(out.Reasons, &reviewv1.Reason{Code: r.Code, Message: r.Message, Policy: r.Policy, Observed: r.Observed, Limit: r.Limit, Reference: r.Reference, Effect: r.Effect})
	}
	for _, a := range c.Approvals {
		out.Approvals = append(out.Approvals, &reviewv1.Approval{Reviewer: a.Reviewer, At: ts(a.At), Note: a.Note})
	}
	for _, h := range c.History {
		out.History = append(out.History, &reviewv1.HistoryEntry{Actor: h.Actor, Action: h.Action, At: ts(h.At), Note: h.Note})
	}
	return out
}

// ListCases lists cases with filters and paging.
func (s *Service) ListCases(ctx context.Context, req *reviewv1.ListCasesRequest) (*reviewv1.ListCasesResponse, error) {
	if _, err := auth.Require(ctx, readRoles...); err != nil {
		return nil, s.errStatus(ctx, err)
	}
	f := cases.Filter{AssetID: req.GetAssetId(), Assignee: req.GetAssignee(), MinRisk: req.GetMinRiskScore(), PageSize: int(req.GetPageSize()), PageToken: req.GetPageToken()}
	if st := req.GetStatus(); st != reviewv1.CaseStatus_CASE_STATUS_UNSPECIFIED {
		for k, v := range statusToProto {
			if v == st {
				f.Status = k
			}
		}
		if f.Status == "" {
			return nil, status.Error(codes.InvalidArgument, "status: unknown value")
		}
	}
	cs, next, err := s.q.List(ctx, f)
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	resp := &reviewv1.ListCasesResponse{NextPageToken: next}
	for _, c := range cs {
		resp.Cases = append(resp.Cases, toProto(c))
	}
	return resp, nil
}

// GetCase returns one case.
func (s *Service) GetCase(ctx context.Context, req *reviewv1.GetCaseRequest) (*reviewv1.GetCaseResponse, error) {
	if _, err := auth.Require(ctx, readRoles...); err != nil {
		return nil, s.errStatus(ctx, err)
	}
	c, err := s.q.Get(ctx, req.GetCaseId())
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	return &reviewv1.GetCaseResponse{Case: toProto(c)}, nil
}

// AssignCase assigns a case (to the caller by default).
func (s *Service) AssignCase(ctx context.Context, req *reviewv1.AssignCaseRequest) (*reviewv1.AssignCaseResponse, error) {
	p, err := auth.Require(ctx, auth.RoleReviewer)
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	c, err := s.q.Assign(ctx, req.GetCaseId(), p.Name, req.GetAssignee(), req.GetNote())
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	return &reviewv1.AssignCaseResponse{Case: toProto(c)}, nil
}

// CommentCase adds a note.
func (s *Service) CommentCase(ctx context.Context, req *reviewv1.CommentCaseRequest) (*reviewv1.CommentCaseResponse, error) {
	p, err := auth.Require(ctx, auth.RoleReviewer)
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	c, err := s.q.Comment(ctx, req.GetCaseId(), p.Name, req.GetNote())
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	return &reviewv1.CommentCaseResponse{Case: toProto(c)}, nil
}

// ApproveCase records the caller's approval.
func (s *Service) ApproveCase(ctx context.Context, req *reviewv1.ApproveCaseRequest) (*reviewv1.ApproveCaseResponse, error) {
	p, err := auth.Require(ctx, auth.RoleReviewer)
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	c, err := s.q.Approve(ctx, req.GetCaseId(), p.Name, req.GetNote())
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	s.log.InfoContext(ctx, "case approved", "case", c.ID, "reviewer", p.Name, "status", c.Status)
	return &reviewv1.ApproveCaseResponse{Case: toProto(c)}, nil
}

// RejectCase rejects a case.
func (s *Service) RejectCase(ctx context.Context, req *reviewv1.RejectCaseRequest) (*reviewv1.RejectCaseResponse, error) {
	p, err := auth.Require(ctx, auth.RoleReviewer)
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	c, err := s.q.Reject(ctx, req.GetCaseId(), p.Name, req.GetNote())
	if err != nil {
		return nil, s.errStatus(ctx, err)
	}
	s.log.InfoContext(ctx, "case rejected", "case", c.ID, "reviewer", p.Name)
	return &reviewv1.RejectCaseResponse{Case: toProto(c)}, nil
}

// WatchCases streams updates until the client goes away. A client that
// falls behind gets ResourceExhausted and should re-list and re-watch.
func (s *Service) WatchCases(req *reviewv1.WatchCasesRequest, stream grpc.ServerStreamingServer[reviewv1.WatchCasesResponse]) error {
	ctx := stream.Context()
	if _, err := auth.Require(ctx, readRoles...); err != nil {
		return s.errStatus(ctx, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := s.q.Watch(ctx)
	// The header tells the client the subscription is live.
	if err := stream.SendHeader(metadata.MD{}); err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case c, ok := <-ch:
			if !ok {
				if ctx.Err() != nil {
					return nil
				}
				return status.Error(codes.ResourceExhausted, "watcher fell behind; re-list and watch again")
			}
			if (req.GetAssetId() != "" && c.AssetID != req.GetAssetId()) || (req.GetCaseId() != "" && c.ID != req.GetCaseId()) {
				continue
			}
			if err := stream.Send(&reviewv1.WatchCasesResponse{Case: toProto(c)}); err != nil {
				return err
			}
		}
	}
}
