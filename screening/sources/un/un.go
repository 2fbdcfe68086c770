package un

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/clearancehq/clearance/screening"
)

// ListName is the list name UN entities carry.
const ListName = "UN"

type alias struct {
	Quality string `xml:"QUALITY"`
	Name    string `xml:"ALIAS_NAME"`
}

type dob struct {
	Type     string `xml:"TYPE_OF_DATE"`
	Date     string `xml:"DATE"`
	Year     string `xml:"YEAR"`
	FromYear string `xml:"FROM_YEAR"`
	ToYear   string `xml:"TO_YEAR"`
}

type document struct {
	Type    string `xml:"TYPE_OF_DOCUMENT"`
	Type2   string `xml:"TYPE_OF_DOCUMENT2"`
	Number  string `xml:"NUMBER"`
	Country string `xml:"ISSUING_COUNTRY"`
}

type record struct {
	DataID       string     `xml:"DATAID"`
	First        string     `xml:"FIRST_NAME"`
	Second       string     `xml:"SECOND_NAME"`
	Third        string     `xml:"THIRD_NAME"`
	Fourth       string     `xml:"FOURTH_NAME"`
	Original     string     `xml:"NAME_ORIGINAL_SCRIPT"`
	ListType     string     `xml:"UN_LIST_TYPE"`
	Reference    string     `xml:"REFERENCE_NUMBER"`
	Comments     string     `xml:"COMMENTS1"`
	Nationality  []string   `xml:"NATIONALITY>VALUE"`
	IndivAliases []alias    `xml:"INDIVIDUAL_ALIAS"`
	EntAliases   []alias    `xml:"ENTITY_ALIAS"`
	DOBs         []dob      `xml:"INDIVIDUAL_DATE_OF_BIRTH"`
	Documents    []document `xml:"INDIVIDUAL_DOCUMENT"`
}

type consolidated struct {
	XMLName     xml.Name `xml:"CONSOLIDATED_LIST"`
	Generated   string   `xml:"dateGenerated,attr"`
	Individuals []record `xml:"INDIVIDUALS>INDIVIDUAL"`
	Entities    []record `xml:"ENTITIES>ENTITY"`
}

// Parse reads the consolidated list.
func Parse(r io.Reader) ([]screening.Entity, error) {
	var c consolidated
	d := xml.NewDecoder(r)
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("un: %w", err)
	}
	if len(c.Individuals)+len(c.Entities) == 0 {
		return nil, errors.New("un: no INDIVIDUAL or ENTITY records")
	}
	out := make([]screening.Entity, 0, len(c.Individuals)+len(c.Entities))
	for i, rec := range c.Individuals {
		e, err := convert(rec, screening.TypeIndividual)
		if err != nil {
			return nil, fmt.Errorf("un: individual %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	for i, rec := range c.Entities {
		e, err := convert(rec, screening.TypeEntity)
		if err != nil {
			return nil, fmt.Errorf("un: entity %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func convert(r record, t screening.EntityType) (screening.Entity, error) {
	var parts []string
	for _, p := range []string{r.First, r.Second, r.Third, r.Fourth} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	if strings.TrimSpace(r.DataID) == "" || len(parts) == 0 {
		return screening.Entity{}, errors.New("missing DATAID or name")
	}
	e := screening.Entity{List: ListName, ID: strings.TrimSpace(r.DataID), Type: t, Name: strings.Join(parts, " "), Remarks: strings.TrimSpace(r.Comments)}
	if r.Reference != "" {
		e.IDs = append(e.IDs, screening.Identifier{Type: "UN Reference Number", Number: strings.TrimSpace(r.Reference)})
	}
	if r.ListType != "" {
		e.Programs = []string{strings.TrimSpace(r.ListType)}
	}
	if o := strings.TrimSpace(r.Original); o != "" {
		e.Aliases = append(e.Aliases, o)
	}
	for _, a := range append(r.IndivAliases, r.EntAliases...) {
		if n := strings.TrimSpace(a.Name); n != "" {
			e.Aliases = append(e.Aliases, n)
		}
	}
	for _, n := range r.Nationality {
		if n = strings.TrimSpace(n); n != "" {
			e.Nationalities = append(e.Nationalities, n)
		}
	}
	for _, d := range r.DOBs {
		if v, ok := convertDOB(d); ok {
			e.DatesOfBirth = append(e.DatesOfBirth, v)
		}
	}
	for _, d := range r.Documents {
		if n := strings.TrimSpace(d.Number); n != "" {
			typ := strings.TrimSpace(d.Type)
			if d.Type2 != "" {
				typ += " (" + strings.TrimSpace(d.Type2) + ")"
			}
			e.IDs = append(e.IDs, screening.Identifier{Type: typ, Number: n, Country: strings.TrimSpace(d.Country)})
		}
	}
	return e, nil
}

func convertDOB(d dob) (screening.Date, bool) {
	approx := strings.EqualFold(strings.TrimSpace(d.Type), "APPROXIMATELY")
	if s := strings.TrimSpace(d.Date); s != "" {
		p := strings.Split(s, "-")
		if len(p) == 3 {
			y, e1 := strconv.Atoi(p[0])
			m, e2 := strconv.Atoi(p[1])
			dd, e3 := strconv.Atoi(p[2])
			if e1 == nil && e2 == nil && e3 == nil {
				return screening.Date{Year: y, Month: m, Day: dd, Approx: approx}, true
			}
		}
	}
	if y, err := strconv.Atoi(strings.TrimSpace(d.Year)); err == nil {
		return screening.Date{Year: y, Approx: approx}, true
	}
	from, e1 := strconv.Atoi(strings.TrimSpace(d.FromYear))
	to, e2 := strconv.Atoi(strings.TrimSpace(d.ToYear))
	if e1 == nil && e2 == nil && to >= from {
		return screening.Date{Year: from, ToYear: to}, true
	}
	return screening.Date{}, false
}
