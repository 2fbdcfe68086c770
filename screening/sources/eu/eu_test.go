package eu_test

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/sources/eu"
)

func TestParseFixture(t *testing.T) {
	f, err := os.Open("testdata/eu.xml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ents, err := eu.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	want := []screening.Entity{
		{List: "EU", ID: "90001", Type: screening.TypeIndividual, Name: "Ivan Petrovich Sidorenko",
			Aliases: []string{"Иван Петрович Сидоренко", "Ivan Sydorenko"}, Programs: []string{"RUS"},
			DatesOfBirth:  []screening.Date{{Year: 1971, Month: 5, Day: 14}},
			Nationalities: []string{"RU"},
			IDs:           []screening.Identifier{{Type: "EU Reference Number", Number: "EU.9001.01"}, {Type: "National passport", Number: "750123456", Country: "RUSSIAN FEDERATION"}}},
		{List: "EU", ID: "90002", Type: screening.TypeEntity, Name: "Nordic Amber Logistics GmbH", Aliases: []string{"NAL Logistik"},
			Programs: []string{"BLR"}, Remarks: "Shipping company.",
			IDs: []screening.Identifier{{Type: "EU Reference Number", Number: "EU.9002.02"}, {Type: "Registration Number", Number: "HRB 123456", Country: "GERMANY"}}},
		{List: "EU", ID: "90003", Type: screening.TypeIndividual, Name: "Abdul Karim", Programs: []string{"TAQA"},
			DatesOfBirth: []screening.Date{{Year: 1965, Approx: true}, {Year: 1960, ToYear: 1962}},
			IDs:          []screening.Identifier{{Type: "EU Reference Number", Number: "EU.9003.03"}}},
	}
	if diff := cmp.Diff(want, ents); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ name, in string }{
		{"not xml", "<export"},
		{"no entities", `<export xmlns="http://eu.europa.ec/fpi/fsd/export"></export>`},
		{"no name", `<export><sanctionEntity logicalId="1"><subjectType code="person"/></sanctionEntity></export>`},
		{"no id", `<export><sanctionEntity><nameAlias wholeName="X"/></sanctionEntity></export>`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := eu.Parse(strings.NewReader(tc.in)); err == nil {
				t.Error("want an error")
			}
		})
	}
}
