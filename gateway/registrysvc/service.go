package registrysvc

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"

	"github.com/clearancehq/clearance/gateway"
	"github.com/clearancehq/clearance/gateway/auth"
	registryv1 "github.com/clearancehq/clearance/gateway/gen/registry/v1"
	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/registry"
)

// EligibilityFunc evaluates a wallet's eligibility for an asset with the
// facts in force at instant at. The gateway core provides it
// (gateway.Decider.EligibleAt).
type EligibilityFunc func(ctx context.Context, assetID, wallet string, at time.Time) (eligible bool, reasons []policies.Reason, err error)

// MaxEligibilityPoints bounds the evaluations one GetEligibilityIntervals
// call makes; a wider range is rejected with INVALID_ARGUMENT.
const MaxEligibilityPoints = 5000

// Service implements registryv1.RegistryServiceServer and gateway.Service.
type Service struct {
	registryv1.UnimplementedRegistryServiceServer
	store registry.Store
	elig  EligibilityFunc
	log   *slog.Logger
	now   func() time.Time
}

var (
	_ registryv1.RegistryServiceServer = (*Service)(nil)
	_ gateway.Service                  = (*Service)(nil)
)

// New returns the registry API on store. elig may be nil, in which case
// GetEligibilityIntervals fails with FAILED_PRECONDITION. A nil logger
// discards.
func New(store registry.Store, elig EligibilityFunc, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{store: store, elig: elig, log: logger.With("component", "registrysvc"), now: time.Now}
}

// RegisterGRPC implements gateway.Service.
func (s *Service) RegisterGRPC(g *grpc.Server) { registryv1.RegisterRegistryServiceServer(g, s) }

// RegisterHTTP implements gateway.Service.
func (s *Service) RegisterHTTP(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	return registryv1.RegisterRegistryServiceHandler(ctx, mux, conn)
}

func (s *Service) fail(ctx context.Context, op string, err error) error {
	st := gateway.ToStatus(err)
	s.log.DebugContext(ctx, "registry request failed", "op", op, "err", err)
	return st
}

const maxReasonLen = 1024

func change(p auth.Principal, reason string) (registry.Change, error) {
	if len(reason) > maxReasonLen {
		return registry.Change{}, invalid("reason", "longer than 1024 characters")
	}
	return registry.Change{Actor: p.Name, Reason: reason}, nil
}

func parseAsOf(s string) (time.Time, error) { return parseTime("as_of", s) }

func pageReq(size int32, token string) registry.PageRequest {
	return registry.PageRequest{Limit: int(size), Cursor: token}
}

// ---- investors ----

// CreateInvestor implements registryv1.RegistryServiceServer.
func (s *Service) CreateInvestor(ctx context.Context, r *registryv1.CreateInvestorRequest) (*registryv1.Investor, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "CreateInvestor", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "CreateInvestor", err)
	}
	var inv registry.Investor
	if err := applyInvestor(&inv, r.GetInvestor()); err != nil {
		return nil, s.fail(ctx, "CreateInvestor", err)
	}
	inv.ID = r.GetInvestor().GetId()
	if r.GetInvestor().Active == nil {
		inv.Active = true
	}
	out, err := s.store.CreateInvestor(ctx, inv, c)
	if err != nil {
		return nil, s.fail(ctx, "CreateInvestor", err)
	}
	return investorToProto(out), nil
}

// UpdateInvestor implements registryv1.RegistryServiceServer.
func (s *Service) UpdateInvestor(ctx context.Context, r *registryv1.UpdateInvestorRequest) (*registryv1.Investor, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "UpdateInvestor", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "UpdateInvestor", err)
	}
	if r.GetVersion() <= 0 {
		return nil, s.fail(ctx, "UpdateInvestor", invalid("version", "is required (the version you read)"))
	}
	if id := r.GetInvestor().GetId(); id != "" && id != r.GetId() {
		return nil, s.fail(ctx, "UpdateInvestor", invalid("investor.id", "must match the id in the path"))
	}
	cur, err := s.store.Investor(ctx, r.GetId(), time.Time{})
	if err != nil {
		return nil, s.fail(ctx, "UpdateInvestor", err)
	}
	if err := applyInvestor(&cur, r.GetInvestor()); err != nil {
		return nil, s.fail(ctx, "UpdateInvestor", err)
	}
	if r.GetClearBeneficialOwners() {
		if len(r.GetInvestor().GetBeneficialOwners()) > 0 {
			return nil, s.fail(ctx, "UpdateInvestor", invalid("clear_beneficial_owners", "cannot be combined with investor.beneficial_owners"))
		}
		cur.BeneficialOwners = nil
	}
	out, err := s.store.UpdateInvestor(ctx, cur, r.GetVersion(), c)
	if err != nil {
		return nil, s.fail(ctx, "UpdateInvestor", err)
	}
	return investorToProto(out), nil
}

// GetInvestor implements registryv1.RegistryServiceServer.
func (s *Service) GetInvestor(ctx context.Context, r *registryv1.GetInvestorRequest) (*registryv1.Investor, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "GetInvestor", err)
	}
	asOf, err := parseAsOf(r.GetAsOf())
	if err != nil {
		return nil, s.fail(ctx, "GetInvestor", err)
	}
	out, err := s.store.Investor(ctx, r.GetId(), asOf)
	if err != nil {
		return nil, s.fail(ctx, "GetInvestor", err)
	}
	return investorToProto(out), nil
}

// ListInvestors implements registryv1.RegistryServiceServer.
func (s *Service) ListInvestors(ctx context.Context, r *registryv1.ListInvestorsRequest) (*registryv1.ListInvestorsResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "ListInvestors", err)
	}
	f := registry.InvestorFilter{Status: strings.ToUpper(r.GetStatus()), Jurisdiction: strings.ToUpper(r.GetJurisdiction()), Category: strings.ToUpper(r.GetCategory())}
	items, next, err := s.store.ListInvestors(ctx, f, pageReq(r.GetPageSize(), r.GetPageToken()))
	if err != nil {
		return nil, s.fail(ctx, "ListInvestors", err)
	}
	out := &registryv1.ListInvestorsResponse{NextPageToken: next}
	for _, v := range items {
		out.Investors = append(out.Investors, investorToProto(v))
	}
	return out, nil
}

// ---- wallets ----

// CreateWallet implements registryv1.RegistryServiceServer.
func (s *Service) CreateWallet(ctx context.Context, r *registryv1.CreateWalletRequest) (*registryv1.Wallet, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "CreateWallet", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "CreateWallet", err)
	}
	w := registry.Wallet{Address: r.GetWallet().GetAddress()}
	if err := applyWallet(&w, r.GetWallet()); err != nil {
		return nil, s.fail(ctx, "CreateWallet", err)
	}
	if r.GetWallet().Active == nil {
		w.Active = true
	}
	out, err := s.store.CreateWallet(ctx, w, c)
	if err != nil {
		return nil, s.fail(ctx, "CreateWallet", err)
	}
	return walletToProto(out), nil
}

// UpdateWallet implements registryv1.RegistryServiceServer.
func (s *Service) UpdateWallet(ctx context.Context, r *registryv1.UpdateWalletRequest) (*registryv1.Wallet, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "UpdateWallet", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "UpdateWallet", err)
	}
	if r.GetVersion() <= 0 {
		return nil, s.fail(ctx, "UpdateWallet", invalid("version", "is required (the version you read)"))
	}
	cur, err := s.store.Wallet(ctx, r.GetAddress(), time.Time{})
	if err != nil {
		return nil, s.fail(ctx, "UpdateWallet", err)
	}
	if a := r.GetWallet().GetAddress(); a != "" {
		if _, norm, err := registry.NormalizeAddress(a); err != nil || norm != cur.Address {
			return nil, s.fail(ctx, "UpdateWallet", invalid("wallet.address", "must match the address in the path"))
		}
	}
	if err := applyWallet(&cur, r.GetWallet()); err != nil {
		return nil, s.fail(ctx, "UpdateWallet", err)
	}
	out, err := s.store.UpdateWallet(ctx, cur, r.GetVersion(), c)
	if err != nil {
		return nil, s.fail(ctx, "UpdateWallet", err)
	}
	return walletToProto(out), nil
}

// GetWallet implements registryv1.RegistryServiceServer.
func (s *Service) GetWallet(ctx context.Context, r *registryv1.GetWalletRequest) (*registryv1.Wallet, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "GetWallet", err)
	}
	asOf, err := parseAsOf(r.GetAsOf())
	if err != nil {
		return nil, s.fail(ctx, "GetWallet", err)
	}
	out, err := s.store.Wallet(ctx, r.GetAddress(), asOf)
	if err != nil {
		return nil, s.fail(ctx, "GetWallet", err)
	}
	return walletToProto(out), nil
}

// ListWallets implements registryv1.RegistryServiceServer.
func (s *Service) ListWallets(ctx context.Context, r *registryv1.ListWalletsRequest) (*registryv1.ListWalletsResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "ListWallets", err)
	}
	f := registry.WalletFilter{InvestorID: r.GetInvestorId(), Chain: strings.ToLower(r.GetChain())}
	items, next, err := s.store.ListWallets(ctx, f, pageReq(r.GetPageSize(), r.GetPageToken()))
	if err != nil {
		return nil, s.fail(ctx, "ListWallets", err)
	}
	out := &registryv1.ListWalletsResponse{NextPageToken: next}
	for _, v := range items {
		out.Wallets = append(out.Wallets, walletToProto(v))
	}
	return out, nil
}

// ---- assets ----

// CreateAsset implements registryv1.RegistryServiceServer. It needs admin.
func (s *Service) CreateAsset(ctx context.Context, r *registryv1.CreateAssetRequest) (*registryv1.Asset, error) {
	p, err := auth.Require(ctx, auth.RoleAdmin)
	if err != nil {
		return nil, s.fail(ctx, "CreateAsset", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "CreateAsset", err)
	}
	a := registry.Asset{ID: r.GetAsset().GetId()}
	if err := applyAsset(&a, r.GetAsset()); err != nil {
		return nil, s.fail(ctx, "CreateAsset", err)
	}
	out, err := s.store.CreateAsset(ctx, a, c)
	if err != nil {
		return nil, s.fail(ctx, "CreateAsset", err)
	}
	return assetToProto(out), nil
}

// UpdateAsset implements registryv1.RegistryServiceServer.
func (s *Service) UpdateAsset(ctx context.Context, r *registryv1.UpdateAssetRequest) (*registryv1.Asset, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "UpdateAsset", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "UpdateAsset", err)
	}
	if r.GetVersion() <= 0 {
		return nil, s.fail(ctx, "UpdateAsset", invalid("version", "is required (the version you read)"))
	}
	if id := r.GetAsset().GetId(); id != "" && id != r.GetId() {
		return nil, s.fail(ctx, "UpdateAsset", invalid("asset.id", "must match the id in the path"))
	}
	cur, err := s.store.Asset(ctx, r.GetId(), time.Time{})
	if err != nil {
		return nil, s.fail(ctx, "UpdateAsset", err)
	}
	if err := applyAsset(&cur, r.GetAsset()); err != nil {
		return nil, s.fail(ctx, "UpdateAsset", err)
	}
	out, err := s.store.UpdateAsset(ctx, cur, r.GetVersion(), c)
	if err != nil {
		return nil, s.fail(ctx, "UpdateAsset", err)
	}
	return assetToProto(out), nil
}

// GetAsset implements registryv1.RegistryServiceServer.
func (s *Service) GetAsset(ctx context.Context, r *registryv1.GetAssetRequest) (*registryv1.Asset, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "GetAsset", err)
	}
	asOf, err := parseAsOf(r.GetAsOf())
	if err != nil {
		return nil, s.fail(ctx, "GetAsset", err)
	}
	out, err := s.store.Asset(ctx, r.GetId(), asOf)
	if err != nil {
		return nil, s.fail(ctx, "GetAsset", err)
	}
	return assetToProto(out), nil
}

// ListAssets implements registryv1.RegistryServiceServer.
func (s *Service) ListAssets(ctx context.Context, r *registryv1.ListAssetsRequest) (*registryv1.ListAssetsResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "ListAssets", err)
	}
	items, next, err := s.store.ListAssets(ctx, registry.AssetFilter{Pack: r.GetPack()}, pageReq(r.GetPageSize(), r.GetPageToken()))
	if err != nil {
		return nil, s.fail(ctx, "ListAssets", err)
	}
	out := &registryv1.ListAssetsResponse{NextPageToken: next}
	for _, v := range items {
		out.Assets = append(out.Assets, assetToProto(v))
	}
	return out, nil
}

// ---- whitelist ----

// AddToWhitelist implements registryv1.RegistryServiceServer.
func (s *Service) AddToWhitelist(ctx context.Context, r *registryv1.WhitelistRequest) (*registryv1.WhitelistEntry, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "AddToWhitelist", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "AddToWhitelist", err)
	}
	e, err := s.store.AddToWhitelist(ctx, r.GetAssetId(), r.GetInvestorId(), c)
	if err != nil {
		return nil, s.fail(ctx, "AddToWhitelist", err)
	}
	return whitelistToProto(e), nil
}

// RemoveFromWhitelist implements registryv1.RegistryServiceServer.
func (s *Service) RemoveFromWhitelist(ctx context.Context, r *registryv1.WhitelistRequest) (*registryv1.WhitelistEntry, error) {
	p, err := auth.Require(ctx, auth.RoleCompliance)
	if err != nil {
		return nil, s.fail(ctx, "RemoveFromWhitelist", err)
	}
	c, err := change(p, r.GetReason())
	if err != nil {
		return nil, s.fail(ctx, "RemoveFromWhitelist", err)
	}
	e, err := s.store.RemoveFromWhitelist(ctx, r.GetAssetId(), r.GetInvestorId(), c)
	if err != nil {
		return nil, s.fail(ctx, "RemoveFromWhitelist", err)
	}
	return whitelistToProto(e), nil
}

// ---- history ----

func kindOf(k string) (string, bool) {
	switch strings.ToLower(k) {
	case "investor", "investors":
		return registry.KindInvestor, true
	case "wallet", "wallets":
		return registry.KindWallet, true
	case "asset", "assets":
		return registry.KindAsset, true
	case "whitelist", "whitelists":
		return registry.KindWhitelist, true
	}
	return "", false
}

// GetHistory implements registryv1.RegistryServiceServer.
func (s *Service) GetHistory(ctx context.Context, r *registryv1.GetHistoryRequest) (*registryv1.GetHistoryResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "GetHistory", err)
	}
	kind, id := "", r.GetId()
	if r.GetAssetId() != "" || r.GetInvestorId() != "" {
		kind, id = registry.KindWhitelist, registry.WhitelistID(r.GetAssetId(), r.GetInvestorId())
	} else {
		var ok bool
		if kind, ok = kindOf(r.GetKind()); !ok {
			return nil, s.fail(ctx, "GetHistory", invalid("kind", "must be investors, wallets, assets or whitelist"))
		}
	}
	revs, err := s.store.History(ctx, kind, id)
	if err != nil {
		return nil, s.fail(ctx, "GetHistory", err)
	}
	if len(revs) == 0 {
		return nil, s.fail(ctx, "GetHistory", registry.ErrNotFound)
	}
	out := &registryv1.GetHistoryResponse{}
	for _, rv := range revs {
		out.Revisions = append(out.Revisions, revisionToProto(rv))
	}
	return out, nil
}

// GetEligibilityIntervals implements registryv1.RegistryServiceServer.
func (s *Service) GetEligibilityIntervals(ctx context.Context, r *registryv1.GetEligibilityIntervalsRequest) (*registryv1.GetEligibilityIntervalsResponse, error) {
	if _, err := auth.Require(ctx); err != nil {
		return nil, s.fail(ctx, "GetEligibilityIntervals", err)
	}
	if s.elig == nil {
		return nil, s.fail(ctx, "GetEligibilityIntervals", errNoEligibility)
	}
	ivs, err := s.intervals(ctx, r)
	if err != nil {
		return nil, s.fail(ctx, "GetEligibilityIntervals", err)
	}
	return &registryv1.GetEligibilityIntervalsResponse{Intervals: ivs}, nil
}

func (s *Service) intervals(ctx context.Context, r *registryv1.GetEligibilityIntervalsRequest) ([]*registryv1.EligibilityInterval, error) {
	from, err := parseTime("from", r.GetFrom())
	if err != nil {
		return nil, err
	}
	to, err := parseTime("to", r.GetTo())
	if err != nil {
		return nil, err
	}
	if to.IsZero() {
		to = s.now().UTC().Truncate(time.Microsecond).Add(time.Microsecond)
	}
	if from.IsZero() {
		hist, err := s.store.History(ctx, registry.KindWallet, r.GetWallet())
		if err != nil {
			return nil, err
		}
		if len(hist) == 0 {
			return nil, registry.ErrNotFound
		}
		from = hist[0].At
	}
	if !to.After(from) {
		return nil, invalid("to", "must be after from")
	}
	pts, err := s.store.ChangePoints(ctx, r.GetAssetId(), r.GetWallet(), from, to)
	if err != nil {
		return nil, err
	}
	// Group change points by instant; the range start is always evaluated.
	type instant struct {
		at      time.Time
		changes []registry.ChangePoint
	}
	insts := []instant{{at: from}}
	for _, p := range pts {
		last := &insts[len(insts)-1]
		if p.At.Equal(last.at) {
			last.changes = append(last.changes, p)
			continue
		}
		insts = append(insts, instant{at: p.At, changes: []registry.ChangePoint{p}})
	}
	if len(insts) > MaxEligibilityPoints {
		return nil, invalid("from", "range has too many changes; narrow it")
	}
	var out []*registryv1.EligibilityInterval
	var prevCodes []string
	for i, in := range insts {
		ok, reasons, err := s.elig(ctx, r.GetAssetId(), r.GetWallet(), in.at)
		if err != nil {
			return nil, err
		}
		codes := make([]string, 0, len(reasons))
		for _, rs := range reasons {
			codes = append(codes, rs.Code)
		}
		slices.Sort(codes)
		if i > 0 {
			last := out[len(out)-1]
			if last.Eligible == ok && slices.Equal(prevCodes, codes) {
				continue
			}
			last.To = fmtTime(in.at)
		}
		iv := &registryv1.EligibilityInterval{From: fmtTime(in.at), Eligible: ok, Reasons: reasonsToProto(reasons)}
		for _, c := range in.changes {
			iv.Changes = append(iv.Changes, changeToProto(c))
		}
		out = append(out, iv)
		prevCodes = codes
	}
	out[len(out)-1].To = fmtTime(to)
	return out, nil
}
