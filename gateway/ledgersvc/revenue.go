package ledgersvc

import (
	"context"
	"strconv"
	"time"

	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/registry/ledger"
)

var timeZero time.Time

func fmtI(v int64) string { return strconv.FormatInt(v, 10) }

func (s *Service) round(r ledger.Round) *ledgerv1.RevenueRound {
	st := map[string]ledgerv1.RoundState{ledger.RoundCreated: ledgerv1.RoundState_ROUND_STATE_CREATED, ledger.RoundClaimable: ledgerv1.RoundState_ROUND_STATE_CLAIMABLE, ledger.RoundExpired: ledgerv1.RoundState_ROUND_STATE_EXPIRED}
	return &ledgerv1.RevenueRound{AssetId: r.AssetID, RoundId: r.ID, Token: r.Token, Deposited: fmtI(r.Deposited), Commission: fmtI(r.Commission),
		TotalAmount: fmtI(r.TotalAmount), TotalShares: fmtI(r.TotalShares), TotalClaimed: fmtI(r.TotalClaimed), CreatedAt: ts(r.CreatedAt),
		ClaimableFrom: ts(r.ClaimableFrom), ExpiresAt: ts(r.ExpiresAt), IsFinalized: r.Finalized, State: st[r.State(s.l.Now())],
		Reclaimed: fmtI(r.Reclaimed), Holders: r.Holders, Scheduled: r.Scheduled}
}

func cfgOut(c ledger.RevenueConfig) *ledgerv1.RevenueConfig {
	return &ledgerv1.RevenueConfig{AssetId: c.AssetID, MinIntervalSeconds: c.MinIntervalSeconds, ClaimDelaySeconds: c.ClaimDelaySeconds,
		RoundExpirySeconds: c.RoundExpirySeconds, CommissionBps: c.CommissionBps, AdminWallet: c.AdminWallet}
}

func schedOut(sc ledger.Schedule) *ledgerv1.RevenueSchedule {
	return &ledgerv1.RevenueSchedule{AssetId: sc.AssetID, Enabled: sc.Enabled, FirstDistributionTime: ts(sc.First), IntervalSeconds: sc.Interval,
		TotalDistributions: sc.Total, CompletedDistributions: sc.Completed, Token: sc.Token, Amount: fmtI(sc.Amount), NextDueAt: ts(sc.NextDue())}
}

func (s *Service) SetRevenueConfig(ctx context.Context, r *ledgerv1.SetRevenueConfigRequest) (*ledgerv1.RevenueConfig, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	c := r.GetConfig()
	out, err := s.l.SetRevenueConfig(ctx, ledger.RevenueConfigRequest{Meta: m, Config: ledger.RevenueConfig{AssetID: c.GetAssetId(),
		MinIntervalSeconds: c.GetMinIntervalSeconds(), ClaimDelaySeconds: c.GetClaimDelaySeconds(), RoundExpirySeconds: c.GetRoundExpirySeconds(),
		CommissionBps: c.GetCommissionBps(), AdminWallet: c.GetAdminWallet()}})
	if err != nil {
		return nil, toStatus(err)
	}
	return cfgOut(out), nil
}

func (s *Service) GetRevenueConfig(ctx context.Context, r *ledgerv1.GetRevenueConfigRequest) (*ledgerv1.RevenueConfig, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	c, err := s.l.RevenueConfigOf(ctx, r.AssetId)
	if err != nil {
		return nil, toStatus(err)
	}
	return cfgOut(c), nil
}

func (s *Service) CreateRevenueRound(ctx context.Context, r *ledgerv1.CreateRevenueRoundRequest) (*ledgerv1.RevenueRound, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	rd, err := s.l.CreateRound(ctx, ledger.CreateRoundRequest{Meta: m, AssetID: r.AssetId, Token: r.Token, Amount: a})
	if err != nil {
		return nil, toStatus(err)
	}
	return s.round(rd), nil
}

func (s *Service) GetRevenueRound(ctx context.Context, r *ledgerv1.GetRevenueRoundRequest) (*ledgerv1.RevenueRound, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	rd, err := s.l.Round(ctx, r.AssetId, r.RoundId)
	if err != nil {
		return nil, toStatus(err)
	}
	return s.round(rd), nil
}

func (s *Service) ListRevenueRounds(ctx context.Context, r *ledgerv1.ListRevenueRoundsRequest) (*ledgerv1.ListRevenueRoundsResponse, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	after, _ := strconv.ParseInt(r.PageToken, 10, 64)
	limit := pageSize(r.PageSize)
	rounds, err := s.l.Rounds(ctx, r.AssetId, after, limit+1)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.ListRevenueRoundsResponse{}
	for i, rd := range rounds {
		if i == limit {
			out.NextPageToken = fmtI(rounds[i-1].ID)
			break
		}
		out.Rounds = append(out.Rounds, s.round(rd))
	}
	return out, nil
}

func (s *Service) ClaimRevenue(ctx context.Context, r *ledgerv1.ClaimRevenueRequest) (*ledgerv1.RevenueClaim, error) {
	m, err := meta(ctx, r.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	c, err := s.l.Claim(ctx, ledger.ClaimRequest{Meta: m, AssetID: r.AssetId, RoundID: r.RoundId, Wallet: r.Wallet})
	if err != nil {
		return nil, toStatus(err)
	}
	st := map[string]ledgerv1.ClaimStatus{ledger.ClaimClaimed: ledgerv1.ClaimStatus_CLAIM_STATUS_CLAIMED, ledger.ClaimWithheld: ledgerv1.ClaimStatus_CLAIM_STATUS_WITHHELD, ledger.ClaimPending: ledgerv1.ClaimStatus_CLAIM_STATUS_PENDING_REVIEW}
	return &ledgerv1.RevenueClaim{AssetId: c.AssetID, RoundId: c.RoundID, Wallet: c.Wallet, Shares: fmtI(c.Shares), Amount: fmtI(c.Amount),
		Status: st[c.Status], Reasons: reasons(c.Reasons), DecisionId: c.DecisionID, ClaimedAt: ts(c.At), Replayed: c.Replayed}, nil
}

func (s *Service) ReclaimRevenueRound(ctx context.Context, r *ledgerv1.ReclaimRevenueRoundRequest) (*ledgerv1.RevenueRound, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	rd, err := s.l.ReclaimRound(ctx, ledger.ReclaimRequest{Meta: m, AssetID: r.AssetId, RoundID: r.RoundId})
	if err != nil {
		return nil, toStatus(err)
	}
	return s.round(rd), nil
}

func (s *Service) SetRevenueSchedule(ctx context.Context, r *ledgerv1.SetRevenueScheduleRequest) (*ledgerv1.RevenueSchedule, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	first, err := parseTime("first_distribution_time", r.FirstDistributionTime)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	sc, err := s.l.SetSchedule(ctx, ledger.ScheduleRequest{Meta: m, AssetID: r.AssetId, First: first, Interval: r.IntervalSeconds, Total: r.TotalDistributions, Token: r.Token, Amount: a})
	if err != nil {
		return nil, toStatus(err)
	}
	return schedOut(sc), nil
}

func (s *Service) TriggerRevenueSchedule(ctx context.Context, r *ledgerv1.TriggerRevenueScheduleRequest) (*ledgerv1.RevenueRound, error) {
	m, err := meta(ctx, r.IdempotencyKey) // anyone may trigger a due schedule
	if err != nil {
		return nil, err
	}
	rd, err := s.l.TriggerSchedule(ctx, ledger.AssetRequest{Meta: m, AssetID: r.AssetId})
	if err != nil {
		return nil, toStatus(err)
	}
	return s.round(rd), nil
}

func (s *Service) DisableRevenueSchedule(ctx context.Context, r *ledgerv1.DisableRevenueScheduleRequest) (*ledgerv1.RevenueSchedule, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	sc, err := s.l.DisableSchedule(ctx, ledger.AssetRequest{Meta: m, AssetID: r.AssetId})
	if err != nil {
		return nil, toStatus(err)
	}
	return schedOut(sc), nil
}

func (s *Service) PushRevenue(ctx context.Context, r *ledgerv1.PushRevenueRequest) (*ledgerv1.PushRevenueResponse, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	res, err := s.l.PushRevenue(ctx, ledger.PushRequest{Meta: m, AssetID: r.AssetId, Token: r.Token, Amount: a})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.PushRevenueResponse{AssetId: res.AssetID, Token: res.Token, Deposited: fmtI(res.Deposited), Commission: fmtI(res.Commission), TotalPaid: fmtI(res.TotalPaid), Replayed: res.Replayed}
	for _, p := range res.Payments {
		out.Payments = append(out.Payments, &ledgerv1.PushPayment{Wallet: p.Wallet, Shares: fmtI(p.Shares), Amount: fmtI(p.Amount)})
	}
	return out, nil
}

// Observations.

func (s *Service) ReportBalance(ctx context.Context, r *ledgerv1.ReportBalanceRequest) (*ledgerv1.ReportBalanceResponse, error) {
	if _, err := require(ctx, observers...); err != nil {
		return nil, err
	}
	b, err := amount("balance", r.Balance)
	if err != nil {
		return nil, err
	}
	at, err := parseTime("observed_at", r.ObservedAt)
	if err != nil {
		return nil, err
	}
	ok, err := s.l.ReportBalance(ctx, ledger.BalanceReport{Chain: r.Chain, AssetID: r.AssetId, Wallet: r.Wallet, Balance: b, ObservedAt: at, Block: r.Block})
	if err != nil {
		return nil, toStatus(err)
	}
	return &ledgerv1.ReportBalanceResponse{Accepted: ok}, nil
}

func (s *Service) ReportTransfer(ctx context.Context, r *ledgerv1.ReportTransferRequest) (*ledgerv1.ReportTransferResponse, error) {
	if _, err := require(ctx, observers...); err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	ok, err := s.l.ReportTransfer(ctx, ledger.ObservedTransfer{Chain: r.Chain, AssetID: r.AssetId, From: r.FromWallet, To: r.ToWallet, Amount: a, TxRef: r.TxRef, Block: r.Block, ViaProxy: r.ViaProxy, DecisionID: r.DecisionId})
	if err != nil {
		return nil, toStatus(err)
	}
	return &ledgerv1.ReportTransferResponse{Recorded: ok}, nil
}

func excOut(x ledger.Exception) *ledgerv1.ReconciliationException {
	st := ledgerv1.ExceptionStatus_EXCEPTION_STATUS_OPEN
	if x.Status == ledger.ExceptionResolved {
		st = ledgerv1.ExceptionStatus_EXCEPTION_STATUS_RESOLVED
	}
	return &ledgerv1.ReconciliationException{Id: x.ID, AssetId: x.AssetID, Wallet: x.Wallet, Chain: x.Chain, Item: x.Item, Expected: x.Expected,
		Observed: x.Observed, Difference: x.Difference, DetectedAt: ts(x.DetectedAt), Status: st, ResolvedAt: ts(x.ResolvedAt), ResolvedBy: x.ResolvedBy, Note: x.Note}
}

func (s *Service) RecordException(ctx context.Context, r *ledgerv1.RecordExceptionRequest) (*ledgerv1.ReconciliationException, error) {
	if _, err := require(ctx, observers...); err != nil {
		return nil, err
	}
	at, err := parseTime("detected_at", r.DetectedAt)
	if err != nil {
		return nil, err
	}
	x, err := s.l.RecordException(ctx, ledger.Exception{AssetID: r.AssetId, Wallet: r.Wallet, Chain: r.Chain, Item: r.Item, Expected: r.Expected, Observed: r.Observed, Difference: r.Difference, DetectedAt: at})
	if err != nil {
		return nil, toStatus(err)
	}
	return excOut(x), nil
}

func (s *Service) ResolveException(ctx context.Context, r *ledgerv1.ResolveExceptionRequest) (*ledgerv1.ReconciliationException, error) {
	actor, err := require(ctx, append([]string{"reviewer"}, observers...)...)
	if err != nil {
		return nil, err
	}
	x, err := s.l.ResolveException(ctx, r.Id, actor, r.Note)
	if err != nil {
		return nil, toStatus(err)
	}
	return excOut(x), nil
}

func (s *Service) ListExceptions(ctx context.Context, r *ledgerv1.ListExceptionsRequest) (*ledgerv1.ListExceptionsResponse, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	st := ""
	switch r.Status {
	case ledgerv1.ExceptionStatus_EXCEPTION_STATUS_OPEN:
		st = ledger.ExceptionOpen
	case ledgerv1.ExceptionStatus_EXCEPTION_STATUS_RESOLVED:
		st = ledger.ExceptionResolved
	}
	limit := pageSize(r.PageSize)
	xs, err := s.l.Exceptions(ctx, r.AssetId, st, r.PageToken, limit+1)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.ListExceptionsResponse{}
	for i, x := range xs {
		if i == limit {
			out.NextPageToken = xs[i-1].ID
			break
		}
		out.Exceptions = append(out.Exceptions, excOut(x))
	}
	return out, nil
}
