package screening

import (
	"fmt"
	"strings"
	"time"
)

// EntityType classifies a list entry.
type EntityType string

// Entity types.
const (
	TypeIndividual EntityType = "individual"
	TypeEntity     EntityType = "entity"
	TypeVessel     EntityType = "vessel"
	TypeAircraft   EntityType = "aircraft"
)

// Tier is the outcome of a match.
type Tier string

// Tiers, as in decisions.md: CONFIRMED denies, POTENTIAL goes to review,
// CLEAR allows. UNAVAILABLE is a status (never a match tier) meaning no list
// could be consulted.
const (
	TierClear         Tier = "CLEAR"
	TierPotential     Tier = "POTENTIAL"
	TierConfirmed     Tier = "CONFIRMED"
	StatusUnavailable      = "UNAVAILABLE"
)

// rank orders tiers by severity.
func (t Tier) rank() int {
	switch t {
	case TierConfirmed:
		return 2
	case TierPotential:
		return 1
	default:
		return 0
	}
}

// Date is a possibly partial date from a list: Year is always set, Month and
// Day are 0 when unknown. ToYear > Year marks a range ("1960 to 1962");
// Approx marks "circa".
type Date struct {
	Year   int  `json:"year"`
	Month  int  `json:"month,omitempty"`
	Day    int  `json:"day,omitempty"`
	ToYear int  `json:"to_year,omitempty"`
	Approx bool `json:"approx,omitempty"`
}

func (d Date) String() string {
	switch {
	case d.ToYear > d.Year:
		return fmt.Sprintf("%04d to %04d", d.Year, d.ToYear)
	case d.Day > 0:
		return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
	case d.Month > 0:
		return fmt.Sprintf("%04d-%02d", d.Year, d.Month)
	case d.Approx:
		return fmt.Sprintf("circa %04d", d.Year)
	default:
		return fmt.Sprintf("%04d", d.Year)
	}
}

// Identifier is an ID or registration number on a list entry.
type Identifier struct {
	Type    string `json:"type"`              // "Passport", "National ID No.", "Registration ID", ...
	Number  string `json:"number"`            // as published
	Country string `json:"country,omitempty"` // issuing country, as published
}

// CryptoAddress is a digital-currency address on a list entry.
type CryptoAddress struct {
	Currency string `json:"currency"` // XBT, ETH, USDT, ...
	Address  string `json:"address"`  // as published
}

// Entity is one list entry mapped into the common model.
type Entity struct {
	List          string          `json:"list"` // "OFAC-SDN", "UN", "EU"
	ID            string          `json:"id"`   // the list's own id (ent_num, DATAID, logicalId)
	Type          EntityType      `json:"type"`
	Name          string          `json:"name"` // primary name, as published
	Aliases       []string        `json:"aliases,omitempty"`
	Programs      []string        `json:"programs,omitempty"`
	DatesOfBirth  []Date          `json:"dates_of_birth,omitempty"`
	Nationalities []string        `json:"nationalities,omitempty"` // as published (country names)
	IDs           []Identifier    `json:"ids,omitempty"`
	Addresses     []CryptoAddress `json:"crypto_addresses,omitempty"`
	// Locations are postal addresses, as published (one line each).
	Locations []string `json:"locations,omitempty"`
	Remarks   string   `json:"remarks,omitempty"`
}

// Ref names the entry for verdicts and reviewers: list, id and name.
func (e *Entity) Ref() string {
	return fmt.Sprintf("%s:%s %s", e.List, e.ID, e.Name)
}

// Party is who is screened.
type Party struct {
	Name string
	// Type is "INDIVIDUAL" or "ENTITY" (registry spelling); empty = unknown.
	Type string
	// DateOfBirth is YYYY-MM-DD (or YYYY / YYYY-MM).
	DateOfBirth string
	// Nationality is an ISO-3166 alpha-2 code or a country name.
	Nationality string
	// RegistrationNumber is a registration, passport or national ID number.
	RegistrationNumber string
	Wallets            []string
	// Owners are the party's beneficial owners and controllers. Each is
	// screened like the party (name with the same corroboration rules);
	// an owner carries no wallets and no owners of its own.
	Owners []Party
}

// Size limits on a Party.
const (
	MaxNameLen  = 512
	MaxFieldLen = 128
	MaxWallets  = 64
	MaxOwners   = 50
)

// Validate enforces the size limits.
func (p *Party) Validate() error {
	if len(p.Name) > MaxNameLen {
		return fmt.Errorf("screening: party name longer than %d bytes", MaxNameLen)
	}
	for _, f := range []string{p.Type, p.DateOfBirth, p.Nationality, p.RegistrationNumber} {
		if len(f) > MaxFieldLen {
			return fmt.Errorf("screening: party field longer than %d bytes", MaxFieldLen)
		}
	}
	if len(p.Wallets) > MaxWallets {
		return fmt.Errorf("screening: more than %d wallets", MaxWallets)
	}
	for _, w := range p.Wallets {
		if len(w) > MaxFieldLen {
			return fmt.Errorf("screening: wallet address longer than %d bytes", MaxFieldLen)
		}
	}
	if len(p.Owners) > MaxOwners {
		return fmt.Errorf("screening: more than %d owners", MaxOwners)
	}
	for i := range p.Owners {
		o := &p.Owners[i]
		if len(o.Owners) > 0 || len(o.Wallets) > 0 {
			return fmt.Errorf("screening: owner %d has owners or wallets of its own", i)
		}
		if err := o.Validate(); err != nil {
			return fmt.Errorf("screening: owner %d: %w", i, err)
		}
	}
	return nil
}

// ScorePiece is one field's contribution to a match, with an explanation a
// reviewer can read.
type ScorePiece struct {
	Field string `json:"field"` // name, dob, nationality, id, wallet
	// Score is the field's similarity in [0,1]; for identifiers 1 = match,
	// 0 = contradiction.
	Score float64 `json:"score"`
	// Effect is "match", "contradiction", "partial" or "absent".
	Effect      string `json:"effect"`
	Explanation string `json:"explanation"`
}

// Match is one list entry matching a party.
type Match struct {
	// Owner is the name of the party's beneficial owner this match is
	// for; empty when it is for the party itself.
	Owner       string       `json:"owner,omitempty"`
	Entity      *Entity      `json:"entity"`
	List        string       `json:"list"`
	MatchedName string       `json:"matched_name"` // the primary name or alias that matched
	NameScore   float64      `json:"name_score"`
	Score       float64      `json:"score"` // name score adjusted by corroboration
	Tier        Tier         `json:"tier"`
	Pieces      []ScorePiece `json:"pieces"`
}

// Entry is the reference a verdict carries: list, id and name, prefixed
// with the owner it is for ("owner Jane Doe: OFAC-SDN:123 DOE, Jane").
func (m *Match) Entry() string {
	if m.Owner != "" {
		return "owner " + m.Owner + ": " + m.Entity.Ref()
	}
	return m.Entity.Ref()
}

// Explain renders the match for logs and reasons (no party data).
func (m *Match) Explain() string {
	var b strings.Builder
	if m.Owner != "" {
		b.WriteString("beneficial owner: ")
	}
	fmt.Fprintf(&b, "%s %s score=%.3f via %q", m.Tier, m.Entity.Ref(), m.Score, m.MatchedName)
	for _, p := range m.Pieces {
		fmt.Fprintf(&b, "; %s: %s", p.Field, p.Explanation)
	}
	return b.String()
}

// ListSet describes the loaded lists.
type ListSet struct {
	// Version is derived from the content hash: "ls-" + first 16 hex digits.
	Version string `json:"version"`
	// SHA256 is the hex content hash over every file (name and content).
	SHA256 string `json:"sha256"`
	// Seq counts successful loads by this Service (1 = first).
	Seq      int64          `json:"seq"`
	LoadedAt time.Time      `json:"loaded_at"`
	Counts   map[string]int `json:"counts"` // entities per list
	Files    []string       `json:"files"`
}
