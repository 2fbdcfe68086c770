package screening_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/clearancehq/clearance/policies"
	"github.com/clearancehq/clearance/screening"
	"github.com/clearancehq/clearance/screening/boltstatus"
	"github.com/clearancehq/clearance/screening/screeningtest"
	"github.com/clearancehq/clearance/screening/sources"
)

func newService(t testing.TB) *screening.Service {
	t.Helper()
	svc, err := screening.NewService(screening.Options{Parse: sources.Parse})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func fixtureFiles() []string {
	return append(screeningtest.Paths("sources/ofac/testdata", screeningtest.OFACFiles...),
		"sources/un/testdata/un.xml", "sources/eu/testdata/eu.xml")
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"diacritics and case", "José Ñúñez", "jose nunez"},
		{"company suffix dotted", "Acme Trading L.L.C.", "acme trading"},
		{"company suffix", "Nordic Amber Logistics GmbH", "nordic amber logistics"},
		{"honorific", "Sheikh Abdul Karim", "abdul karim"},
		{"punctuation", "AL-QAIDA; (AQ)", "al qaida aq"},
		{"apostrophe", "O'Brien", "obrien"},
		{"only a suffix stays", "LTD", "ltd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := fmt.Sprint(screening.NormalizeName(tc.in))
			if got != "["+tc.want+"]" {
				t.Errorf("NormalizeName(%q) = %s, want [%s]", tc.in, got, tc.want)
			}
		})
	}
}

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.961},
		{"dwayne", "duane", 0.840},
		{"dixon", "dicksonx", 0.813},
		{"abc", "abc", 1},
		{"abc", "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.a+"/"+tc.b, func(t *testing.T) {
			if got := screening.JaroWinkler(tc.a, tc.b); got < tc.want-0.001 || got > tc.want+0.001 {
				t.Errorf("JaroWinkler = %.4f, want %.3f", got, tc.want)
			}
		})
	}
}

func TestNormalizeAddress(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"evm lowercased", "0x8576ACC5C05D6CE88F4E49BF65BDF0C62F91353C", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c"},
		{"base58 kept", "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3", "1Fz29BQp82pE3vXXcsZoMNQ3KSHfMzfMe3"},
		{"stellar kept", "GABC", "GABC"},
		{"bech32 upper", "BC1QXY2KGDYGJRSQTZQ2N0YRF2493P83KKFJHX0WLH", "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := screening.NormalizeAddress(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestScreenFixtures(t *testing.T) {
	svc := newService(t)
	set, err := svc.LoadPaths(context.Background(), fixtureFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	if set.Counts["OFAC-SDN"] != 6 || set.Counts["UN"] != 5 || set.Counts["EU"] != 3 {
		t.Fatalf("counts = %v", set.Counts)
	}
	tests := []struct {
		name     string
		party    screening.Party
		wantTier screening.Tier
		wantID   string
	}{
		{"exact reordered name", screening.Party{Name: "Nicolas Maduro Moros"}, screening.TierPotential, "22790"},
		{"name plus DOB confirms", screening.Party{Name: "Nicolas Maduro Moros", DateOfBirth: "1962-11-23"}, screening.TierConfirmed, "22790"},
		{"name plus ID number confirms", screening.Party{Name: "Nicolas Maduro", RegistrationNumber: "5892464"}, screening.TierConfirmed, "22790"},
		{"contradicting DOB and ID downgrade", screening.Party{Name: "Nicolas Maduro Moros", DateOfBirth: "1990-01-01", RegistrationNumber: "999"}, screening.TierClear, "22790"},
		{"misspelling", screening.Party{Name: "Nicolas Madurro Moros"}, screening.TierPotential, "22790"},
		{"alias from alt.csv", screening.Party{Name: "National Bank of Cuba"}, screening.TierPotential, "306"},
		{"company suffix variant", screening.Party{Name: "Nordic Amber Logistics Ltd."}, screening.TierPotential, "90002"},
		{"eu registration number", screening.Party{Name: "Nordic Amber Logistics", RegistrationNumber: "HRB123456", Type: "ENTITY"}, screening.TierConfirmed, "90002"},
		{"cyrillic alias transliterated", screening.Party{Name: "Ivan Sidorenko", Nationality: "RU"}, screening.TierConfirmed, "90001"},
		{"evm wallet any case", screening.Party{Name: "Someone Else", Wallets: []string{"0x8576ACC5C05D6CE88F4E49BF65BDF0C62F91353C"}}, screening.TierConfirmed, "29703"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, _, err := svc.Screen(context.Background(), tc.party)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				if m.Entity.ID == tc.wantID {
					if m.Tier != tc.wantTier {
						t.Errorf("tier = %s, want %s (%s)", m.Tier, tc.wantTier, m.Explain())
					}
					return
				}
			}
			if tc.wantTier != screening.TierClear {
				t.Errorf("no match for %s; got %d matches", tc.wantID, len(ms))
			}
		})
	}
	// Base58 is case-sensitive: a lower-cased Bitcoin address is not a hit.
	ms, _, _ := svc.ScreenWallet(context.Background(), "1fz29bqp82pe3vxxcszomnq3kshfmzfme3")
	if len(ms) != 0 {
		t.Errorf("lower-cased base58 address matched: %v", ms[0].Explain())
	}
}

func TestLoadFailureKeepsGoodSet(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	good, err := svc.LoadPaths(ctx, fixtureFiles()...)
	if err != nil {
		t.Fatal(err)
	}
	bad := screening.SourceFile{Name: "sdn.csv", Data: []byte("not,a,valid\n")}
	if _, err := svc.Load(ctx, bad); err == nil {
		t.Fatal("bad load succeeded")
	}
	st := svc.Status()
	if st.LastError == "" || st.Current.Version != good.Version || svc.ListVersion() != good.Version {
		t.Errorf("status after failure = %+v, want the good set %s and an error", st, good.Version)
	}
	again, err := svc.LoadPaths(ctx, fixtureFiles()...)
	if err != nil || again.Version != good.Version || again.Seq != good.Seq {
		t.Errorf("reload of same content = %+v, %v; want unchanged %s", again, err, good.Version)
	}
}

type fakeRegistry map[string]screening.Party

func (f fakeRegistry) party(_ context.Context, id string) (screening.Party, error) {
	p, ok := f[id]
	if !ok {
		return screening.Party{}, fmt.Errorf("unknown investor %s", id)
	}
	return p, nil
}

func newScreener(t *testing.T, svc *screening.Service, reg fakeRegistry, now func() time.Time) (*screening.Screener, *boltstatus.Store) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "s.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	store, err := boltstatus.New(db)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := screening.NewScreener(svc, store, reg.party, screening.ScreenerOptions{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return sc, store
}

func TestScreenerStatus(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	reg := fakeRegistry{
		"inv-clear":  {Name: "Jane Ordinary", Type: "INDIVIDUAL", DateOfBirth: "1980-02-02"},
		"inv-pot":    {Name: "Nicolas Maduro Moros", Type: "INDIVIDUAL"},
		"inv-conf":   {Name: "Maduro Moros Nicolas", Type: "INDIVIDUAL", DateOfBirth: "1962-11-23"},
		"inv-wallet": {Name: "Jane Ordinary", Type: "INDIVIDUAL"},
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sc, _ := newScreener(t, svc, reg, func() time.Time { return now })

	f, err := sc.Status(ctx, "inv-clear", "")
	if err != nil || f.Status != screening.StatusUnavailable {
		t.Fatalf("no list loaded: %+v %v, want UNAVAILABLE", f, err)
	}
	if _, err := svc.LoadPaths(ctx, fixtureFiles()...); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, investor, wallet string
		want                   policies.ScreeningFacts
	}{
		{"clear", "inv-clear", "0xabcdefabcdefabcdefabcdefabcdefabcdefabcd", policies.ScreeningFacts{Status: "CLEAR"}},
		{"potential", "inv-pot", "", policies.ScreeningFacts{Status: "POTENTIAL", Entry: "OFAC-SDN:22790 MADURO MOROS, Nicolas"}},
		{"confirmed", "inv-conf", "", policies.ScreeningFacts{Status: "CONFIRMED", Entry: "OFAC-SDN:22790 MADURO MOROS, Nicolas"}},
		{"wallet hit", "inv-wallet", "0x8576acc5c05d6ce88f4e49bf65bdf0c62f91353c", policies.ScreeningFacts{Status: "CONFIRMED", Entry: "OFAC-SDN:29703 ANDREYEV, Anton Nikolaeyvich"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := sc.Status(ctx, tc.investor, tc.wallet)
			if err != nil {
				t.Fatal(err)
			}
			if f.Status != tc.want.Status || f.Entry != tc.want.Entry || f.Exception {
				t.Errorf("Status = %+v, want %+v", f, tc.want)
			}
		})
	}
	if sc.ListVersion() != svc.ListVersion() || sc.ListVersion() == "" {
		t.Errorf("ListVersion = %q", sc.ListVersion())
	}
}

func TestExceptions(t *testing.T) {
	ctx := context.Background()
	svc := newService(t)
	if _, err := svc.LoadPaths(ctx, fixtureFiles()...); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sc, _ := newScreener(t, svc, fakeRegistry{"inv-pot": {Name: "Nicolas Maduro Moros"}}, func() time.Time { return now })
	in := screening.ExceptionInput{InvestorID: "inv-pot", List: "OFAC-SDN", EntityID: "22790", Reviewer: "rev-1", Note: "different person: DOB 1991", ExpiresAt: now.Add(24 * time.Hour)}

	bad := []struct {
		name string
		mut  func(*screening.ExceptionInput)
	}{
		{"no reviewer", func(e *screening.ExceptionInput) { e.Reviewer = "" }},
		{"no note", func(e *screening.ExceptionInput) { e.Note = "" }},
		{"past expiry", func(e *screening.ExceptionInput) { e.ExpiresAt = now.Add(-time.Second) }},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			e := in
			tc.mut(&e)
			if _, err := sc.AddException(ctx, "compliance-1", e); err == nil {
				t.Error("want an error")
			}
		})
	}
	exc, err := sc.AddException(ctx, "compliance-1", in)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := sc.Status(ctx, "inv-pot", "")
	if f.Status != "POTENTIAL" || !f.Exception {
		t.Errorf("with live exception: %+v, want POTENTIAL + exception", f)
	}
	now = now.Add(25 * time.Hour)
	f, _ = sc.Status(ctx, "inv-pot", "")
	if f.Status != "POTENTIAL" || f.Exception {
		t.Errorf("after expiry: %+v, want POTENTIAL without exception", f)
	}
	if _, err := sc.RevokeException(ctx, "compliance-2", exc.ID); err != nil {
		t.Fatal(err)
	}
	list, _ := sc.Exceptions(ctx, "inv-pot")
	if len(list) != 1 || list[0].RevokedBy != "compliance-2" || list[0].CreatedBy != "compliance-1" {
		t.Errorf("exceptions = %+v", list)
	}
}
