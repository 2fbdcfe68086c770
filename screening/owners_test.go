package screening_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clearancehq/clearance/screening"
)

// maduroRef is the fixture's OFAC SDN entry 22790 (DOB 1962-11-23,
// Cedula No. 5892464).
const maduroRef = "OFAC-SDN:22790 MADURO MOROS, Nicolas"

// TestScreenerBeneficialOwners checks that an entity's status is the worst
// tier over the entity and its beneficial owners, that an owner's match
// follows the same corroboration rules, and that the entry names the owner.
func TestScreenerBeneficialOwners(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if _, err := svc.LoadPaths(ctx, fixtureFiles()...); err != nil {
		t.Fatal(err)
	}
	clean := screening.Party{Name: "Jane Ordinary", DateOfBirth: "1980-02-02", Nationality: "GB"}
	entity := func(name string, owners ...screening.Party) screening.Party {
		return screening.Party{Name: name, Type: "ENTITY", Nationality: "GB", Owners: owners}
	}
	tests := []struct {
		name      string
		party     screening.Party
		want      screening.Tier
		wantEntry string
		// wantOwner is the Owner of the record's worst match.
		wantOwner string
	}{
		{"owner confirmed by name and DOB", entity("Harbour Holdings Ltd", clean, screening.Party{Name: "Maduro Moros Nicolas", DateOfBirth: "1962-11-23"}),
			screening.TierConfirmed, "owner Maduro Moros Nicolas: " + maduroRef, "Maduro Moros Nicolas"},
		{"owner name only is potential", entity("Harbour Holdings Ltd", screening.Party{Name: "Nicolas Maduro Moros"}, clean),
			screening.TierPotential, "owner Nicolas Maduro Moros: " + maduroRef, "Nicolas Maduro Moros"},
		{"owner with contradicting identifiers is clear", entity("Harbour Holdings Ltd", screening.Party{Name: "Nicolas Maduro Moros", DateOfBirth: "1990-01-01", RegistrationNumber: "999"}),
			screening.TierClear, "", ""},
		{"clean owners", entity("Harbour Holdings Ltd", clean, screening.Party{Name: "Peter Lindqvist", DateOfBirth: "1975-10-10"}),
			screening.TierClear, "", ""},
		{"no owners", entity("Harbour Holdings Ltd"), screening.TierClear, "", ""},
		{"entity potential, owner confirmed: the owner decides", entity("Nordic Amber Logistics Ltd.", screening.Party{Name: "Nicolas Maduro", RegistrationNumber: "5892464"}),
			screening.TierConfirmed, "owner Nicolas Maduro: " + maduroRef, "Nicolas Maduro"},
	}
	reg := fakeRegistry{}
	for i, tc := range tests {
		reg[fmt.Sprintf("inv-%d", i)] = tc.party
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sc, store := newScreener(t, svc, reg, func() time.Time { return now })
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := fmt.Sprintf("inv-%d", i)
			f, err := sc.Status(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			if f.Status != string(tc.want) || f.Entry != tc.wantEntry {
				t.Fatalf("Status = %+v, want %s %q", f, tc.want, tc.wantEntry)
			}
			rec, ok, err := store.Investor(ctx, id)
			if err != nil || !ok {
				t.Fatalf("stored record: %v %v", ok, err)
			}
			if rec.Status != tc.want || rec.Entry != tc.wantEntry {
				t.Fatalf("record %s %q, want %s %q", rec.Status, rec.Entry, tc.want, tc.wantEntry)
			}
			if tc.want != screening.TierClear && (len(rec.Matches) == 0 || rec.Matches[0].Owner != tc.wantOwner || rec.Matches[0].Tier != tc.want) {
				t.Fatalf("worst match %+v, want owner %q tier %s", rec.Matches, tc.wantOwner, tc.want)
			}
		})
	}
}

// TestScreenOwnersMatches checks Service.Screen: the party's own matches
// carry no owner, each owner's matches carry its name, and the worst match
// comes first.
func TestScreenOwnersMatches(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if _, err := svc.LoadPaths(ctx, fixtureFiles()...); err != nil {
		t.Fatal(err)
	}
	p := screening.Party{Name: "Nordic Amber Logistics Ltd.", Type: "ENTITY", Owners: []screening.Party{
		{Name: "Jane Ordinary"},
		{Name: "Maduro Moros Nicolas", DateOfBirth: "1962-11-23"},
	}}
	ms, _, err := svc.Screen(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	var entityHit, ownerHit bool
	for _, m := range ms {
		switch {
		case m.Owner == "" && m.Entity.ID == "90002":
			entityHit = true
		case m.Owner == "Maduro Moros Nicolas" && m.Entity.ID == "22790":
			ownerHit = m.Tier == screening.TierConfirmed && strings.HasPrefix(m.Explain(), "beneficial owner: ")
		case m.Owner == "Jane Ordinary":
			t.Errorf("clean owner matched: %s", m.Explain())
		}
	}
	if !entityHit || !ownerHit {
		t.Fatalf("entity hit %v, owner hit %v in %d matches", entityHit, ownerHit, len(ms))
	}
	if ms[0].Owner != "Maduro Moros Nicolas" || ms[0].Tier != screening.TierConfirmed {
		t.Fatalf("first match is %s for owner %q, want the owner's confirmed match", ms[0].Explain(), ms[0].Owner)
	}
}

func TestPartyValidateOwners(t *testing.T) {
	many := make([]screening.Party, screening.MaxOwners+1)
	for i := range many {
		many[i].Name = fmt.Sprintf("Owner %d", i)
	}
	tests := []struct {
		name    string
		party   screening.Party
		wantErr string
	}{
		{"owners within limits", screening.Party{Name: "Co", Owners: many[:screening.MaxOwners]}, ""},
		{"too many owners", screening.Party{Name: "Co", Owners: many}, "owners"},
		{"owner with wallets", screening.Party{Name: "Co", Owners: []screening.Party{{Name: "A", Wallets: []string{"0x1"}}}}, "owner 0"},
		{"owner with owners", screening.Party{Name: "Co", Owners: []screening.Party{{Name: "A", Owners: []screening.Party{{Name: "B"}}}}}, "owner 0"},
		{"owner name too long", screening.Party{Name: "Co", Owners: []screening.Party{{Name: "A"}, {Name: strings.Repeat("x", screening.MaxNameLen+1)}}}, "owner 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.party.Validate()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
			}
		})
	}
}
