package screening

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Thresholds are the configurable tiers (defaults from decisions.md).
type Thresholds struct {
	// Potential: a name score at or above it is a potential match (REVIEW).
	Potential float64 `yaml:"potential" json:"potential"`
	// Clear: a score below it is clear and not reported. Scores between
	// Clear and Potential are reported as low-confidence CLEAR matches, to be
	// logged.
	Clear float64 `yaml:"clear" json:"clear"`
	// ConfirmIDName is the minimum name score for an ID/registration number
	// match to confirm.
	ConfirmIDName float64 `yaml:"confirm_id_name" json:"confirm_id_name"`
	// CorroborateNationality lets a nationality match confirm a potential
	// match (the issue lists nationality as corroboration).
	CorroborateNationality bool `yaml:"corroborate_nationality" json:"corroborate_nationality"`
	// Penalty is subtracted from the score for each contradicting
	// identifier (DOB, nationality, ID number, party type).
	Penalty float64 `yaml:"penalty" json:"penalty"`
	// MaxMatches bounds the matches returned per screen.
	MaxMatches int `yaml:"max_matches" json:"max_matches"`
}

// DefaultThresholds are the shipped tiers.
func DefaultThresholds() Thresholds {
	return Thresholds{Potential: 0.92, Clear: 0.85, ConfirmIDName: 0.85, CorroborateNationality: true, Penalty: 0.05, MaxMatches: 10}
}

// Validate checks the thresholds.
func (t Thresholds) Validate() error {
	if !(t.Clear > 0 && t.Clear <= t.Potential && t.Potential <= 1) {
		return fmt.Errorf("screening: thresholds need 0 < clear <= potential <= 1 (clear=%v potential=%v)", t.Clear, t.Potential)
	}
	if t.ConfirmIDName <= 0 || t.ConfirmIDName > 1 || t.Penalty < 0 || t.Penalty > 1 || t.MaxMatches <= 0 {
		return fmt.Errorf("screening: invalid confirm_id_name, penalty or max_matches")
	}
	return nil
}

// tokenSim is the similarity of two tokens: Jaro-Winkler, raised to 0.90
// when both have at least 4 letters and the same phonetic key (so
// transliterations such as gaddafi/qadhafi count).
func tokenSim(a, b, pa, pb string) float64 {
	if a == b {
		return 1
	}
	s := JaroWinkler(a, b)
	if s < 0.90 && len(a) >= 4 && len(b) >= 4 && pa == pb {
		s = 0.90
	}
	return s
}

// tokenFloor: a token pair below it counts as unmatched.
const tokenFloor = 0.80

// NameScore scores query tokens q against candidate tokens e, in [0,1]:
//
//	pair every query token greedily with its most similar unused candidate
//	token (tokenSim = Jaro-Winkler, phonetic keys lifting to 0.90); pairs
//	below 0.80 count as 0, inexact pairs are stretched: sim = 1-1.5(1-s).
//	A  = Σ len(q_i)·sim_i / Σ len(q_i)     (how much of the query is found)
//	B  = Σ len(e_j)·sim_j / Σ len(e_j)     (how much of the entry is covered)
//	TS = 0.9·A + 0.1·B                     (soft token-set similarity)
//	JW = JaroWinkler(sorted(q) joined, sorted(e) joined)  (word-order free)
//	score = 0.7·TS + 0.3·JW
//
// The token set handles word order, missing middle names and transliterated
// tokens; the whole-string Jaro-Winkler keeps spacing differences ("abu
// bakr" / "abubakr") from falling to zero.
func NameScore(q, qPhon []string, qSorted string, e, ePhon []string, eSorted string) float64 {
	if len(q) == 0 || len(e) == 0 {
		return 0
	}
	if qSorted == eSorted {
		return 1
	}
	nq, ne := min(len(q), maxQueryToks), min(len(e), maxEntryToks)
	var buf [64]tokPair
	pairs := buf[:0]
	for i := 0; i < nq; i++ {
		for j := 0; j < ne; j++ {
			if s := stretchedSim(q[i], e[j], qPhon[i], ePhon[j]); s >= 0 {
				pairs = append(pairs, tokPair{i, j, s})
			}
		}
	}
	ts := tokenSet(q[:nq], e[:ne], pairs)
	return 0.7*ts + 0.3*JaroWinkler(qSorted, eSorted)
}

// Token counts NameScore considers (longer names are truncated).
const (
	maxQueryToks = 16
	maxEntryToks = 32
)

// tokPair is a candidate pairing of query token i with entry token j.
type tokPair struct {
	i, j int
	s    float64
}

// stretchedSim is the pair similarity NameScore uses: tokenSim stretched
// as 1-1.5(1-s) when inexact (so one differing token, bashar/bushra, costs
// more than in raw Jaro-Winkler), or -1 when below tokenFloor.
func stretchedSim(a, b, pa, pb string) float64 {
	s := tokenSim(a, b, pa, pb)
	if s < tokenFloor {
		return -1
	}
	return stretch(s)
}

// stretch maps an admissible pair similarity s to 1-1.5(1-s) (exact pairs
// stay 1).
func stretch(s float64) float64 {
	if s < 1 {
		s = 1 - 1.5*(1-s)
	}
	return s
}

// tokenSet pairs query tokens q with entry tokens e greedily by descending
// similarity (pairs lists every admissible pair, query token outer) and
// returns TS = 0.9·A + 0.1·B as documented on NameScore. It reorders pairs.
func tokenSet(q, e []string, pairs []tokPair) float64 {
	slices.SortFunc(pairs, func(a, b tokPair) int { return cmp.Compare(b.s, a.s) })
	var qs [maxQueryToks]float64
	var es [maxEntryToks]float64
	var qdone [maxQueryToks]bool
	var used [maxEntryToks]bool
	for _, p := range pairs {
		if qdone[p.i] || used[p.j] {
			continue
		}
		qdone[p.i], used[p.j] = true, true
		qs[p.i], es[p.j] = p.s, p.s
	}
	var an, ad, bn, bd float64
	for i := range q {
		l := float64(len(q[i]))
		an += l * qs[i]
		ad += l
	}
	for j := range e {
		l := float64(len(e[j]))
		bn += l * es[j]
		bd += l
	}
	return 0.9*an/ad + 0.1*bn/bd
}

// preparedParty is a party ready for matching.
type preparedParty struct {
	toks    []string
	phon    []string
	masks   []uint64 // byteMask of each token
	sorted  string
	dob     Date
	hasDOB  bool
	country string
	id      string
	indiv   int // 1 individual, -1 entity, 0 unknown
}

func prepare(p Party) preparedParty {
	pp := preparedParty{toks: NormalizeName(p.Name)}
	pp.sorted = sortedJoin(pp.toks)
	pp.phon = phonetics(pp.toks)
	pp.masks = make([]uint64, len(pp.toks))
	for i, t := range pp.toks {
		pp.masks[i] = byteMask(t)
	}
	pp.dob, pp.hasDOB = parsePartyDOB(p.DateOfBirth)
	pp.country = CountryCode(p.Nationality)
	pp.id = NormalizeID(p.RegistrationNumber)
	switch strings.ToUpper(p.Type) {
	case "INDIVIDUAL":
		pp.indiv = 1
	case "ENTITY":
		pp.indiv = -1
	}
	return pp
}

func parsePartyDOB(s string) (Date, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, false
	}
	parts := strings.Split(s, "-")
	var d Date
	var err error
	if d.Year, err = strconv.Atoi(parts[0]); err != nil || d.Year < 1000 {
		return Date{}, false
	}
	if len(parts) > 1 {
		if d.Month, err = strconv.Atoi(parts[1]); err != nil || d.Month < 1 || d.Month > 12 {
			return Date{}, false
		}
	}
	if len(parts) > 2 {
		if d.Day, err = strconv.Atoi(parts[2]); err != nil || d.Day < 1 || d.Day > 31 {
			return Date{}, false
		}
	}
	return d, true
}

// dobAgrees reports whether the party's DOB is consistent with a listed one.
func dobAgrees(p, l Date) bool {
	if l.ToYear > l.Year {
		return p.Year >= l.Year && p.Year <= l.ToYear
	}
	if l.Approx {
		return p.Year >= l.Year-1 && p.Year <= l.Year+1
	}
	if p.Year != l.Year {
		return false
	}
	if l.Month > 0 && p.Month > 0 && l.Month != p.Month {
		return false
	}
	if l.Day > 0 && p.Day > 0 && l.Day != p.Day {
		return false
	}
	return true
}

// evaluate turns a name score into a Match, applying corroboration.
func (t Thresholds) evaluate(pp *preparedParty, e *Entity, matched string, nameScore float64) Match {
	m := Match{Entity: e, List: e.List, MatchedName: matched, NameScore: nameScore}
	m.Pieces = append(m.Pieces, ScorePiece{Field: "name", Score: nameScore, Effect: effectFor(nameScore, t),
		Explanation: fmt.Sprintf("name similarity %.3f with %q (Jaro-Winkler + token set)", nameScore, matched)})
	var confirmedBy []string
	contradictions := 0
	idMatch := false
	if pp.hasDOB && len(e.DatesOfBirth) > 0 {
		var agree *Date
		for i := range e.DatesOfBirth {
			if dobAgrees(pp.dob, e.DatesOfBirth[i]) {
				agree = &e.DatesOfBirth[i]
				break
			}
		}
		if agree != nil {
			confirmedBy = append(confirmedBy, "dob")
			m.Pieces = append(m.Pieces, ScorePiece{Field: "dob", Score: 1, Effect: "match", Explanation: "date of birth agrees with listed " + agree.String()})
		} else {
			contradictions++
			m.Pieces = append(m.Pieces, ScorePiece{Field: "dob", Score: 0, Effect: "contradiction", Explanation: fmt.Sprintf("date of birth differs from all %d listed", len(e.DatesOfBirth))})
		}
	}
	if pp.country != "" && len(e.Nationalities) > 0 {
		found, known := "", false
		for _, n := range e.Nationalities {
			c := CountryCode(n)
			if c != "" {
				known = true
			}
			if c == pp.country {
				found = n
				break
			}
		}
		switch {
		case found != "":
			if t.CorroborateNationality {
				confirmedBy = append(confirmedBy, "nationality")
			}
			m.Pieces = append(m.Pieces, ScorePiece{Field: "nationality", Score: 1, Effect: "match", Explanation: "nationality agrees with listed " + found})
		case known:
			contradictions++
			m.Pieces = append(m.Pieces, ScorePiece{Field: "nationality", Score: 0, Effect: "contradiction", Explanation: "nationality differs from listed " + strings.Join(e.Nationalities, ", ")})
		}
	}
	if pp.id != "" && len(e.IDs) > 0 {
		var found *Identifier
		for i := range e.IDs {
			if NormalizeID(e.IDs[i].Number) == pp.id {
				found = &e.IDs[i]
				break
			}
		}
		if found != nil {
			idMatch = true
			confirmedBy = append(confirmedBy, "id")
			m.Pieces = append(m.Pieces, ScorePiece{Field: "id", Score: 1, Effect: "match", Explanation: "registration/ID number equals listed " + found.Type})
		} else {
			contradictions++
			m.Pieces = append(m.Pieces, ScorePiece{Field: "id", Score: 0, Effect: "contradiction", Explanation: fmt.Sprintf("registration/ID number differs from all %d listed", len(e.IDs))})
		}
	}
	if pp.indiv != 0 && e.Type != "" {
		entIndiv := e.Type == TypeIndividual
		if (pp.indiv == 1) != entIndiv {
			contradictions++
			m.Pieces = append(m.Pieces, ScorePiece{Field: "type", Score: 0, Effect: "contradiction", Explanation: "party type differs from listed " + string(e.Type)})
		}
	}
	m.Score = max(0, nameScore-float64(contradictions)*t.Penalty)
	switch {
	case len(confirmedBy) > 0 && contradictions == 0 && (nameScore >= t.Potential || idMatch && nameScore >= t.ConfirmIDName):
		m.Tier = TierConfirmed
		m.Score = max(m.Score, 1)
	case m.Score >= t.Potential:
		m.Tier = TierPotential
	default:
		m.Tier = TierClear
	}
	return m
}

func effectFor(s float64, t Thresholds) string {
	switch {
	case s >= t.Potential:
		return "match"
	case s >= t.Clear:
		return "partial"
	default:
		return "absent"
	}
}

// Screen fuzzy-screens a party's name against the index and checks its
// wallets exactly. Matches scoring below Thresholds.Clear are dropped; the
// result is sorted by tier then score, and bounded by MaxMatches.
func (ix *Index) Screen(p Party, t Thresholds) []Match {
	pp := prepare(p)
	sc := ix.getScratch()
	cutoff := min(t.Clear, t.ConfirmIDName)
	if len(pp.toks) > 0 {
		for _, id := range ix.candidates(sc, pp.toks, pp.phon) {
			n := &ix.names[id]
			s, ok := ix.scoreName(sc, &pp, n, cutoff)
			if !ok || s < t.Clear && s < t.ConfirmIDName {
				continue
			}
			sc.record(n.ent, id, s)
		}
	}
	out := make([]Match, 0, len(sc.hits)+len(p.Wallets))
	for _, h := range sc.hits {
		m := t.evaluate(&pp, &ix.entities[h.ent], ix.names[h.name].name, h.score)
		if m.Score >= t.Clear || m.Tier == TierConfirmed {
			out = append(out, m)
		}
	}
	ix.putScratch(sc)
	for _, w := range p.Wallets {
		out = append(out, ix.ScreenWallet(w)...)
	}
	sortMatches(out)
	if len(out) > t.MaxMatches {
		out = out[:t.MaxMatches]
	}
	return out
}

// ScreenWallet matches an address exactly (per-chain case rules) against
// the lists' digital-currency addresses. A hit is CONFIRMED.
func (ix *Index) ScreenWallet(addr string) []Match {
	refs := ix.wallets[NormalizeAddress(addr)]
	out := make([]Match, 0, len(refs))
	for _, r := range refs {
		e := &ix.entities[r.ent]
		out = append(out, Match{Entity: e, List: e.List, MatchedName: e.Name, NameScore: 0, Score: 1, Tier: TierConfirmed,
			Pieces: []ScorePiece{{Field: "wallet", Score: 1, Effect: "match", Explanation: "wallet equals listed " + r.currency + " digital currency address"}}})
	}
	return out
}

// LinearScreen scores every indexed name (no blocking). It is the baseline
// the benchmark compares Screen against, and gives the same matches.
func (ix *Index) LinearScreen(p Party, t Thresholds) []Match {
	pp := prepare(p)
	best := map[int32]Match{}
	for id := range ix.names {
		n := &ix.names[id]
		s := NameScore(pp.toks, pp.phon, pp.sorted, n.toks, n.phon, n.sorted)
		if s < t.Clear && s < t.ConfirmIDName {
			continue
		}
		if cur, ok := best[n.ent]; ok && cur.NameScore >= s {
			continue
		}
		best[n.ent] = Match{NameScore: s, MatchedName: n.name}
	}
	out := make([]Match, 0, len(best))
	for ent, b := range best {
		m := t.evaluate(&pp, &ix.entities[ent], b.MatchedName, b.NameScore)
		if m.Score >= t.Clear || m.Tier == TierConfirmed {
			out = append(out, m)
		}
	}
	sortMatches(out)
	if len(out) > t.MaxMatches {
		out = out[:t.MaxMatches]
	}
	return out
}

func sortMatches(ms []Match) {
	slices.SortFunc(ms, func(a, b Match) int {
		if c := cmp.Compare(b.Tier.rank(), a.Tier.rank()); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Entity.Ref(), b.Entity.Ref())
	})
}
