package eu

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/clearancehq/clearance/screening"
)

// ListName is the list name EU entities carry.
const ListName = "EU"

type nameAlias struct {
	WholeName  string `xml:"wholeName,attr"`
	FirstName  string `xml:"firstName,attr"`
	MiddleName string `xml:"middleName,attr"`
	LastName   string `xml:"lastName,attr"`
}

type birthdate struct {
	Circa     string `xml:"circa,attr"`
	Birthdate string `xml:"birthdate,attr"`
	Day       string `xml:"dayOfMonth,attr"`
	Month     string `xml:"monthOfYear,attr"`
	Year      string `xml:"year,attr"`
	YearFrom  string `xml:"yearRangeFrom,attr"`
	YearTo    string `xml:"yearRangeTo,attr"`
}

type citizenship struct {
	ISO2        string `xml:"countryIso2Code,attr"`
	Description string `xml:"countryDescription,attr"`
}

type identification struct {
	TypeCode    string `xml:"identificationTypeCode,attr"`
	TypeDesc    string `xml:"identificationTypeDescription,attr"`
	Number      string `xml:"number,attr"`
	Country     string `xml:"countryDescription,attr"`
	CountryISO2 string `xml:"countryIso2Code,attr"`
}

type subjectType struct {
	Code           string `xml:"code,attr"`
	Classification string `xml:"classificationCode,attr"`
}

type sanctionEntity struct {
	LogicalID   string           `xml:"logicalId,attr"`
	EURef       string           `xml:"euReferenceNumber,attr"`
	UNID        string           `xml:"unitedNationId,attr"`
	Remark      string           `xml:"remark"`
	Subject     subjectType      `xml:"subjectType"`
	Names       []nameAlias      `xml:"nameAlias"`
	Birthdates  []birthdate      `xml:"birthdate"`
	Citizenship []citizenship    `xml:"citizenship"`
	IDs         []identification `xml:"identification"`
	Regulations []struct {
		Programme string `xml:"programme,attr"`
	} `xml:"regulation"`
}

type export struct {
	XMLName  xml.Name         `xml:"export"`
	Entities []sanctionEntity `xml:"sanctionEntity"`
}

// Parse reads an EU consolidated list export.
func Parse(r io.Reader) ([]screening.Entity, error) {
	var x export
	if err := xml.NewDecoder(r).Decode(&x); err != nil {
		return nil, fmt.Errorf("eu: %w", err)
	}
	if len(x.Entities) == 0 {
		return nil, errors.New("eu: no sanctionEntity records")
	}
	out := make([]screening.Entity, 0, len(x.Entities))
	for i, se := range x.Entities {
		e, err := convert(se)
		if err != nil {
			return nil, fmt.Errorf("eu: sanctionEntity %d: %w", i+1, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func convert(se sanctionEntity) (screening.Entity, error) {
	id := strings.TrimSpace(se.LogicalID)
	if id == "" {
		return screening.Entity{}, errors.New("missing logicalId")
	}
	e := screening.Entity{List: ListName, ID: id, Remarks: strings.TrimSpace(se.Remark)}
	switch strings.ToLower(se.Subject.Code) {
	case "person":
		e.Type = screening.TypeIndividual
	case "vessel":
		e.Type = screening.TypeVessel
	case "aircraft":
		e.Type = screening.TypeAircraft
	default:
		e.Type = screening.TypeEntity
	}
	for _, n := range se.Names {
		name := strings.TrimSpace(n.WholeName)
		if name == "" {
			name = strings.Join(strings.Fields(n.FirstName+" "+n.MiddleName+" "+n.LastName), " ")
		}
		if name == "" {
			continue
		}
		if e.Name == "" {
			e.Name = name
		} else {
			e.Aliases = append(e.Aliases, name)
		}
	}
	if e.Name == "" {
		return screening.Entity{}, fmt.Errorf("logicalId %s: no name", id)
	}
	for _, r := range se.Regulations {
		if p := strings.TrimSpace(r.Programme); p != "" {
			e.Programs = append(e.Programs, p)
		}
	}
	if se.EURef != "" {
		e.IDs = append(e.IDs, screening.Identifier{Type: "EU Reference Number", Number: se.EURef})
	}
	for _, b := range se.Birthdates {
		if d, ok := convertBirthdate(b); ok {
			e.DatesOfBirth = append(e.DatesOfBirth, d)
		}
	}
	for _, c := range se.Citizenship {
		switch {
		case c.ISO2 != "" && c.ISO2 != "00":
			e.Nationalities = append(e.Nationalities, c.ISO2)
		case c.Description != "" && c.Description != "UNKNOWN":
			e.Nationalities = append(e.Nationalities, c.Description)
		}
	}
	for _, i := range se.IDs {
		if n := strings.TrimSpace(i.Number); n != "" {
			typ := i.TypeDesc
			if typ == "" {
				typ = i.TypeCode
			}
			e.IDs = append(e.IDs, screening.Identifier{Type: typ, Number: n, Country: firstNonEmpty(i.Country, i.CountryISO2)})
		}
	}
	return e, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func convertBirthdate(b birthdate) (screening.Date, bool) {
	approx := b.Circa == "true"
	if s := strings.TrimSpace(b.Birthdate); s != "" {
		p := strings.Split(s, "-")
		if len(p) == 3 {
			y, e1 := strconv.Atoi(p[0])
			m, e2 := strconv.Atoi(p[1])
			d, e3 := strconv.Atoi(p[2])
			if e1 == nil && e2 == nil && e3 == nil {
				return screening.Date{Year: y, Month: m, Day: d, Approx: approx}, true
			}
		}
	}
	if y, err := strconv.Atoi(b.Year); err == nil && y > 0 {
		m, _ := strconv.Atoi(b.Month)
		d, _ := strconv.Atoi(b.Day)
		return screening.Date{Year: y, Month: m, Day: d, Approx: approx}, true
	}
	from, e1 := strconv.Atoi(b.YearFrom)
	to, e2 := strconv.Atoi(b.YearTo)
	if e1 == nil && e2 == nil && from > 0 && to >= from {
		return screening.Date{Year: from, ToYear: to}, true
	}
	return screening.Date{}, false
}
