package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/clearancehq/clearance/registry"
)

// Formats.
const (
	FormatJSONL = "jsonl"
	FormatCSV   = "csv"
)

// Limits on input.
const (
	MaxLineBytes     = 1 << 20
	MaxRows          = 5_000_000
	DefaultBatchSize = 2000
)

// Columns is the CSV header, in export order. Import accepts any order and
// any subset that includes "kind".
var Columns = []string{
	"kind", "id", "name", "date_of_birth", "nationality", "registration_number", "status",
	"effective_from", "effective_to", "kyc_expires_at", "category", "jurisdiction", "type", "active",
	"locked_until", "expected_min", "expected_max", "external_refs", "beneficial_owners",
	"address", "chain", "investor_id", "verified", "frozen", "frozen_amount",
	"ticker", "decimals", "pack", "params", "paused_actions", "treasury_wallet", "redemption_wallet",
	"asset_id", "remove",
}

// Options tunes Import.
type Options struct {
	// Format is FormatJSONL, FormatCSV or "" to detect.
	Format string
	// Atomic applies every row in one transaction, or nothing if any row is bad.
	Atomic bool
	// BatchSize is the number of rows per transaction (non-atomic mode).
	BatchSize int
	// Progress, if set, is called after each batch with rows done and total.
	Progress func(done, total int)
	// Change is recorded on every version the import creates.
	Change registry.Change
}

// RowError is one rejected row.
type RowError struct {
	Line int
	Kind string
	ID   string
	Err  error
}

func (e RowError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("line %d: %s %s: %v", e.Line, e.Kind, e.ID, e.Err)
	}
	return fmt.Sprintf("line %d: %v", e.Line, e.Err)
}

// Result summarises an import.
type Result struct {
	Total     int
	Applied   int // rows that created a new version
	Unchanged int // rows equal to the stored content
	Failed    int
	Errors    []RowError
}

// Row is one parsed input row.
type Row struct {
	Line     int
	Mutation registry.Mutation
}

// ImportFile opens path and imports it; the format defaults to the
// extension (.csv, .jsonl, .ndjson, .json).
func ImportFile(ctx context.Context, store registry.Store, path string, opts Options) (Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return Result{}, fmt.Errorf("importer: %w", err)
	}
	defer f.Close()
	if opts.Format == "" {
		switch strings.ToLower(filepath.Ext(path)) {
		case ".csv":
			opts.Format = FormatCSV
		case ".jsonl", ".ndjson", ".json":
			opts.Format = FormatJSONL
		}
	}
	return Import(ctx, store, f, opts)
}

// Import parses r and applies its rows to store. A returned error means
// the import could not run (unreadable input, store failure, or an atomic
// import with bad rows); row errors are in Result.Errors.
func Import(ctx context.Context, store registry.Store, r io.Reader, opts Options) (Result, error) {
	rows, rowErrs, err := Parse(r, opts.Format)
	if err != nil {
		return Result{}, err
	}
	res := Result{Total: len(rows) + len(rowErrs), Errors: rowErrs, Failed: len(rowErrs)}
	if opts.Atomic && len(rowErrs) > 0 {
		return res, fmt.Errorf("importer: %d bad rows, nothing applied (atomic): %w", len(rowErrs), registry.ErrInvalid)
	}
	batch := opts.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	if opts.Atomic {
		batch = len(rows)
	}
	done := len(rowErrs)
	if opts.Progress != nil {
		opts.Progress(done, res.Total)
	}
	for start := 0; start < len(rows); start += batch {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		chunk := rows[start:min(start+batch, len(rows))]
		muts := make([]registry.Mutation, len(chunk))
		for i, r := range chunk {
			muts[i] = r.Mutation
		}
		results, err := store.Upsert(ctx, muts, opts.Change, registry.UpsertOptions{AllOrNothing: opts.Atomic})
		if len(results) == len(chunk) {
			for i, mr := range results {
				switch {
				case mr.Err != nil:
					res.Failed++
					res.Errors = append(res.Errors, RowError{Line: chunk[i].Line, Kind: mr.Kind, ID: mr.ID, Err: mr.Err})
				case opts.Atomic && err != nil:
				case mr.Changed:
					res.Applied++
				default:
					res.Unchanged++
				}
			}
		}
		if err != nil {
			slices.SortFunc(res.Errors, func(a, b RowError) int { return a.Line - b.Line })
			return res, fmt.Errorf("importer: apply rows: %w", err)
		}
		done += len(chunk)
		if opts.Progress != nil {
			opts.Progress(done, res.Total)
		}
	}
	slices.SortFunc(res.Errors, func(a, b RowError) int { return a.Line - b.Line })
	return res, nil
}

// Parse reads every row of r. Rows that fail to parse or validate are
// returned as RowErrors; the error is for unreadable input.
func Parse(r io.Reader, format string) ([]Row, []RowError, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if format == "" {
		head, _ := br.Peek(512)
		if t := bytes.TrimLeft(head, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
			format = FormatJSONL
		} else {
			format = FormatCSV
		}
	}
	switch format {
	case FormatJSONL:
		return parseJSONL(br)
	case FormatCSV:
		return parseCSV(br)
	}
	return nil, nil, fmt.Errorf("importer: unknown format %q", format)
}

type kindOnly struct {
	Kind string `json:"kind"`
}

type investorRow struct {
	Kind string `json:"kind"`
	registry.Investor
}

type walletRow struct {
	Kind string `json:"kind"`
	registry.Wallet
}

type assetRow struct {
	Kind string `json:"kind"`
	registry.Asset
}

type whitelistRow struct {
	Kind       string `json:"kind"`
	AssetID    string `json:"asset_id"`
	InvestorID string `json:"investor_id"`
	Remove     bool   `json:"remove,omitempty"`
}

func strict(line []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}

func parseJSONL(r *bufio.Reader) ([]Row, []RowError, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	var rows []Row
	var errs []RowError
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if len(rows)+len(errs) >= MaxRows {
			return nil, nil, fmt.Errorf("importer: more than %d rows", MaxRows)
		}
		m, id, kind, err := decodeJSONRow(b)
		if err != nil {
			errs = append(errs, RowError{Line: line, Kind: kind, ID: id, Err: err})
			continue
		}
		rows = append(rows, Row{Line: line, Mutation: m})
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("importer: read line %d: %w", line+1, err)
	}
	return rows, errs, nil
}

func decodeJSONRow(b []byte) (registry.Mutation, string, string, error) {
	var k kindOnly
	if err := json.Unmarshal(b, &k); err != nil {
		return registry.Mutation{}, "", "", fmt.Errorf("malformed JSON: %w", err)
	}
	switch k.Kind {
	case registry.KindInvestor:
		var r investorRow
		if err := strict(b, &r); err != nil {
			return registry.Mutation{}, "", k.Kind, fmt.Errorf("malformed investor: %w", err)
		}
		inv := r.Investor
		return check(registry.Mutation{Investor: &inv}, inv.ID, k.Kind)
	case registry.KindWallet:
		var r walletRow
		if err := strict(b, &r); err != nil {
			return registry.Mutation{}, "", k.Kind, fmt.Errorf("malformed wallet: %w", err)
		}
		w := r.Wallet
		return check(registry.Mutation{Wallet: &w}, w.Address, k.Kind)
	case registry.KindAsset:
		var r assetRow
		if err := strict(b, &r); err != nil {
			return registry.Mutation{}, "", k.Kind, fmt.Errorf("malformed asset: %w", err)
		}
		a := r.Asset
		return check(registry.Mutation{Asset: &a}, a.ID, k.Kind)
	case registry.KindWhitelist:
		var r whitelistRow
		if err := strict(b, &r); err != nil {
			return registry.Mutation{}, "", k.Kind, fmt.Errorf("malformed whitelist entry: %w", err)
		}
		e := registry.WhitelistEntry{AssetID: r.AssetID, InvestorID: r.InvestorID, Active: !r.Remove}
		return check(registry.Mutation{Whitelist: &e}, registry.WhitelistID(r.AssetID, r.InvestorID), k.Kind)
	}
	return registry.Mutation{}, "", "", &registry.ValidationError{Field: "kind", Rule: "must be investor, wallet, asset or whitelist"}
}

// check validates a row the way the store will (on a copy, so the store
// sees the row as given).
func check(m registry.Mutation, id, kind string) (registry.Mutation, string, string, error) {
	var err error
	switch {
	case m.Investor != nil:
		c := *m.Investor
		err = registry.ValidateInvestor(&c)
	case m.Wallet != nil:
		c := *m.Wallet
		err = registry.ValidateWallet(&c)
		if err == nil {
			id = c.Address
		}
	case m.Asset != nil:
		c := *m.Asset
		c.PausedActions = slices.Clone(c.PausedActions)
		c.Params.AllowedJurisdictions = slices.Clone(c.Params.AllowedJurisdictions)
		c.Params.BlockedJurisdictions = slices.Clone(c.Params.BlockedJurisdictions)
		c.Params.AllowedCategories = slices.Clone(c.Params.AllowedCategories)
		c.Params.Conditions = slices.Clone(c.Params.Conditions)
		err = registry.ValidateAsset(&c)
	case m.Whitelist != nil:
		err = registry.ValidateWhitelist(m.Whitelist.AssetID, m.Whitelist.InvestorID)
	}
	return m, id, kind, err
}

func parseCSV(r io.Reader) ([]Row, []RowError, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("importer: read CSV header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if !slices.Contains(Columns, h) {
			return nil, nil, fmt.Errorf("importer: CSV header: unknown column %q", h)
		}
		col[h] = i
	}
	if _, ok := col["kind"]; !ok {
		return nil, nil, errors.New("importer: CSV header: a kind column is required")
	}
	var rows []Row
	var errs []RowError
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				errs = append(errs, RowError{Line: pe.Line, Err: fmt.Errorf("malformed CSV: %w", pe.Err)})
				continue
			}
			return nil, nil, fmt.Errorf("importer: read CSV: %w", err)
		}
		if len(rows)+len(errs) >= MaxRows {
			return nil, nil, fmt.Errorf("importer: more than %d rows", MaxRows)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		if len(rec) == 1 && rec[0] == "" {
			continue
		}
		m, id, kind, err := csvRow(get)
		if err != nil {
			errs = append(errs, RowError{Line: line, Kind: kind, ID: id, Err: err})
			continue
		}
		rows = append(rows, Row{Line: line, Mutation: m})
	}
	return rows, errs, nil
}

type fieldErr struct{ field, rule string }

func csvRow(get func(string) string) (registry.Mutation, string, string, error) {
	kind := strings.ToLower(get("kind"))
	var fe *fieldErr
	tm := func(field string) *time.Time {
		v := get(field)
		if v == "" || fe != nil {
			return nil
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			fe = &fieldErr{field, "must be an RFC 3339 time"}
			return nil
		}
		return &t
	}
	boolean := func(field string, def bool) bool {
		v := get(field)
		if v == "" || fe != nil {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			fe = &fieldErr{field, "must be true or false"}
		}
		return b
	}
	integer := func(field string) int64 {
		v := get(field)
		if v == "" || fe != nil {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			fe = &fieldErr{field, "must be an integer"}
		}
		return n
	}
	list := func(field string) []string {
		v := get(field)
		if v == "" {
			return nil
		}
		return strings.Split(v, ";")
	}
	var m registry.Mutation
	var id string
	switch kind {
	case registry.KindInvestor:
		inv := registry.Investor{
			ID: get("id"), Name: get("name"), DateOfBirth: get("date_of_birth"), Nationality: get("nationality"),
			RegistrationNumber: get("registration_number"), Status: get("status"), Category: get("category"),
			Jurisdiction: get("jurisdiction"), Type: get("type"), Active: boolean("active", true),
			ExpectedMin: integer("expected_min"), ExpectedMax: integer("expected_max"),
		}
		if t := tm("effective_from"); t != nil {
			inv.EffectiveFrom = *t
		}
		inv.EffectiveTo, inv.KYCExpiresAt, inv.LockedUntil = tm("effective_to"), tm("kyc_expires_at"), tm("locked_until")
		for _, kv := range list("external_refs") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				fe = &fieldErr{"external_refs", "must be key=value pairs separated by ;"}
				break
			}
			if inv.ExternalRefs == nil {
				inv.ExternalRefs = map[string]string{}
			}
			inv.ExternalRefs[k] = v
		}
		if bo := get("beneficial_owners"); bo != "" && fe == nil {
			if err := strict([]byte(bo), &inv.BeneficialOwners); err != nil {
				fe = &fieldErr{"beneficial_owners", "must be a JSON array of beneficial owners: " + err.Error()}
			}
		}
		m, id = registry.Mutation{Investor: &inv}, inv.ID
	case registry.KindWallet:
		w := registry.Wallet{Address: get("address"), Chain: get("chain"), InvestorID: get("investor_id"),
			Verified: boolean("verified", false), Active: boolean("active", true), Frozen: boolean("frozen", false), FrozenAmount: integer("frozen_amount")}
		m, id = registry.Mutation{Wallet: &w}, w.Address
	case registry.KindAsset:
		a := registry.Asset{ID: get("id"), Ticker: get("ticker"), Pack: get("pack"), PausedActions: list("paused_actions"),
			TreasuryWallet: get("treasury_wallet"), RedemptionWallet: get("redemption_wallet")}
		a.Decimals = int(integer("decimals"))
		if p := get("params"); p != "" && fe == nil {
			if err := strict([]byte(p), &a.Params); err != nil {
				fe = &fieldErr{"params", "must be a JSON object of asset parameters: " + err.Error()}
			}
		}
		m, id = registry.Mutation{Asset: &a}, a.ID
	case registry.KindWhitelist:
		e := registry.WhitelistEntry{AssetID: get("asset_id"), InvestorID: get("investor_id"), Active: !boolean("remove", false)}
		m, id = registry.Mutation{Whitelist: &e}, registry.WhitelistID(e.AssetID, e.InvestorID)
	default:
		return m, "", kind, &registry.ValidationError{Field: "kind", Rule: "must be investor, wallet, asset or whitelist"}
	}
	if fe != nil {
		return m, id, kind, &registry.ValidationError{Field: fe.field, Rule: fe.rule}
	}
	return check(m, id, kind)
}
