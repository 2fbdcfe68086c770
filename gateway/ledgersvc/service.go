package ledgersvc

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strconv"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/clearancehq/clearance/gateway/auth"
	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry/ledger"
)

// Service is the LedgerService implementation. It satisfies gateway.Service.
type Service struct {
	ledgerv1.UnimplementedLedgerServiceServer
	l   *ledger.Ledger
	log *slog.Logger
}

// New serves l; logger nil discards.
func New(l *ledger.Ledger, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Service{l: l, log: logger}
}

// RegisterGRPC registers the service on s.
func (s *Service) RegisterGRPC(g *grpc.Server) { ledgerv1.RegisterLedgerServiceServer(g, s) }

// RegisterHTTP registers the REST routes, calling the service through conn.
func (s *Service) RegisterHTTP(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	return ledgerv1.RegisterLedgerServiceHandler(ctx, mux, conn)
}

var (
	issuer    = []string{auth.RoleAdmin, auth.RoleAgent}
	movers    = []string{auth.RoleVenue, auth.RoleWallet, auth.RoleAgent}
	agentOnly = []string{auth.RoleAgent}
	reviewer  = []string{auth.RoleReviewer}
	observers = []string{auth.RoleAgent, auth.RoleCompliance}
)

func require(ctx context.Context, roles ...string) (string, error) {
	p, err := auth.Require(ctx, roles...)
	if errors.Is(err, auth.ErrUnauthenticated) {
		return "", status.Error(codes.Unauthenticated, err.Error())
	}
	if err != nil {
		return "", status.Error(codes.PermissionDenied, err.Error())
	}
	return p.Name, nil
}

func meta(ctx context.Context, key string, roles ...string) (ledger.Meta, error) {
	actor, err := require(ctx, roles...)
	if err != nil {
		return ledger.Meta{}, err
	}
	if key == "" {
		return ledger.Meta{}, status.Error(codes.InvalidArgument, "idempotency_key: required")
	}
	return ledger.Meta{IdempotencyKey: key, Actor: actor}, nil
}

func amount(field, s string) (int64, error) {
	v, err := ledger.ParseAmount(field, s)
	if err != nil {
		return 0, toStatus(err)
	}
	return v, nil
}

// toStatus maps ledger errors to gRPC status errors.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok && !errors.Is(err, context.Canceled) {
		var se interface{ GRPCStatus() *status.Status }
		if errors.As(err, &se) {
			return err
		}
	}
	var re *ledger.RevenueError
	if errors.As(err, &re) {
		st := status.New(codes.FailedPrecondition, err.Error())
		if d, derr := st.WithDetails(&errdetails.ErrorInfo{Reason: re.Name, Domain: "clearance.ledger", Metadata: map[string]string{"code": strconv.Itoa(re.Code)}}); derr == nil {
			st = d
		}
		return st.Err()
	}
	switch {
	case errors.Is(err, ledger.ErrNotFound):
		return status.Error(codes.NotFound, err.Error())
	case errors.Is(err, ledger.ErrInvalid):
		return status.Error(codes.InvalidArgument, err.Error())
	case errors.Is(err, ledger.ErrIdempotencyConflict):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, ledger.ErrAlreadyClaimed):
		return status.Error(codes.AlreadyExists, err.Error())
	case errors.Is(err, ledger.ErrInsufficientBalance), errors.Is(err, ledger.ErrWrongState), errors.Is(err, ledger.ErrPaused),
		errors.Is(err, ledger.ErrFrozen), errors.Is(err, ledger.ErrPrerequisites), errors.Is(err, ledger.ErrRejected):
		return status.Error(codes.FailedPrecondition, err.Error())
	case errors.Is(err, ledger.ErrClearance):
		return status.Error(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.Error(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	return status.Error(codes.Internal, "ledger: internal error")
}

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, status.Errorf(codes.InvalidArgument, "%s: must be RFC 3339", field)
	}
	return t, nil
}

func reasons(rs []policies.Reason) []*ledgerv1.Reason {
	out := make([]*ledgerv1.Reason, 0, len(rs))
	for _, r := range rs {
		out = append(out, &ledgerv1.Reason{Code: r.Code, Message: r.Message, Policy: r.Policy, Observed: r.Observed, Limit: r.Limit, Reference: r.Reference, Effect: r.Effect})
	}
	return out
}

var opStatus = map[string]ledgerv1.OperationStatus{
	ledger.OpApplied: ledgerv1.OperationStatus_OPERATION_STATUS_APPLIED, ledger.OpPendingReview: ledgerv1.OperationStatus_OPERATION_STATUS_PENDING_REVIEW,
	ledger.OpRejected: ledgerv1.OperationStatus_OPERATION_STATUS_REJECTED, ledger.OpCancelled: ledgerv1.OperationStatus_OPERATION_STATUS_CANCELLED,
	ledger.OpFailed: ledgerv1.OperationStatus_OPERATION_STATUS_FAILED,
}

var invStatus = map[string]ledgerv1.InvestmentStatus{
	ledger.InvReserved: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_RESERVED, ledger.InvConfirmed: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_CONFIRMED,
	ledger.InvCancelled: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_CANCELLED, ledger.InvExpired: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_EXPIRED,
	ledger.InvInDistribution: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_IN_DISTRIBUTION, ledger.InvDistributed: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_DISTRIBUTED,
	ledger.InvDistributionFailed: ledgerv1.InvestmentStatus_INVESTMENT_STATUS_DISTRIBUTION_FAILED,
}

func investment(inv ledger.Investment) *ledgerv1.Investment {
	return &ledgerv1.Investment{InvestmentId: inv.ID, AssetId: inv.AssetID, InvestorId: inv.InvestorID, Wallet: inv.Wallet,
		Amount: strconv.FormatInt(inv.Amount, 10), Status: invStatus[inv.Status], Failure: inv.Failure, FailureReasons: reasons(inv.FailureReasons),
		CreatedAt: ts(inv.CreatedAt), UpdatedAt: ts(inv.UpdatedAt), Attempts: int32(inv.Attempts)}
}

func bucket(b ledger.BucketValue) *ledgerv1.Bucket {
	return &ledgerv1.Bucket{Value: strconv.FormatInt(b.Value, 10), TextValue: b.TextValue, Ticker: b.Ticker, Decimals: int32(b.Decimals)}
}

func balance(b ledger.Balance) *ledgerv1.AssetBalance {
	return &ledgerv1.AssetBalance{AssetId: b.AssetID, Total: bucket(b.Total), Treasury: bucket(b.Treasury), ReservedInvestments: bucket(b.ReservedInvestments),
		ConfirmedInvestments: bucket(b.ConfirmedInvestments), Distributed: bucket(b.Distributed), Redeemed: bucket(b.Redeemed)}
}

// result renders an operation; rejections come back as REJECTED results,
// not errors, so callers see the reasons.
func (s *Service) result(ctx context.Context, op *ledger.Operation, err error) (*ledgerv1.OperationResult, error) {
	if err != nil && (op == nil || !errors.Is(err, ledger.ErrRejected)) {
		return nil, toStatus(err)
	}
	r := &ledgerv1.OperationResult{OperationId: op.ID, Kind: op.Kind, Status: opStatus[op.Status], AssetId: op.AssetID, DecisionId: op.DecisionID,
		CaseId: op.CaseID, Reasons: reasons(op.Reasons), EventSeqs: op.EventSeqs, IdempotencyKey: op.IdempotencyKey, Replayed: op.Replayed,
		Error: op.Error, CreatedAt: ts(op.CreatedAt), SettledAt: ts(op.SettledAt), SettledBy: op.SettledBy, SettleNote: op.SettleNote}
	if op.InvestmentID != "" {
		if inv, err := s.l.Investment(ctx, op.AssetID, op.InvestmentID); err == nil {
			r.Investment = investment(inv)
		}
	}
	if op.AssetID != "" {
		if b, err := s.l.Balance(ctx, op.AssetID); err == nil {
			r.Balance = balance(b)
		}
	}
	return r, nil
}
