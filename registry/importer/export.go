package importer

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearancehq/clearance/registry"
)

// Export writes every current investor, asset, wallet and active whitelist
// entry of store to w in format (FormatJSONL or FormatCSV), in an order
// Import accepts: investors, assets, wallets, whitelist entries.
func Export(ctx context.Context, store registry.Store, w io.Writer, format string) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	var emit func(rec map[string]string, obj any) error
	switch format {
	case FormatJSONL, "":
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		emit = func(_ map[string]string, obj any) error { return enc.Encode(obj) }
	case FormatCSV:
		cw := csv.NewWriter(bw)
		if err := cw.Write(Columns); err != nil {
			return fmt.Errorf("importer: export: %w", err)
		}
		defer cw.Flush()
		row := make([]string, len(Columns))
		emit = func(rec map[string]string, _ any) error {
			for i, c := range Columns {
				row[i] = rec[c]
			}
			if err := cw.Write(row); err != nil {
				return err
			}
			return cw.Error()
		}
	default:
		return fmt.Errorf("importer: unknown format %q", format)
	}
	if err := exportAll(ctx, store, emit); err != nil {
		return err
	}
	return bw.Flush()
}

func ts(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func i64(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func exportAll(ctx context.Context, store registry.Store, emit func(map[string]string, any) error) error {
	p := registry.PageRequest{Limit: registry.MaxPageSize}
	for {
		invs, next, err := store.ListInvestors(ctx, registry.InvestorFilter{}, p)
		if err != nil {
			return fmt.Errorf("importer: export investors: %w", err)
		}
		for _, inv := range invs {
			var refs []string
			for k, v := range inv.ExternalRefs {
				refs = append(refs, k+"="+v)
			}
			rec := map[string]string{
				"kind": registry.KindInvestor, "id": inv.ID, "name": inv.Name, "date_of_birth": inv.DateOfBirth,
				"nationality": inv.Nationality, "registration_number": inv.RegistrationNumber, "status": inv.Status,
				"effective_from": ts(&inv.EffectiveFrom), "effective_to": ts(inv.EffectiveTo), "kyc_expires_at": ts(inv.KYCExpiresAt),
				"category": inv.Category, "jurisdiction": inv.Jurisdiction, "type": inv.Type, "active": strconv.FormatBool(inv.Active),
				"locked_until": ts(inv.LockedUntil), "expected_min": i64(inv.ExpectedMin), "expected_max": i64(inv.ExpectedMax),
				"external_refs": strings.Join(sorted(refs), ";"),
			}
			if len(inv.BeneficialOwners) > 0 {
				bo, err := json.Marshal(inv.BeneficialOwners)
				if err != nil {
					return fmt.Errorf("importer: export: %w", err)
				}
				rec["beneficial_owners"] = string(bo)
			}
			if err := emit(rec, investorRow{Kind: registry.KindInvestor, Investor: inv}); err != nil {
				return fmt.Errorf("importer: export: %w", err)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	p.Cursor = ""
	for {
		assets, next, err := store.ListAssets(ctx, registry.AssetFilter{}, p)
		if err != nil {
			return fmt.Errorf("importer: export assets: %w", err)
		}
		for _, a := range assets {
			params, err := json.Marshal(a.Params)
			if err != nil {
				return fmt.Errorf("importer: export: %w", err)
			}
			rec := map[string]string{
				"kind": registry.KindAsset, "id": a.ID, "ticker": a.Ticker, "decimals": strconv.Itoa(a.Decimals), "pack": a.Pack,
				"params": string(params), "paused_actions": strings.Join(a.PausedActions, ";"),
				"treasury_wallet": a.TreasuryWallet, "redemption_wallet": a.RedemptionWallet,
			}
			if err := emit(rec, assetRow{Kind: registry.KindAsset, Asset: a}); err != nil {
				return fmt.Errorf("importer: export: %w", err)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	p.Cursor = ""
	for {
		ws, next, err := store.ListWallets(ctx, registry.WalletFilter{}, p)
		if err != nil {
			return fmt.Errorf("importer: export wallets: %w", err)
		}
		for _, w := range ws {
			rec := map[string]string{
				"kind": registry.KindWallet, "address": w.Address, "chain": w.Chain, "investor_id": w.InvestorID,
				"verified": strconv.FormatBool(w.Verified), "active": strconv.FormatBool(w.Active),
				"frozen": strconv.FormatBool(w.Frozen), "frozen_amount": i64(w.FrozenAmount),
			}
			if err := emit(rec, walletRow{Kind: registry.KindWallet, Wallet: w}); err != nil {
				return fmt.Errorf("importer: export: %w", err)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	p.Cursor = ""
	for {
		es, next, err := store.ListWhitelist(ctx, "", p)
		if err != nil {
			return fmt.Errorf("importer: export whitelist: %w", err)
		}
		for _, e := range es {
			rec := map[string]string{"kind": registry.KindWhitelist, "asset_id": e.AssetID, "investor_id": e.InvestorID}
			if err := emit(rec, whitelistRow{Kind: registry.KindWhitelist, AssetID: e.AssetID, InvestorID: e.InvestorID}); err != nil {
				return fmt.Errorf("importer: export: %w", err)
			}
		}
		if next == "" {
			break
		}
		p.Cursor = next
	}
	return nil
}

func sorted(s []string) []string {
	slices.Sort(s)
	return s
}
