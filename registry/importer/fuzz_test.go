package importer_test

import (
	"bytes"
	"testing"

	"github.com/clearancehq/clearance/registry/importer"
)

// FuzzParse checks that no input makes the parser panic, and that every
// row it accepts is exactly one kind.
func FuzzParse(f *testing.F) {
	f.Add([]byte(jsonl))
	f.Add([]byte("kind,id,status,category,jurisdiction,type\ninvestor,inv-1,APPROVED,RETAIL,DE,INDIVIDUAL\n"))
	f.Add([]byte("kind,asset_id,investor_id,remove\nwhitelist,A,i-1,true\n"))
	f.Add([]byte(`{"kind":"asset","id":"A","ticker":"A","params":{"conditions":[{"id":"c","expr":"x","effect":"DENY","code":"C"}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, format := range []string{"", importer.FormatCSV, importer.FormatJSONL} {
			rows, _, err := importer.Parse(bytes.NewReader(data), format)
			if err != nil {
				continue
			}
			for _, r := range rows {
				if r.Mutation.Kind() == "" {
					t.Fatalf("line %d: accepted row without exactly one kind", r.Line)
				}
				if r.Line <= 0 {
					t.Fatalf("row with line %d", r.Line)
				}
			}
		}
	})
}
