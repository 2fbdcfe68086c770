package screening

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// honorifics are dropped from names before matching.
var honorifics = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "mx": true, "dr": true, "prof": true,
	"sir": true, "dame": true, "lord": true, "lady": true, "sheikh": true, "shaikh": true,
	"shaykh": true, "sheik": true, "haji": true, "hajji": true, "hadji": true, "mullah": true,
	"mulla": true, "maulavi": true, "mawlawi": true, "maulvi": true, "qari": true, "imam": true,
	"sayyid": true, "sayed": true, "gen": true, "general": true, "col": true, "colonel": true,
	"capt": true, "captain": true, "major": true, "lt": true, "sgt": true, "hon": true,
	"rev": true, "fr": true, "herr": true, "frau": true, "mme": true, "mlle": true, "m": false,
	"senor": true, "sr": true, "sra": true, "don": true, "dona": true,
}

// companySuffixes are legal-form suffixes dropped from entity names.
var companySuffixes = map[string]bool{
	"llc": true, "ltd": true, "limited": true, "inc": true, "incorporated": true, "corp": true,
	"corporation": true, "co": true, "company": true, "plc": true, "gmbh": true, "ag": true,
	"sa": true, "sas": true, "sarl": true, "srl": true, "spa": true, "bv": true, "nv": true,
	"llp": true, "lp": true, "jsc": true, "ojsc": true, "pjsc": true, "cjsc": true, "ooo": true,
	"oao": true, "zao": true, "pao": true, "ao": true, "kg": true, "kft": true, "as": true,
	"ab": true, "oy": true, "pte": true, "pty": true, "bhd": true, "sdn": true, "fze": true,
	"fzco": true, "fzc": true, "dmcc": true, "cv": true, "de": false, "sal": true, "wll": true,
	"gmbhco": true, "ltda": true, "cia": true, "est": true, "establishment": true,
}

// foldRune maps letters that NFD does not decompose to ASCII.
func foldRune(r rune) string {
	switch r {
	case 'ß':
		return "ss"
	case 'æ':
		return "ae"
	case 'œ':
		return "oe"
	case 'ø':
		return "o"
	case 'ł':
		return "l"
	case 'đ', 'ð':
		return "d"
	case 'þ':
		return "th"
	case 'ı':
		return "i"
	}
	return ""
}

// NormalizeName lowercases, strips diacritics (NFD then dropping combining
// marks), turns punctuation into separators, drops apostrophes, joins runs of
// single letters ("l l c" -> "llc"), and drops honorifics and company
// suffixes (unless nothing else would remain). It returns the tokens in
// their original order.
func NormalizeName(s string) []string {
	if len(s) > MaxNameLen*4 {
		s = s[:MaxNameLen*4]
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == '\'' || r == '’' || r == '`' || r == 'ʼ' || r == '‘':
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
			if f := foldRune(r); f != "" {
				b.WriteString(f)
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteByte(' ')
		}
	}
	raw := strings.Fields(b.String())
	// Join runs of single letters: "s a" -> "sa", "l l c" -> "llc".
	toks := make([]string, 0, len(raw))
	for i := 0; i < len(raw); {
		if len([]rune(raw[i])) == 1 {
			j := i
			var run strings.Builder
			for j < len(raw) && len([]rune(raw[j])) == 1 {
				run.WriteString(raw[j])
				j++
			}
			if j-i > 1 {
				toks = append(toks, run.String())
			} else {
				toks = append(toks, raw[i])
			}
			i = j
			continue
		}
		toks = append(toks, raw[i])
		i++
	}
	out := toks[:0:0]
	for i, t := range toks {
		if honorifics[t] && i < len(toks)-1 {
			continue
		}
		if companySuffixes[t] && i > 0 {
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return toks
	}
	return out
}

// PhoneticKey is a Soundex-style consonant skeleton over every letter of a
// token (including the first, so Gaddafi, Qadhafi and Kadafi all key to
// "231"). Vowels, h, w and y are dropped and repeated codes collapse.
func PhoneticKey(tok string) string {
	var out [16]byte
	n := 0
	var last byte
	for i := 0; i < len(tok) && n < len(out); i++ {
		var c byte
		switch tok[i] {
		case 'b', 'f', 'p', 'v':
			c = '1'
		case 'c', 'g', 'j', 'k', 'q', 's', 'x', 'z':
			c = '2'
		case 'd', 't':
			c = '3'
		case 'l':
			c = '4'
		case 'm', 'n':
			c = '5'
		case 'r':
			c = '6'
		case 'a', 'e', 'i', 'o', 'u', 'y':
			last = 0
			continue
		case 'h', 'w':
			continue
		default:
			if tok[i] >= '0' && tok[i] <= '9' {
				c = tok[i]
			} else {
				continue
			}
		}
		if c != last {
			out[n] = c
			n++
		}
		last = c
	}
	return string(out[:n])
}

// NormalizeID reduces an identifier to upper-case letters and digits.
func NormalizeID(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToUpper(r))
		}
	}
	return b.String()
}
