package screening

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// countryAliases covers the spellings the lists use that CLDR's English
// region names do not.
var countryAliases = map[string]string{
	"russian federation": "RU", "iran islamic republic of": "IR", "iran": "IR",
	"korea north": "KP", "north korea": "KP", "democratic peoples republic of korea": "KP",
	"korea south": "KR", "republic of korea": "KR", "syrian arab republic": "SY", "syria": "SY",
	"burma": "MM", "united republic of tanzania": "TZ", "democratic republic of the congo": "CD",
	"congo democratic republic of the": "CD", "republic of the congo": "CG", "lao peoples democratic republic": "LA",
	"libyan arab jamahiriya": "LY", "venezuela bolivarian republic of": "VE", "bolivia plurinational state of": "BO",
	"viet nam": "VN", "turkiye": "TR", "palestinian": "PS", "state of palestine": "PS",
	"united states of america": "US", "usa": "US", "uk": "GB", "great britain": "GB",
	"united kingdom of great britain and northern ireland": "GB", "republic of moldova": "MD",
	"cote divoire": "CI", "ivory coast": "CI", "the former yugoslav republic of macedonia": "MK",
	"kyrgyz republic": "KG", "czech republic": "CZ", "swaziland": "SZ", "cape verde": "CV",
}

// countryTable maps normalised English country names to ISO-3166 alpha-2.
// It is computed once and never modified.
var countryTable = sync.OnceValue(func() map[string]string {
	t := make(map[string]string, 400)
	namer := display.English.Regions()
	for a := 'A'; a <= 'Z'; a++ {
		for b := 'A'; b <= 'Z'; b++ {
			code := string([]rune{a, b})
			r, err := language.ParseRegion(code)
			if err != nil || !r.IsCountry() {
				continue
			}
			if n := namer.Name(r); n != "" {
				t[strings.Join(NormalizeName(n), " ")] = code
			}
		}
	}
	for k, v := range countryAliases {
		t[k] = v
	}
	return t
})

// CountryCode returns the ISO-3166 alpha-2 code for a code or an English
// country name, or "" when unknown.
func CountryCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) == 2 {
		return strings.ToUpper(s)
	}
	if len(s) > MaxFieldLen {
		return ""
	}
	return countryTable()[strings.Join(NormalizeName(s), " ")]
}
