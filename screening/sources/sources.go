package sources

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/sources/eu"
	"github.com/clearancehq/clearance/screening/sources/ofac"
	"github.com/clearancehq/clearance/screening/sources/un"
)

var _ screening.ParseFunc = Parse

// Parse parses a set of list files into entities.
func Parse(files []screening.SourceFile) ([]screening.Entity, error) {
	var of ofac.Files
	haveOFAC := false
	var out []screening.Entity
	for _, f := range files {
		base := strings.ToLower(path.Base(strings.ReplaceAll(f.Name, "\\", "/")))
		r := bytes.NewReader(f.Data)
		switch base {
		case "sdn.csv":
			of.SDN, haveOFAC = r, true
		case "alt.csv":
			of.Alt, haveOFAC = r, true
		case "add.csv":
			of.Add, haveOFAC = r, true
		case "sdn_comments.csv":
			of.Comments, haveOFAC = r, true
		default:
			if !strings.HasSuffix(base, ".xml") {
				return nil, fmt.Errorf("sources: %s: unrecognised list file", f.Name)
			}
			root, err := rootElement(f.Data)
			if err != nil {
				return nil, fmt.Errorf("sources: %s: %w", f.Name, err)
			}
			var ents []screening.Entity
			switch root {
			case "CONSOLIDATED_LIST":
				ents, err = un.Parse(r)
			case "export":
				ents, err = eu.Parse(r)
			default:
				return nil, fmt.Errorf("sources: %s: unrecognised XML root %q", f.Name, root)
			}
			if err != nil {
				return nil, fmt.Errorf("sources: %s: %w", f.Name, err)
			}
			out = append(out, ents...)
		}
	}
	if haveOFAC {
		if of.SDN == nil {
			return nil, errors.New("sources: OFAC files without sdn.csv")
		}
		ents, err := ofac.Parse(of)
		if err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		out = append(out, ents...)
	}
	if len(out) == 0 {
		return nil, errors.New("sources: no entities in the list files")
	}
	return out, nil
}

func rootElement(data []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return "", errors.New("no root element")
		}
		if err != nil {
			return "", err
		}
		if se, ok := tok.(xml.StartElement); ok {
			return se.Name.Local, nil
		}
	}
}
