package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"

	"github.com/clearancehq/clearance/gateway/auth"
	"github.com/clearancehq/clearance/gateway/decisionlog"
	gatewayv1 "github.com/clearancehq/clearance/gateway/gen/gateway/v1"
	"github.com/clearancehq/clearance/policies"
)

// MaxBatch is the largest CheckBatch accepted.
const MaxBatch = 10000

// PolicyStatusFunc reports the policy watcher's status.
type PolicyStatusFunc func() *gatewayv1.PolicyStatus

// API implements the decision API (clearance.gateway.v1.GatewayService).
type API struct {
	gatewayv1.UnimplementedGatewayServiceServer
	dec          *Decider
	log          *decisionlog.Logger
	policyStatus PolicyStatusFunc
	batchWorkers int
	eligTTL      time.Duration
}

var _ Service = (*API)(nil)

// NewAPI returns the decision API over dec. log and status may be nil.
func NewAPI(dec *Decider, log *decisionlog.Logger, status PolicyStatusFunc, batchWorkers int) *API {
	return &API{dec: dec, log: log, policyStatus: status, batchWorkers: batchWorkers, eligTTL: 60 * time.Second}
}

// RegisterGRPC implements Service.
func (a *API) RegisterGRPC(s *grpc.Server) { gatewayv1.RegisterGatewayServiceServer(s, a) }

// RegisterHTTP implements Service.
func (a *API) RegisterHTTP(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	return gatewayv1.RegisterGatewayServiceHandler(ctx, mux, conn)
}

var actionNames = map[gatewayv1.Action]policies.Action{
	gatewayv1.Action_ISSUANCE: policies.ActionIssuance, gatewayv1.Action_TRANSFER: policies.ActionTransfer,
	gatewayv1.Action_REDEMPTION: policies.ActionRedemption, gatewayv1.Action_DISTRIBUTION: policies.ActionDistribution,
	gatewayv1.Action_BURN: policies.ActionBurn, gatewayv1.Action_RECOVERY: policies.ActionRecovery,
	gatewayv1.Action_FORCED_TRANSFER: policies.ActionForcedTransfer,
}

// ToDomain converts a proto CheckRequest.
func ToDomain(r *gatewayv1.CheckRequest, caller string) (CheckRequest, error) {
	if r == nil {
		return CheckRequest{}, &FieldError{"request", "is required"}
	}
	act, ok := actionNames[r.GetAction()]
	if !ok {
		return CheckRequest{}, &FieldError{"action", fmt.Sprintf("is required and must be one of ISSUANCE, TRANSFER, REDEMPTION, DISTRIBUTION, BURN, RECOVERY, FORCED_TRANSFER (got %s)", r.GetAction())}
	}
	cr := CheckRequest{Action: act, AssetID: r.GetAssetId(), FromWallet: strings.TrimSpace(r.GetFromWallet()), ToWallet: strings.TrimSpace(r.GetToWallet()),
		Amount: strings.TrimSpace(r.GetAmount()), Venue: r.GetVenue(), RequestID: r.GetRequestId(), Caller: caller, Origin: "api"}
	if r.GetAt() != "" {
		t, err := time.Parse(time.RFC3339Nano, r.GetAt())
		if err != nil {
			return CheckRequest{}, &FieldError{"at", "must be an RFC 3339 timestamp"}
		}
		cr.At = t
	}
	return cr, nil
}

// ReasonsToProto converts reasons.
func ReasonsToProto(rs []policies.Reason) []*gatewayv1.Reason {
	out := make([]*gatewayv1.Reason, 0, len(rs))
	for _, r := range rs {
		out = append(out, &gatewayv1.Reason{Code: r.Code, Message: r.Message, Policy: r.Policy, Observed: r.Observed, Limit: r.Limit, Reference: r.Reference, Effect: r.Effect})
	}
	return out
}

func effectToProto(e policies.Effect) gatewayv1.Decision {
	switch e {
	case policies.Allow:
		return gatewayv1.Decision_ALLOW
	case policies.Review:
		return gatewayv1.Decision_REVIEW
	default:
		return gatewayv1.Decision_DENY
	}
}

// VerdictToProto converts a verdict.
func VerdictToProto(v Verdict) *gatewayv1.Verdict {
	return &gatewayv1.Verdict{
		Decision: effectToProto(v.Decision), Reasons: ReasonsToProto(v.Reasons), DecisionId: v.DecisionID, PolicyRevision: v.Revision,
		EvaluatedAt: v.EvaluatedAt.UTC().Format(time.RFC3339Nano), Cached: v.Cached, Retryable: v.Retryable, ListVersion: v.ListVersion,
		AsOf: v.AsOf.UTC().Format(time.RFC3339Nano), Historical: v.Historical, CaseId: v.CaseID, RequestId: v.RequestID,
	}
}

func callerName(ctx context.Context) (string, error) {
	p, err := auth.Require(ctx)
	if err != nil {
		return "", err
	}
	return p.Name, nil
}

// Check implements GatewayService.Check.
func (a *API) Check(ctx context.Context, r *gatewayv1.CheckRequest) (*gatewayv1.Verdict, error) {
	caller, err := callerName(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	cr, err := ToDomain(r, caller)
	if err != nil {
		return nil, ToStatus(err)
	}
	v, err := a.dec.Check(ctx, cr)
	if err != nil {
		return nil, ToStatus(err)
	}
	return VerdictToProto(v), nil
}

// CheckBatch implements GatewayService.CheckBatch.
func (a *API) CheckBatch(ctx context.Context, r *gatewayv1.CheckBatchRequest) (*gatewayv1.CheckBatchResponse, error) {
	caller, err := callerName(ctx)
	if err != nil {
		return nil, ToStatus(err)
	}
	n := len(r.GetChecks())
	if n == 0 {
		return nil, ToStatus(&FieldError{"checks", "must contain at least one check"})
	}
	if n > MaxBatch {
		return nil, ToStatus(&FieldError{"checks", fmt.Sprintf("has %d items; the limit is %d", n, MaxBatch)})
	}
	items := make([]*gatewayv1.BatchItem, n)
	reqs := make([]CheckRequest, 0, n)
	idx := make([]int, 0, n)
	for i, c := range r.GetChecks() {
		cr, err := ToDomain(c, caller)
		if err == nil {
			err = Validate(&cr)
		}
		if err != nil {
			items[i] = &gatewayv1.BatchItem{Error: batchError(err)}
			continue
		}
		reqs = append(reqs, cr)
		idx = append(idx, i)
	}
	vs, errs := a.dec.CheckBatch(ctx, reqs, a.batchWorkers)
	for j, i := range idx {
		if errs[j] != nil {
			items[i] = &gatewayv1.BatchItem{Error: batchError(errs[j])}
			continue
		}
		items[i] = &gatewayv1.BatchItem{Verdict: VerdictToProto(vs[j])}
	}
	return &gatewayv1.CheckBatchResponse{Verdicts: items}, nil
}

func batchError(err error) *gatewayv1.BatchError {
	st := ToStatus(err)
	s, _ := status.FromError(st)
	be := &gatewayv1.BatchError{Code: strings.ToUpper(codeName(s.Code())), Message: s.Message()}
	var fe *FieldError
	if errors.As(err, &fe) {
		be.Field = fe.Field
	}
	return be
}

func codeName(c codes.Code) string {
	n := c.String()
	var b strings.Builder
	for i, r := range n {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// GetEligibility implements GatewayService.GetEligibility.
func (a *API) GetEligibility(ctx context.Context, r *gatewayv1.GetEligibilityRequest) (*gatewayv1.Eligibility, error) {
	if _, err := callerName(ctx); err != nil {
		return nil, ToStatus(err)
	}
	if r.GetAssetId() == "" {
		return nil, ToStatus(&FieldError{"asset_id", "is required"})
	}
	if r.GetWallet() == "" {
		return nil, ToStatus(&FieldError{"wallet", "is required"})
	}
	var at time.Time
	if r.GetAt() != "" {
		t, err := time.Parse(time.RFC3339Nano, r.GetAt())
		if err != nil {
			return nil, ToStatus(&FieldError{"at", "must be an RFC 3339 timestamp"})
		}
		at = t
	}
	e, err := a.dec.Eligibility(ctx, r.GetAssetId(), r.GetWallet(), at)
	if err != nil {
		return nil, ToStatus(err)
	}
	out := &gatewayv1.Eligibility{CanReceive: e.CanReceive, CanSend: e.CanSend, Reasons: ReasonsToProto(e.ReceiveReasons), SendReasons: ReasonsToProto(e.SendReasons),
		PolicyRevision: e.Revision, EvaluatedAt: e.EvaluatedAt.UTC().Format(time.RFC3339Nano)}
	if !e.ValidUntil.IsZero() {
		out.ValidUntil = e.ValidUntil.UTC().Format(time.RFC3339)
	}
	return out, nil
}

// GetDecision implements GatewayService.GetDecision.
func (a *API) GetDecision(ctx context.Context, r *gatewayv1.GetDecisionRequest) (*gatewayv1.DecisionRecord, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, ToStatus(err)
	}
	if r.GetDecisionId() == "" || len(r.GetDecisionId()) > 64 {
		return nil, ToStatus(&FieldError{"decision_id", "is required (at most 64 characters)"})
	}
	if a.log == nil {
		return nil, status.Error(codes.Unavailable, "the decision log is not configured")
	}
	es, err := a.log.Get(ctx, r.GetDecisionId())
	if errors.Is(err, decisionlog.ErrNotFound) {
		return nil, status.Errorf(codes.NotFound, "decision %s not found", r.GetDecisionId())
	}
	if err != nil {
		return nil, ToStatus(err)
	}
	return RecordToProto(es)
}

// RecordToProto converts the log entries of one decision.
func RecordToProto(es []decisionlog.Entry) (*gatewayv1.DecisionRecord, error) {
	var out *gatewayv1.DecisionRecord
	for _, e := range es {
		switch e.Kind {
		case "decision":
			out = &gatewayv1.DecisionRecord{DecisionId: e.DecisionID, Time: e.Time.Format(time.RFC3339Nano), Caller: e.Caller, PolicyRevision: e.Revision,
				LatencyUs: e.LatencyUS, Hash: e.Hash, PrevHash: e.PrevHash}
			var rr requestRecord
			if json.Unmarshal(e.Request, &rr) == nil {
				out.Request = &gatewayv1.CheckRequest{Action: gatewayv1.Action(gatewayv1.Action_value[rr.Action]), AssetId: rr.AssetID, FromWallet: rr.FromWallet,
					ToWallet: rr.ToWallet, Amount: rr.Amount, Venue: rr.Venue, RequestId: rr.RequestID, At: rr.At}
			}
			var vr verdictRecord
			if json.Unmarshal(e.Verdict, &vr) == nil {
				out.Verdict = &gatewayv1.Verdict{Decision: gatewayv1.Decision(gatewayv1.Decision_value[vr.Decision]), Reasons: ReasonsToProto(vr.Reasons),
					DecisionId: vr.DecisionID, PolicyRevision: vr.Revision, EvaluatedAt: vr.EvaluatedAt, Cached: vr.Cached, Retryable: vr.Retryable,
					ListVersion: vr.ListVersion, AsOf: vr.AsOf, Historical: vr.Historical, CaseId: vr.CaseID, RequestId: vr.RequestID}
			}
			if len(e.Facts) > 0 {
				var m map[string]any
				if err := json.Unmarshal(e.Facts, &m); err == nil {
					if s, err := structpb.NewStruct(m); err == nil {
						out.Facts = s
					}
				}
			}
		case "settlement":
			if out != nil {
				out.FinalDecision = gatewayv1.Decision(gatewayv1.Decision_value[e.Decision])
				out.FinalNote = e.Note
			}
		}
	}
	if out == nil {
		return nil, status.Error(codes.NotFound, "decision not found")
	}
	return out, nil
}

// GetPolicyStatus implements GatewayService.GetPolicyStatus.
func (a *API) GetPolicyStatus(ctx context.Context, _ *gatewayv1.GetPolicyStatusRequest) (*gatewayv1.PolicyStatus, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, ToStatus(err)
	}
	if a.policyStatus == nil {
		return &gatewayv1.PolicyStatus{Revision: a.dec.Engine().Revision()}, nil
	}
	return a.policyStatus(), nil
}
