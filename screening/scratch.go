package screening

// scratch is the working memory of one Screen call. It is reused through
// Index.scratch so a screen allocates almost nothing, and it memoises token
// similarities: the index's names share far fewer distinct tokens than they
// have token slots, so each (query token, list token) pair is scored once.
type scratch struct {
	gen uint32 // generation; a stamp equal to gen marks a valid entry

	// Token-similarity memo, indexed by vocabulary id.
	tokStamp []uint32
	tokSlot  []int32   // offset into sims of the token's nq values
	sims     []float64 // per memoised token: nq stretched similarities, or -1 (below tokenFloor)

	// Best name per entity, indexed by entity id.
	entStamp []uint32
	entHit   []int32 // index into hits
	hits     []hit

	// Candidate generation.
	seen  []uint64 // bitmap over name ids; all zero between calls
	cands []int32
	lists [][]int32

	pairs []tokPair
}

// hit is the best-scoring name of one entity during a screen.
type hit struct {
	ent   int32
	name  int32
	score float64
}

// getScratch takes a scratch sized for ix from the pool and starts a new
// generation in it.
func (ix *Index) getScratch() *scratch {
	sc, _ := ix.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{
			tokStamp: make([]uint32, len(ix.vocab)),
			tokSlot:  make([]int32, len(ix.vocab)),
			entStamp: make([]uint32, len(ix.entities)),
			entHit:   make([]int32, len(ix.entities)),
			seen:     make([]uint64, (len(ix.names)+63)/64),
			cands:    make([]int32, 0, 512),
			sims:     make([]float64, 0, 1024),
			hits:     make([]hit, 0, 64),
			pairs:    make([]tokPair, 0, 64),
		}
	}
	sc.gen++
	if sc.gen == 0 { // wrapped: old stamps could look current
		clear(sc.tokStamp)
		clear(sc.entStamp)
		sc.gen = 1
	}
	sc.sims = sc.sims[:0]
	sc.hits = sc.hits[:0]
	return sc
}

// putScratch returns sc to the pool.
func (ix *Index) putScratch(sc *scratch) { ix.scratch.Put(sc) }

// tokenSims returns the offset in sc.sims of the stretched similarities of
// vocabulary token v with each of the first nq query tokens (-1 where below
// tokenFloor), computing them on first use in this screen.
func (sc *scratch) tokenSims(ix *Index, pp *preparedParty, nq int, v int32) int32 {
	if sc.tokStamp[v] == sc.gen {
		return sc.tokSlot[v]
	}
	off := int32(len(sc.sims))
	vt := &ix.vocab[v]
	for i := 0; i < nq; i++ {
		sc.sims = append(sc.sims, boundedSim(pp.toks[i], vt.tok, pp.phon[i], vt.phon, pp.masks[i], vt.mask))
	}
	sc.tokStamp[v], sc.tokSlot[v] = sc.gen, off
	return off
}

// boundEps absorbs floating-point rounding when a bound is compared with a
// threshold, so a bound never rejects a value the exact formula accepts.
const boundEps = 1e-9

// boundedSim equals stretchedSim(a, b, pa, pb) but skips the Jaro-Winkler
// computation when jwUpper shows the pair is below tokenFloor (-1), or
// below the phonetic lift of 0.90 that then applies instead.
func boundedSim(a, b, pa, pb string, ma, mb uint64) float64 {
	if a != b {
		lift := len(a) >= 4 && len(b) >= 4 && pa == pb
		ub := jwUpper(a, b, ma, mb) + boundEps
		switch {
		case lift && ub < 0.90:
			return stretch(0.90)
		case !lift && ub < tokenFloor:
			return -1
		}
	}
	return stretchedSim(a, b, pa, pb)
}

// record keeps s as entity ent's best name score unless an earlier name of
// the entity scored at least as high.
func (sc *scratch) record(ent, name int32, s float64) {
	if sc.entStamp[ent] == sc.gen {
		h := &sc.hits[sc.entHit[ent]]
		if h.score < s {
			h.name, h.score = name, s
		}
		return
	}
	sc.entStamp[ent], sc.entHit[ent] = sc.gen, int32(len(sc.hits))
	sc.hits = append(sc.hits, hit{ent: ent, name: name, score: s})
}

// scoreName is NameScore of the prepared query against indexed name n,
// using the token memo, except that it returns early with an upper bound
// (and ok false) when the score cannot reach cutoff. When ok is true the
// value equals NameScore exactly.
func (ix *Index) scoreName(sc *scratch, pp *preparedParty, n *nameRec, cutoff float64) (score float64, ok bool) {
	if len(pp.toks) == 0 || len(n.toks) == 0 {
		return 0, true
	}
	if pp.sorted == n.sorted {
		return 1, true
	}
	nq, ne := min(len(pp.toks), maxQueryToks), min(len(n.toks), maxEntryToks)
	var off [maxEntryToks]int32
	for j := 0; j < ne; j++ {
		off[j] = sc.tokenSims(ix, pp, nq, n.tid[j])
	}
	sims := sc.sims
	jwb := jwBound(len(pp.sorted), len(n.sorted))
	// Upper bound of the token-set score from each token's best pair (the
	// greedy pairing can only give a token less), before paying for the
	// pairing and the whole-string Jaro-Winkler.
	var emax [maxEntryToks]float64
	var an, ad, bn, bd float64
	np := 0
	for i := 0; i < nq; i++ {
		qmax := 0.0
		for j := 0; j < ne; j++ {
			if s := sims[int(off[j])+i]; s >= 0 {
				np++
				qmax = max(qmax, s)
				emax[j] = max(emax[j], s)
			}
		}
		l := float64(len(pp.toks[i]))
		an += l * qmax
		ad += l
	}
	for j := 0; j < ne; j++ {
		l := float64(len(n.toks[j]))
		bn += l * emax[j]
		bd += l
	}
	if ub := 0.7*(0.9*an/ad+0.1*bn/bd) + 0.3*jwb; ub+boundEps < cutoff {
		return ub, false
	}
	// Same order as NameScore (query token outer, entry token inner), so
	// the greedy pairing breaks ties identically.
	pairs := sc.pairs[:0]
	for i := 0; i < nq; i++ {
		for j := 0; j < ne; j++ {
			if s := sims[int(off[j])+i]; s >= 0 {
				pairs = append(pairs, tokPair{i, j, s})
			}
		}
	}
	sc.pairs = pairs
	ts := tokenSet(pp.toks[:nq], n.toks[:ne], pairs)
	// score = 0.7·ts + 0.3·JW and JW <= jwBound: skip the whole-string
	// Jaro-Winkler when even a perfect one could not reach the cutoff.
	if ub := 0.7*ts + 0.3*jwb; ub+boundEps < cutoff {
		return ub, false
	}
	return 0.7*ts + 0.3*JaroWinkler(pp.sorted, n.sorted), true
}

// jwBound is an upper bound of JaroWinkler for strings of lengths la and lb:
// at most min(la, lb) characters can match, with no transpositions, and the
// Winkler prefix boost is at most 0.4 of the remainder.
func jwBound(la, lb int) float64 {
	if la == 0 || lb == 0 {
		return 0
	}
	m := float64(min(la, lb))
	j := (m/float64(la) + m/float64(lb) + 1) / 3
	return j + 0.4*(1-j)
}
