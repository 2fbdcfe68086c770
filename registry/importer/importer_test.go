package importer_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/registry"
	"github.com/clearancehq/clearance/registry/boltstore"
	"github.com/clearancehq/clearance/registry/importer"
)

func newStore(t *testing.T) *boltstore.Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := boltstore.New(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var change = registry.Change{Actor: "import-test", Reason: "test"}

const jsonl = `{"kind":"investor","id":"inv-1","status":"APPROVED","category":"ACCREDITED","jurisdiction":"CH","type":"INDIVIDUAL","active":true}
{"kind":"investor","id":"inv-2","status":"APPROVED","category":"ACCREDITED","jurisdiction":"ZZ","type":"INDIVIDUAL"}

{"kind":"wallet","address":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","investor_id":"inv-1","verified":true,"active":true}
{"kind":"wallet","address":"0x1234","investor_id":"inv-1"}
{"kind":"asset","id":"A-1","ticker":"AAA","decimals":2,"params":{"allowed_jurisdictions":["CH"]}}
{"kind":"whitelist","asset_id":"A-1","investor_id":"inv-1"}
{"kind":"unicorn","id":"x"}
{"kind":"investor","id":"inv-3","status":"APPROVED","category":"ACCREDITED","jurisdiction":"CH","type":"INDIVIDUAL","colour":"blue"}
{"kind":"wallet","address":"0x00000000000000000000000000000000000000aa","investor_id":"inv-missing"}
`

func lines(errs []importer.RowError) []int {
	var out []int
	for _, e := range errs {
		out = append(out, e.Line)
	}
	return out
}

func TestImportJSONLReportsBadRows(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	var calls [][2]int
	res, err := importer.Import(ctx, s, strings.NewReader(jsonl), importer.Options{Change: change, BatchSize: 2, Progress: func(d, n int) { calls = append(calls, [2]int{d, n}) }})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{2, 5, 8, 9, 10}, lines(res.Errors)); diff != "" {
		t.Fatalf("bad row lines (-want +got):\n%s\n%v", diff, res.Errors)
	}
	var ve *registry.ValidationError
	if !errors.As(res.Errors[0].Err, &ve) || ve.Field != "jurisdiction" {
		t.Fatalf("line 2 error: %v", res.Errors[0].Err)
	}
	if !strings.Contains(res.Errors[0].Error(), "line 2") {
		t.Fatalf("row error text lacks its line: %s", res.Errors[0].Error())
	}
	if res.Total != 9 || res.Applied != 4 || res.Failed != 5 {
		t.Fatalf("result: %+v", res)
	}
	if ok, _ := s.Whitelisted(ctx, "A-1", "inv-1", time.Time{}); !ok {
		t.Fatal("whitelist row not applied")
	}
	if _, err := s.Wallet(ctx, "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{9, 9} {
		t.Fatalf("progress calls: %v", calls)
	}
	for i := 1; i < len(calls); i++ {
		if calls[i][0] < calls[i-1][0] {
			t.Fatalf("progress went backwards: %v", calls)
		}
	}
}

func TestImportAtomic(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	res, err := importer.Import(ctx, s, strings.NewReader(jsonl), importer.Options{Change: change, Atomic: true})
	if !errors.Is(err, registry.ErrInvalid) {
		t.Fatalf("err = %v, want ErrInvalid", err)
	}
	if len(res.Errors) == 0 || res.Applied != 0 {
		t.Fatalf("result: %+v", res)
	}
	if _, err := s.Investor(ctx, "inv-1", time.Time{}); !errors.Is(err, registry.ErrNotFound) {
		t.Fatalf("atomic import applied rows: %v", err)
	}
	// A row that parses but fails in the store (unknown owner) also aborts.
	src := `{"kind":"investor","id":"inv-1","status":"APPROVED","category":"ACCREDITED","jurisdiction":"CH","type":"INDIVIDUAL"}
{"kind":"wallet","address":"0x00000000000000000000000000000000000000aa","investor_id":"inv-missing"}
`
	res, err = importer.Import(ctx, s, strings.NewReader(src), importer.Options{Change: change, Atomic: true})
	if !errors.Is(err, registry.ErrInvalid) || len(res.Errors) != 1 || res.Errors[0].Line != 2 {
		t.Fatalf("store-side failure: %v %+v", err, res)
	}
	if seq, _ := s.Seq(ctx); seq != 0 {
		t.Fatalf("atomic failure committed %d changes", seq)
	}
}

func TestImportCSVAndIdempotent(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	src := "kind,id,status,category,jurisdiction,type,kyc_expires_at,external_refs,address,investor_id,verified,asset_id,ticker,decimals,params\n" +
		"investor,inv-1,APPROVED,ACCREDITED,CH,INDIVIDUAL,2031-01-01T00:00:00Z,kyc=abc;crm=42,,,,,,,\n" +
		"investor,inv-2,APPROVED,ACCREDITED,CH,INDIVIDUAL,not-a-time,,,,,,,,\n" +
		"asset,A-1,,,,,,,,,,,AAA,2,\"{\"\"allowed_categories\"\":[\"\"ACCREDITED\"\"]}\"\n" +
		"wallet,,,,,,,,0x00000000000000000000000000000000000000aa,inv-1,true,,,,\n" +
		"whitelist,,,,,,,,,inv-1,,A-1,,,\n" +
		"asset,A-2,,,,,,,,,,,AAA,19,\n"
	res, err := importer.Import(ctx, s, strings.NewReader(src), importer.Options{Change: change})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int{3, 7}, lines(res.Errors)); diff != "" {
		t.Fatalf("bad lines:\n%s %v", diff, res.Errors)
	}
	var ve *registry.ValidationError
	if !errors.As(res.Errors[0].Err, &ve) || ve.Field != "kyc_expires_at" {
		t.Fatalf("line 3: %v", res.Errors[0].Err)
	}
	if !errors.As(res.Errors[1].Err, &ve) || ve.Field != "decimals" {
		t.Fatalf("line 7: %v", res.Errors[1].Err)
	}
	inv, err := s.Investor(ctx, "inv-1", time.Time{})
	if err != nil || inv.ExternalRefs["crm"] != "42" || inv.KYCExpiresAt == nil {
		t.Fatalf("csv investor: %+v %v", inv, err)
	}
	seq, _ := s.Seq(ctx)
	again, err := importer.Import(ctx, s, strings.NewReader(src), importer.Options{Change: change})
	if err != nil {
		t.Fatal(err)
	}
	if again.Applied != 0 || again.Unchanged != 4 {
		t.Fatalf("re-import: %+v", again)
	}
	if s2, _ := s.Seq(ctx); s2 != seq {
		t.Fatalf("re-import created versions: seq %d -> %d", seq, s2)
	}
}

func TestExportRoundTrip(t *testing.T) {
	for _, format := range []string{importer.FormatJSONL, importer.FormatCSV} {
		t.Run(format, func(t *testing.T) {
			src := newStore(t)
			ctx := t.Context()
			if _, err := importer.Import(ctx, src, strings.NewReader(jsonl), importer.Options{Change: change}); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := importer.Export(ctx, src, &buf, format); err != nil {
				t.Fatal(err)
			}
			dst := newStore(t)
			res, err := importer.Import(ctx, dst, bytes.NewReader(buf.Bytes()), importer.Options{Change: change})
			if err != nil || len(res.Errors) != 0 {
				t.Fatalf("re-import of export: %v %v", err, res.Errors)
			}
			if res.Applied != 4 {
				t.Fatalf("applied %d, want 4", res.Applied)
			}
			// Exporting the copy gives the same bytes, modulo timestamps.
			a, _ := src.Investor(ctx, "inv-1", time.Time{})
			b, _ := dst.Investor(ctx, "inv-1", time.Time{})
			a.UpdatedAt, b.UpdatedAt, a.EffectiveFrom, b.EffectiveFrom = time.Time{}, time.Time{}, time.Time{}, time.Time{}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Fatalf("investor after round trip:\n%s", diff)
			}
			again, _ := importer.Import(ctx, src, bytes.NewReader(buf.Bytes()), importer.Options{Change: change})
			if again.Applied != 0 {
				t.Fatalf("importing an export into its source changed %d rows", again.Applied)
			}
		})
	}
}

func TestDetectFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		src  string
		rows int
	}{
		{"jsonl", `{"kind":"whitelist","asset_id":"A","investor_id":"i-1"}` + "\n", 1},
		{"jsonl with leading blank", "\n  \n" + `{"kind":"whitelist","asset_id":"A","investor_id":"i-1"}`, 1},
		{"csv", "kind,asset_id,investor_id\nwhitelist,A,i-1\nwhitelist,A,i-2\n", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, errs, err := importer.Parse(strings.NewReader(tc.src), "")
			if err != nil || len(errs) != 0 || len(rows) != tc.rows {
				t.Fatalf("rows=%d errs=%v err=%v", len(rows), errs, err)
			}
		})
	}
	if _, _, err := importer.Parse(strings.NewReader("id,name\n1,x\n"), importer.FormatCSV); err == nil {
		t.Fatal("CSV without a kind column accepted")
	}
}

func TestBeneficialOwners(t *testing.T) {
	owners := []registry.BeneficialOwner{
		{Name: "Ann Owner", DateOfBirth: "1970-05-01", Nationality: "GB", OwnershipBP: 6000, Role: "owner"},
		{Name: "Carl Controller", Role: "controller"},
	}
	const boJSON = `[{"name":"Ann Owner","date_of_birth":"1970-05-01","nationality":"gb","ownership_bp":6000,"role":"owner"},{"name":"Carl Controller","role":"controller"}]`
	const invJSON = `{"kind":"investor","id":"ent-1","status":"APPROVED","category":"INSTITUTIONAL","jurisdiction":"CH","type":"ENTITY"`
	csvQuote := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
	tests := []struct {
		name   string
		src    string
		want   []registry.BeneficialOwner
		errFld string // the field a rejected row names
	}{
		{"jsonl", invJSON + `,"beneficial_owners":` + boJSON + "}\n", owners, ""},
		{"csv", "kind,id,status,category,jurisdiction,type,beneficial_owners\ninvestor,ent-1,APPROVED,INSTITUTIONAL,CH,ENTITY," + csvQuote(boJSON) + "\n", owners, ""},
		{"csv without owners", "kind,id,status,category,jurisdiction,type,beneficial_owners\ninvestor,ent-1,APPROVED,INSTITUTIONAL,CH,ENTITY,\n", nil, ""},
		{"jsonl owner not an array", invJSON + `,"beneficial_owners":{"name":"Ann"}}` + "\n", nil, "-"},
		{"jsonl owner unknown field", invJSON + `,"beneficial_owners":[{"name":"Ann","share":5}]}` + "\n", nil, "-"},
		{"jsonl owner bad nationality", invJSON + `,"beneficial_owners":[{"name":"Ann","nationality":"XX"}]}` + "\n", nil, "beneficial_owners[0].nationality"},
		{"csv owners not JSON", "kind,id,status,category,jurisdiction,type,beneficial_owners\ninvestor,ent-1,APPROVED,INSTITUTIONAL,CH,ENTITY,Ann Owner\n", nil, "beneficial_owners"},
		{"csv owner share too high", "kind,id,status,category,jurisdiction,type,beneficial_owners\ninvestor,ent-1,APPROVED,INSTITUTIONAL,CH,ENTITY," + csvQuote(`[{"name":"Ann","ownership_bp":10001}]`) + "\n", nil, "beneficial_owners[0].ownership_bp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			ctx := t.Context()
			res, err := importer.Import(ctx, s, strings.NewReader(tc.src), importer.Options{Change: change})
			if err != nil {
				t.Fatal(err)
			}
			if tc.errFld != "" {
				if len(res.Errors) != 1 {
					t.Fatalf("want one rejected row, got %+v", res)
				}
				var ve *registry.ValidationError
				if tc.errFld != "-" && (!errors.As(res.Errors[0].Err, &ve) || ve.Field != tc.errFld) {
					t.Fatalf("rejected on %v, want field %s", res.Errors[0].Err, tc.errFld)
				}
				return
			}
			if len(res.Errors) != 0 {
				t.Fatalf("errors: %v", res.Errors)
			}
			inv, err := s.Investor(ctx, "ent-1", time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, inv.BeneficialOwners); diff != "" {
				t.Fatalf("owners (-want +got):\n%s", diff)
			}
			// Both export formats carry the owners back unchanged.
			for _, format := range []string{importer.FormatJSONL, importer.FormatCSV} {
				var buf bytes.Buffer
				if err := importer.Export(ctx, s, &buf, format); err != nil {
					t.Fatal(err)
				}
				dst := newStore(t)
				if res, err := importer.Import(ctx, dst, &buf, importer.Options{Change: change}); err != nil || len(res.Errors) != 0 {
					t.Fatalf("%s re-import: %v %v", format, err, res.Errors)
				}
				back, err := dst.Investor(ctx, "ent-1", time.Time{})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tc.want, back.BeneficialOwners); diff != "" {
					t.Fatalf("%s export round trip (-want +got):\n%s", format, diff)
				}
			}
		})
	}
}
