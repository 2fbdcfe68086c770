package ofac

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/clearancehq/clearance/screening"
)

// ListName is the list name OFAC entities carry.
const ListName = "OFAC-SDN"

// Files are the readers of one OFAC snapshot. SDN is required.
type Files struct {
	SDN, Alt, Add, Comments io.Reader
}

// Parse reads a snapshot. A malformed SDN row fails the whole parse; a row
// in the side files naming an unknown ent_num is ignored.
func Parse(f Files) ([]screening.Entity, error) {
	if f.SDN == nil {
		return nil, errors.New("ofac: sdn.csv is required")
	}
	rows, err := readCSV(f.SDN, "sdn.csv", 12)
	if err != nil {
		return nil, err
	}
	ents := make([]screening.Entity, 0, len(rows))
	byID := make(map[string]int, len(rows))
	remarks := make([]string, 0, len(rows))
	for i, r := range rows {
		id := r[0]
		if _, err := strconv.Atoi(id); err != nil {
			return nil, fmt.Errorf("ofac: sdn.csv row %d: bad ent_num %q", i+1, id)
		}
		if r[1] == "" {
			return nil, fmt.Errorf("ofac: sdn.csv row %d: empty name", i+1)
		}
		e := screening.Entity{List: ListName, ID: id, Name: r[1], Type: entityType(r[2])}
		if r[3] != "" {
			for _, p := range strings.Split(strings.Trim(r[3], "[] "), "] [") {
				if p = strings.TrimSpace(p); p != "" {
					e.Programs = append(e.Programs, p)
				}
			}
		}
		byID[id] = len(ents)
		ents = append(ents, e)
		remarks = append(remarks, r[11])
	}
	if f.Comments != nil {
		crows, err := readCSV(f.Comments, "sdn_comments.csv", 2)
		if err != nil {
			return nil, err
		}
		for _, r := range crows {
			if i, ok := byID[r[0]]; ok {
				remarks[i] += r[1]
			}
		}
	}
	if f.Alt != nil {
		arows, err := readCSV(f.Alt, "alt.csv", 4)
		if err != nil {
			return nil, err
		}
		for _, r := range arows {
			if i, ok := byID[r[0]]; ok && r[3] != "" {
				ents[i].Aliases = append(ents[i].Aliases, r[3])
			}
		}
	}
	if f.Add != nil {
		drows, err := readCSV(f.Add, "add.csv", 5)
		if err != nil {
			return nil, err
		}
		for _, r := range drows {
			i, ok := byID[r[0]]
			if !ok {
				continue
			}
			var parts []string
			for _, p := range r[2:] {
				if p != "" {
					parts = append(parts, p)
				}
			}
			if len(parts) > 0 {
				ents[i].Locations = append(ents[i].Locations, strings.Join(parts, ", "))
			}
		}
	}
	for i := range ents {
		applyRemarks(&ents[i], remarks[i])
	}
	return ents, nil
}

func entityType(s string) screening.EntityType {
	switch strings.ToLower(s) {
	case "individual":
		return screening.TypeIndividual
	case "vessel":
		return screening.TypeVessel
	case "aircraft":
		return screening.TypeAircraft
	default:
		return screening.TypeEntity
	}
}

// readCSV reads a headerless OFAC file, mapping "-0-" to "" and trimming
// fields. Rows shorter than minFields are an error, except a trailing
// DOS end-of-file (0x1A) row.
func readCSV(r io.Reader, name string, minFields int) ([][]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	var out [][]string
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("ofac: %s: %w", name, err)
		}
		if len(rec) == 1 && strings.Trim(rec[0], "\x1a \r\n") == "" {
			continue
		}
		if len(rec) < minFields {
			return nil, fmt.Errorf("ofac: %s record %d: %d fields, want %d", name, line, len(rec), minFields)
		}
		for i := range rec {
			v := strings.TrimSpace(rec[i])
			if v == "-0-" {
				v = ""
			}
			rec[i] = v
		}
		out = append(out, rec)
	}
}

var (
	reDigital = regexp.MustCompile(`^Digital Currency Address - ([A-Za-z0-9]+)\s+(\S+)`)
	reAKA     = regexp.MustCompile(`^[af]\.k\.a\.,?\s+'([^']+)'`)
	reIDNum   = regexp.MustCompile(`^(.*?(?:No\.|Number|#|ID|Passport|Registration|License|Permit|Card)(?:\s+(?:No\.|Number|#|ID(?:\s+No\.)?))?)\s+([A-Za-z0-9][A-Za-z0-9 ./-]*?)\s*(?:\(([^)]*)\))?\s*(?:issued.*|expires.*)?$`)
)

var months = map[string]int{"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12}

// ParseDate parses the remark date forms: "02 Jan 1960", "Jan 1960",
// "1960", "circa 1960", "1960 to 1962".
func ParseDate(s string) (screening.Date, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "."))
	var d screening.Date
	if rest, ok := strings.CutPrefix(s, "circa "); ok {
		d.Approx = true
		s = rest
	}
	if a, b, ok := strings.Cut(s, " to "); ok {
		from, ok1 := ParseDate(a)
		to, ok2 := ParseDate(b)
		if !ok1 || !ok2 {
			return d, false
		}
		return screening.Date{Year: from.Year, ToYear: to.Year}, true
	}
	f := strings.Fields(s)
	var err error
	switch len(f) {
	case 1:
		d.Year, err = strconv.Atoi(f[0])
	case 2:
		d.Month = months[strings.ToLower(f[0])]
		d.Year, err = strconv.Atoi(f[1])
	case 3:
		d.Day, err = strconv.Atoi(f[0])
		if err == nil {
			d.Month = months[strings.ToLower(f[1])]
			d.Year, err = strconv.Atoi(f[2])
		}
	default:
		return d, false
	}
	if err != nil || d.Year < 1800 || d.Year > 2100 || (len(f) > 1 && d.Month == 0) {
		return screening.Date{}, false
	}
	return d, true
}

// applyRemarks extracts the structured facts from an entry's remarks.
func applyRemarks(e *screening.Entity, remarks string) {
	if remarks == "" {
		return
	}
	e.Remarks = remarks
	for _, seg := range strings.Split(strings.TrimSuffix(remarks, "."), ";") {
		seg = strings.TrimSpace(seg)
		seg = strings.TrimPrefix(seg, "alt. ")
		switch {
		case strings.HasPrefix(seg, "DOB "):
			if d, ok := ParseDate(seg[4:]); ok {
				e.DatesOfBirth = append(e.DatesOfBirth, d)
			}
		case strings.HasPrefix(seg, "nationality "):
			e.Nationalities = append(e.Nationalities, strings.TrimSpace(seg[len("nationality "):]))
		case strings.HasPrefix(seg, "citizen "):
			e.Nationalities = append(e.Nationalities, strings.TrimSpace(seg[len("citizen "):]))
		case strings.HasPrefix(seg, "Digital Currency Address - "):
			if m := reDigital.FindStringSubmatch(seg); m != nil {
				e.Addresses = append(e.Addresses, screening.CryptoAddress{Currency: m[1], Address: m[2]})
			}
		case reAKA.MatchString(seg):
			e.Aliases = append(e.Aliases, reAKA.FindStringSubmatch(seg)[1])
		case strings.HasPrefix(seg, "Linked To:"), strings.HasPrefix(seg, "Phone Number"), strings.HasPrefix(seg, "Email"),
			strings.HasPrefix(seg, "Website"), strings.HasPrefix(seg, "POB "), strings.HasPrefix(seg, "Gender"):
		default:
			if m := reIDNum.FindStringSubmatch(seg); m != nil && hasDigit(m[2]) {
				e.IDs = append(e.IDs, screening.Identifier{Type: strings.TrimSpace(m[1]), Number: strings.TrimSpace(m[2]), Country: m[3]})
			}
		}
	}
}

func hasDigit(s string) bool {
	return strings.ContainsAny(s, "0123456789")
}
