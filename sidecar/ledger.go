package sidecar

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"

	ledgerv1 "github.com/clearancehq/clearance/gateway/gen/ledger/v1"
)

// LedgerObservations is the part of clearance.ledger.v1.LedgerService a
// sidecar writes to; ledgerv1.LedgerServiceClient satisfies it.
type LedgerObservations interface {
	ReportBalance(ctx context.Context, in *ledgerv1.ReportBalanceRequest, opts ...grpc.CallOption) (*ledgerv1.ReportBalanceResponse, error)
	ReportTransfer(ctx context.Context, in *ledgerv1.ReportTransferRequest, opts ...grpc.CallOption) (*ledgerv1.ReportTransferResponse, error)
	RecordException(ctx context.Context, in *ledgerv1.RecordExceptionRequest, opts ...grpc.CallOption) (*ledgerv1.ReconciliationException, error)
	ResolveException(ctx context.Context, in *ledgerv1.ResolveExceptionRequest, opts ...grpc.CallOption) (*ledgerv1.ReconciliationException, error)
	ListExceptions(ctx context.Context, in *ledgerv1.ListExceptionsRequest, opts ...grpc.CallOption) (*ledgerv1.ListExceptionsResponse, error)
}

// LedgerReporter is the Reporter over the ledger service.
type LedgerReporter struct {
	c LedgerObservations
}

var _ Reporter = (*LedgerReporter)(nil)

// NewLedgerReporter returns a Reporter writing to the ledger service.
func NewLedgerReporter(c LedgerObservations) *LedgerReporter { return &LedgerReporter{c: c} }

// TxRef is the ledger's reference of one log of a transaction: "hash:index".
func TxRef(txHash string, logIndex uint) string { return fmt.Sprintf("%s:%d", txHash, logIndex) }

// ReportTransfer implements Reporter.
func (r *LedgerReporter) ReportTransfer(ctx context.Context, t Transfer) error {
	_, err := r.c.ReportTransfer(ctx, &ledgerv1.ReportTransferRequest{
		Chain: t.Chain, AssetId: t.AssetID, FromWallet: t.From, ToWallet: t.To, Amount: t.Amount,
		TxRef: TxRef(t.TxHash, t.LogIndex), Block: int64(t.BlockNumber), ViaProxy: t.ViaProxy, DecisionId: t.DecisionID,
	})
	if err != nil {
		return fmt.Errorf("sidecar: ledger ReportTransfer: %w", err)
	}
	return nil
}

// ReportBalance implements Reporter.
func (r *LedgerReporter) ReportBalance(ctx context.Context, b Balance) error {
	_, err := r.c.ReportBalance(ctx, &ledgerv1.ReportBalanceRequest{
		Chain: b.Chain, AssetId: b.AssetID, Wallet: b.Wallet, Balance: b.Amount,
		ObservedAt: rfc3339(b.ObservedAt), Block: int64(b.BlockNumber),
	})
	if err != nil {
		return fmt.Errorf("sidecar: ledger ReportBalance: %w", err)
	}
	return nil
}

// RecordException implements Reporter. The ledger has no kind field; the
// kind is carried by the item ("transfer:<tx_ref>", "balance", ...).
func (r *LedgerReporter) RecordException(ctx context.Context, e Exception) (string, error) {
	x, err := r.c.RecordException(ctx, &ledgerv1.RecordExceptionRequest{
		AssetId: e.AssetID, Wallet: e.Wallet, Chain: e.Chain, Item: e.Item,
		Expected: e.Expected, Observed: e.Observed, Difference: e.Difference, DetectedAt: rfc3339(e.DetectedAt),
	})
	if err != nil {
		return "", fmt.Errorf("sidecar: ledger RecordException: %w", err)
	}
	return x.GetId(), nil
}

// ResolveException implements Reporter. The actor is the authenticated
// caller on the ledger side.
func (r *LedgerReporter) ResolveException(ctx context.Context, id, _, note string) error {
	if _, err := r.c.ResolveException(ctx, &ledgerv1.ResolveExceptionRequest{Id: id, Note: note}); err != nil {
		return fmt.Errorf("sidecar: ledger ResolveException: %w", err)
	}
	return nil
}

// maxExceptionPages bounds ListExceptions paging.
const maxExceptionPages = 1000

// ListExceptions implements Reporter; chain and wallet filter client side.
func (r *LedgerReporter) ListExceptions(ctx context.Context, f ExceptionFilter) ([]Exception, error) {
	req := &ledgerv1.ListExceptionsRequest{AssetId: f.AssetID, PageSize: 500}
	switch f.Status {
	case "":
	case ExceptionOpen:
		req.Status = ledgerv1.ExceptionStatus_EXCEPTION_STATUS_OPEN
	case ExceptionResolved:
		req.Status = ledgerv1.ExceptionStatus_EXCEPTION_STATUS_RESOLVED
	default:
		return nil, errors.New("sidecar: unknown exception status " + f.Status)
	}
	var out []Exception
	for range maxExceptionPages {
		resp, err := r.c.ListExceptions(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("sidecar: ledger ListExceptions: %w", err)
		}
		for _, x := range resp.GetExceptions() {
			if (f.Chain != "" && x.GetChain() != f.Chain) || (f.Wallet != "" && x.GetWallet() != f.Wallet) {
				continue
			}
			e := Exception{
				ID: x.GetId(), Kind: kindOfItem(x.GetItem()), Chain: x.GetChain(), AssetID: x.GetAssetId(), Wallet: x.GetWallet(),
				Item: x.GetItem(), Expected: x.GetExpected(), Observed: x.GetObserved(), Difference: x.GetDifference(),
				Status: ExceptionOpen, Note: x.GetNote(),
			}
			if x.GetStatus() == ledgerv1.ExceptionStatus_EXCEPTION_STATUS_RESOLVED {
				e.Status = ExceptionResolved
			}
			e.DetectedAt, _ = time.Parse(time.RFC3339Nano, x.GetDetectedAt())
			out = append(out, e)
		}
		if resp.GetNextPageToken() == "" {
			return out, nil
		}
		req.PageToken = resp.GetNextPageToken()
	}
	return out, errors.New("sidecar: ledger ListExceptions: too many pages")
}

// Exception items. The kind of an exception is the prefix of its item.
const (
	ItemBalance        = "balance"
	itemTransferPrefix = "transfer:"
	itemReorgPrefix    = "reorg:"
)

// TransferItem is the exception item of an uncleared transfer.
func TransferItem(txRef string) string { return itemTransferPrefix + txRef }

// ReorgItem is the exception item of a confirmed block that left the chain.
func ReorgItem(block uint64, hash string) string {
	return fmt.Sprintf("%sblock %d %s", itemReorgPrefix, block, hash)
}

func kindOfItem(item string) string {
	switch {
	case strings.HasPrefix(item, itemTransferPrefix):
		return ExceptionUnclearedTransfer
	case strings.HasPrefix(item, itemReorgPrefix):
		return ExceptionReorgTooDeep
	case item == ItemBalance:
		return ExceptionBalanceMismatch
	}
	return ""
}

func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
