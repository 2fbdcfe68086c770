package screening

// Test-only hooks for the external screening_test package.

// ReferenceScreen is the straightforward form of Screen: the same blocking,
// then the unbounded NameScore on every candidate and a map of the best
// name per entity. Tests compare Screen with it to show the bounds, the
// token memo and the scratch reuse change no result.
func (ix *Index) ReferenceScreen(p Party, t Thresholds) []Match {
	pp := prepare(p)
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	type best struct {
		name  string
		score float64
	}
	bests := map[int32]best{}
	if len(pp.toks) > 0 {
		for _, id := range ix.candidates(sc, pp.toks, pp.phon) {
			n := &ix.names[id]
			s := NameScore(pp.toks, pp.phon, pp.sorted, n.toks, n.phon, n.sorted)
			if s < t.Clear && s < t.ConfirmIDName {
				continue
			}
			if cur, ok := bests[n.ent]; ok && cur.score >= s {
				continue
			}
			bests[n.ent] = best{n.name, s}
		}
	}
	var out []Match
	for ent, b := range bests {
		m := t.evaluate(&pp, &ix.entities[ent], b.name, b.score)
		if m.Score >= t.Clear || m.Tier == TierConfirmed {
			out = append(out, m)
		}
	}
	for _, w := range p.Wallets {
		out = append(out, ix.ScreenWallet(w)...)
	}
	sortMatches(out)
	if len(out) > t.MaxMatches {
		out = out[:t.MaxMatches]
	}
	return out
}

// BoundedScoreMismatches scores name against every indexed name both with
// the screen's bounded, memoised scorer and with NameScore, and returns a
// description of each disagreement: an exact score that differs, or a
// rejected name whose NameScore reaches cutoff.
func (ix *Index) BoundedScoreMismatches(name string, cutoff float64) []string {
	pp := prepare(Party{Name: name})
	sc := ix.getScratch()
	defer ix.putScratch(sc)
	var bad []string
	for id := range ix.names {
		n := &ix.names[id]
		want := NameScore(pp.toks, pp.phon, pp.sorted, n.toks, n.phon, n.sorted)
		got, ok := ix.scoreName(sc, &pp, n, cutoff)
		switch {
		case ok && got != want:
			bad = append(bad, n.name+": exact score differs")
		case !ok && want >= cutoff:
			bad = append(bad, n.name+": rejected above cutoff")
		case !ok && got < want:
			bad = append(bad, n.name+": bound below score")
		}
	}
	return bad
}
