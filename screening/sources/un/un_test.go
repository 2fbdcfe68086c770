package un_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/screeningtest"
	"github.com/clearancehq/clearance/screening/sources/un"
)

func parseFile(t *testing.T, path string) []screening.Entity {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := un.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	return ents
}

func TestParseFixture(t *testing.T) {
	ents := parseFile(t, "testdata/un.xml")
	type sum struct {
		ID, Type, Name, Aliases, DOB, Nat string
	}
	var got []sum
	for _, e := range ents {
		s := sum{ID: e.ID, Type: string(e.Type), Name: e.Name, Aliases: strings.Join(e.Aliases, "|"), Nat: strings.Join(e.Nationalities, "|")}
		if len(e.DatesOfBirth) > 0 {
			s.DOB = e.DatesOfBirth[0].String()
		}
		got = append(got, s)
	}
	want := []sum{
		{"6907993", "individual", "ERIC BADEGE", "", "1971", "Democratic Republic of the Congo"},
		{"6907994", "individual", "FRANK KAKOLELE BWAMBALE", "FRANK KAKORERE|FRANK KAKORERE BWAMBALE|AIGLE BLANC", "", "Democratic Republic of the Congo"},
		{"6907995", "individual", "GASTON IYAMUREMYE", "Rumuli|Byiringiro Victor Rumuli|Victor Rumuri|Michel Byiringiro", "1948", "Rwanda"},
		{"6908402", "entity", "ADF", "Allied Democratic Forces|Forces Démocratiques Alliées-Armée Nationale de Libération de l’Ouganda|ADF/NALU|NALU", "", ""},
		{"6908024", "entity", "BUTEMBO AIRLINES (BAL)", "", "", ""},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not xml", "garbage"},
		{"empty list", `<CONSOLIDATED_LIST><INDIVIDUALS/><ENTITIES/></CONSOLIDATED_LIST>`},
		{"no name", `<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><DATAID>1</DATAID></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := un.Parse(strings.NewReader(tc.in)); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestParseFullSnapshot(t *testing.T) {
	ents := parseFile(t, filepath.Join(screeningtest.SanctionsDir(t), "UN_consolidated.xml"))
	var ind, ent, docs int
	for _, e := range ents {
		if e.Type == screening.TypeIndividual {
			ind++
		} else {
			ent++
		}
		docs += len(e.IDs)
	}
	t.Logf("individuals=%d entities=%d ids=%d", ind, ent, docs)
	if ind != 730 || ent != 273 {
		t.Errorf("got %d individuals and %d entities, want 730 and 273 (README)", ind, ent)
	}
}
