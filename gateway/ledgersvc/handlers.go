package ledgersvc

import (
	"context"
	"strconv"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
	"github.com/clearancehq/clearance/registry/ledger"
)

func (s *Service) Mint(ctx context.Context, r *ledgerv1.MintRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	op, err := s.l.Mint(ctx, ledger.MintRequest{Meta: m, AssetID: r.AssetId, Amount: a, Note: r.Note})
	return s.result(ctx, op, err)
}

func (s *Service) Burn(ctx context.Context, r *ledgerv1.BurnRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	src := ledger.BurnFromTreasury
	if r.Source == ledgerv1.BurnSource_BURN_SOURCE_REDEEMED {
		src = ledger.BurnFromRedeemed
	}
	op, err := s.l.Burn(ctx, ledger.BurnRequest{Meta: m, AssetID: r.AssetId, Amount: a, Source: src, Note: r.Note})
	return s.result(ctx, op, err)
}

func (s *Service) ReserveInvestment(ctx context.Context, r *ledgerv1.ReserveInvestmentRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	op, err := s.l.ReserveInvestment(ctx, ledger.ReserveRequest{Meta: m, AssetID: r.AssetId, InvestmentID: r.InvestmentId, InvestorID: r.InvestorId, Wallet: r.Wallet, Amount: a})
	return s.result(ctx, op, err)
}

func (s *Service) invStep(ctx context.Context, r *ledgerv1.InvestmentActionRequest, fn func(context.Context, ledger.InvestmentRequest) (*ledger.Operation, error)) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	op, err := fn(ctx, ledger.InvestmentRequest{Meta: m, AssetID: r.AssetId, InvestmentID: r.InvestmentId})
	return s.result(ctx, op, err)
}

func (s *Service) ConfirmInvestment(ctx context.Context, r *ledgerv1.InvestmentActionRequest) (*ledgerv1.OperationResult, error) {
	return s.invStep(ctx, r, s.l.ConfirmInvestment)
}

func (s *Service) CancelInvestment(ctx context.Context, r *ledgerv1.InvestmentActionRequest) (*ledgerv1.OperationResult, error) {
	return s.invStep(ctx, r, s.l.CancelInvestment)
}

func (s *Service) ExpireInvestment(ctx context.Context, r *ledgerv1.InvestmentActionRequest) (*ledgerv1.OperationResult, error) {
	return s.invStep(ctx, r, s.l.ExpireInvestment)
}

func (s *Service) DistributeInvestment(ctx context.Context, r *ledgerv1.InvestmentActionRequest) (*ledgerv1.OperationResult, error) {
	return s.invStep(ctx, r, s.l.DistributeInvestment)
}

func (s *Service) GetInvestment(ctx context.Context, r *ledgerv1.GetInvestmentRequest) (*ledgerv1.Investment, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	inv, err := s.l.Investment(ctx, r.AssetId, r.InvestmentId)
	if err != nil {
		return nil, toStatus(err)
	}
	return investment(inv), nil
}

func (s *Service) ListInvestments(ctx context.Context, r *ledgerv1.ListInvestmentsRequest) (*ledgerv1.ListInvestmentsResponse, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	st := ""
	for k, v := range invStatus {
		if v == r.Status && r.Status != ledgerv1.InvestmentStatus_INVESTMENT_STATUS_UNSPECIFIED {
			st = k
		}
	}
	limit := pageSize(r.PageSize)
	invs, err := s.l.InvestmentsPage(ctx, r.AssetId, st, r.PageToken, limit+1)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.ListInvestmentsResponse{}
	for i, inv := range invs {
		if i == limit {
			out.NextPageToken = invs[i-1].ID
			break
		}
		out.Investments = append(out.Investments, investment(inv))
	}
	return out, nil
}

func pageSize(n int32) int {
	switch {
	case n <= 0:
		return 100
	case n > 1000:
		return 1000
	}
	return int(n)
}

func (s *Service) DistributeBatch(ctx context.Context, r *ledgerv1.DistributeBatchRequest) (*ledgerv1.DistributeBatchResponse, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	res, err := s.l.DistributeBatch(ctx, r.AssetId, m.IdempotencyKey, m.Actor)
	out := &ledgerv1.DistributeBatchResponse{}
	if pe, ok := err.(*ledger.PrerequisiteError); ok {
		for _, f := range pe.Failures {
			out.Failures = append(out.Failures, &ledgerv1.PrerequisiteFailure{InvestmentId: f.InvestmentID, Wallet: f.Wallet, Codes: f.Codes})
		}
		if b, berr := s.l.Balance(ctx, r.AssetId); berr == nil {
			out.Balance = balance(b)
		}
		return out, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	replayed := len(res.Operations) > 0
	for _, op := range res.Operations {
		x, err := s.result(ctx, op, nil)
		if err != nil {
			return nil, err
		}
		x.Balance = nil
		replayed = replayed && op.Replayed
		out.Results = append(out.Results, x)
	}
	out.Replayed = replayed
	if b, berr := s.l.Balance(ctx, r.AssetId); berr == nil {
		out.Balance = balance(b)
	}
	return out, nil
}

func (s *Service) Transfer(ctx context.Context, r *ledgerv1.TransferRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, movers...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	op, err := s.l.Transfer(ctx, ledger.TransferRequest{Meta: m, AssetID: r.AssetId, From: r.FromWallet, To: r.ToWallet, Amount: a, Venue: r.Venue})
	return s.result(ctx, op, err)
}

func (s *Service) Redeem(ctx context.Context, r *ledgerv1.RedeemRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, movers...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	op, err := s.l.Redeem(ctx, ledger.RedeemRequest{Meta: m, AssetID: r.AssetId, Wallet: r.Wallet, Amount: a})
	return s.result(ctx, op, err)
}

func (s *Service) ForcedTransfer(ctx context.Context, r *ledgerv1.ForcedTransferRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, agentOnly...)
	if err != nil {
		return nil, err
	}
	a, err := amount("amount", r.Amount)
	if err != nil {
		return nil, err
	}
	op, err := s.l.ForcedTransfer(ctx, ledger.ForcedTransferRequest{Meta: m, AssetID: r.AssetId, From: r.FromWallet, To: r.ToWallet, Amount: a, Reason: r.Reason})
	return s.result(ctx, op, err)
}

func (s *Service) RecoverWallet(ctx context.Context, r *ledgerv1.RecoverWalletRequest) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, agentOnly...)
	if err != nil {
		return nil, err
	}
	op, err := s.l.RecoverWallet(ctx, ledger.RecoverRequest{Meta: m, AssetID: r.AssetId, LostWallet: r.LostWallet, NewWallet: r.NewWallet, Reason: r.Reason})
	return s.result(ctx, op, err)
}

func (s *Service) freeze(ctx context.Context, r *ledgerv1.FreezeWalletRequest, fn func(context.Context, ledger.FreezeRequest) (*ledger.Operation, error)) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	var a int64
	if r.Amount != "" {
		if a, err = amount("amount", r.Amount); err != nil {
			return nil, err
		}
	}
	op, err := fn(ctx, ledger.FreezeRequest{Meta: m, AssetID: r.AssetId, Wallet: r.Wallet, Amount: a, Reason: r.Reason})
	return s.result(ctx, op, err)
}

func (s *Service) FreezeWallet(ctx context.Context, r *ledgerv1.FreezeWalletRequest) (*ledgerv1.OperationResult, error) {
	return s.freeze(ctx, r, s.l.FreezeWallet)
}

func (s *Service) UnfreezeWallet(ctx context.Context, r *ledgerv1.FreezeWalletRequest) (*ledgerv1.OperationResult, error) {
	return s.freeze(ctx, r, s.l.UnfreezeWallet)
}

func (s *Service) pause(ctx context.Context, r *ledgerv1.PauseAssetRequest, fn func(context.Context, ledger.PauseRequest) (*ledger.Operation, error)) (*ledgerv1.OperationResult, error) {
	m, err := meta(ctx, r.IdempotencyKey, issuer...)
	if err != nil {
		return nil, err
	}
	op, err := fn(ctx, ledger.PauseRequest{Meta: m, AssetID: r.AssetId, Actions: r.Actions, Reason: r.Reason})
	return s.result(ctx, op, err)
}

func (s *Service) PauseAsset(ctx context.Context, r *ledgerv1.PauseAssetRequest) (*ledgerv1.OperationResult, error) {
	return s.pause(ctx, r, s.l.Pause)
}

func (s *Service) UnpauseAsset(ctx context.Context, r *ledgerv1.PauseAssetRequest) (*ledgerv1.OperationResult, error) {
	return s.pause(ctx, r, s.l.Unpause)
}

func (s *Service) SettleOperation(ctx context.Context, r *ledgerv1.SettleOperationRequest) (*ledgerv1.OperationResult, error) {
	actor, err := require(ctx, reviewer...)
	if err != nil {
		return nil, err
	}
	op, err := s.l.Settle(ctx, r.OperationId, r.Approved, actor, r.Note)
	return s.result(ctx, op, err)
}

func (s *Service) GetOperation(ctx context.Context, r *ledgerv1.GetOperationRequest) (*ledgerv1.OperationResult, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	op, err := s.l.Operation(ctx, r.OperationId)
	return s.result(ctx, op, err)
}

func (s *Service) GetAssetBalance(ctx context.Context, r *ledgerv1.GetAssetBalanceRequest) (*ledgerv1.AssetBalance, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	b, err := s.l.Balance(ctx, r.AssetId)
	if err != nil {
		return nil, toStatus(err)
	}
	return balance(b), nil
}

func (s *Service) GetWalletBalance(ctx context.Context, r *ledgerv1.GetWalletBalanceRequest) (*ledgerv1.WalletBalance, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	b, err := s.l.Balance(ctx, r.AssetId)
	if err != nil {
		return nil, toStatus(err)
	}
	w, err := s.l.WalletBalance(ctx, r.AssetId, r.Wallet)
	if err != nil {
		return nil, toStatus(err)
	}
	hf, err := s.l.Holding(ctx, r.AssetId, r.Wallet, nil, timeZero)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.WalletBalance{AssetId: r.AssetId, Wallet: r.Wallet, Available: strconv.FormatInt(w.Balance, 10), Unlocked: strconv.FormatInt(min(hf.Unlocked, w.Balance), 10),
		Balance: &ledgerv1.Bucket{Value: strconv.FormatInt(w.Balance, 10), TextValue: ledger.TextValue(w.Balance, b.Total.Decimals), Ticker: b.Total.Ticker, Decimals: int32(b.Total.Decimals)}}
	for _, lot := range w.Lots {
		out.Lots = append(out.Lots, &ledgerv1.Lot{AcquiredAt: ts(lot.AcquiredAt), Amount: strconv.FormatInt(lot.Amount, 10)})
	}
	return out, nil
}

func (s *Service) ListEvents(ctx context.Context, r *ledgerv1.ListEventsRequest) (*ledgerv1.ListEventsResponse, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	var after int64
	if r.PageToken != "" {
		var err error
		if after, err = strconv.ParseInt(r.PageToken, 10, 64); err != nil || after < 0 {
			return nil, status.Error(codes.InvalidArgument, "page_token: invalid")
		}
	}
	evs, next, err := s.l.Events(ctx, r.AssetId, r.Wallet, after, int(r.PageSize))
	if err != nil {
		return nil, toStatus(err)
	}
	out := &ledgerv1.ListEventsResponse{}
	if next > 0 {
		out.NextPageToken = strconv.FormatInt(next, 10)
	}
	for _, e := range evs {
		out.Events = append(out.Events, &ledgerv1.Event{Seq: e.Seq, AssetId: e.AssetID, Type: e.Type, FromWallet: e.From, ToWallet: e.To,
			Amount: strconv.FormatInt(e.Amount, 10), Before: bv(e.Before), After: bv(e.After), Actor: e.Actor, DecisionId: e.DecisionID,
			IdempotencyKey: e.IdempotencyKey, OperationId: e.OperationID, At: ts(e.At), Data: e.Data, PrevHash: e.PrevHash, Hash: e.Hash})
	}
	return out, nil
}

func bv(b ledger.Buckets) *ledgerv1.BucketValues {
	f := func(v int64) string { return strconv.FormatInt(v, 10) }
	return &ledgerv1.BucketValues{Treasury: f(b.Treasury), ReservedInvestments: f(b.Reserved), ConfirmedInvestments: f(b.Confirmed),
		Distributed: f(b.Distributed), Redeemed: f(b.Redeemed), Total: f(b.Total)}
}

func (s *Service) VerifyEvents(ctx context.Context, r *ledgerv1.VerifyEventsRequest) (*ledgerv1.VerifyEventsResponse, error) {
	if _, err := require(ctx); err != nil {
		return nil, err
	}
	res, err := s.l.Verify(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &ledgerv1.VerifyEventsResponse{Ok: res.OK, Events: res.Events, HeadHash: res.HeadHash, BrokenAt: res.BrokenAt, Error: res.Err}, nil
}
