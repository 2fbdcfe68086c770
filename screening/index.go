package screening

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// nameRec is one indexed name (a primary name or an alias).
type nameRec struct {
	ent    int32
	name   string   // as published
	toks   []string // normalised
	tid    []int32  // vocabulary id of each token (Index.vocab)
	phon   []string // PhoneticKey of each token
	sorted string   // tokens sorted and joined by a space
	chars  int      // total token length
}

type walletRef struct {
	ent      int32
	currency string
}

// maxPosting bounds how many names one blocking key may contribute when the
// query has other, more selective keys.
const maxPosting = 400

// Index is an immutable, searchable list set. Build it with NewIndex; it is
// safe for concurrent use.
type Index struct {
	set      ListSet
	entities []Entity
	names    []nameRec
	byToken  map[string][]int32
	byPhon   map[string][]int32
	byPrefix map[string][]int32
	wallets  map[string][]walletRef
	// vocab holds every distinct name token once, so a screen scores each
	// (query token, list token) pair once however many names share it.
	vocab []vocabTok
	// scratch pools per-call working memory (*scratch) for Screen.
	scratch sync.Pool
}

// vocabTok is one distinct normalised token of the indexed names.
type vocabTok struct {
	tok  string
	phon string
	mask uint64 // byteMask(tok)
}

// NewIndex indexes entities (which it takes ownership of) for set.
func NewIndex(set ListSet, entities []Entity) *Index {
	ix := &Index{
		set:      set,
		entities: entities,
		byToken:  make(map[string][]int32),
		byPhon:   make(map[string][]int32),
		byPrefix: make(map[string][]int32),
		wallets:  make(map[string][]walletRef),
	}
	vocabID := make(map[string]int32)
	for ei := range entities {
		e := &entities[ei]
		seen := map[string]bool{}
		for _, n := range append([]string{e.Name}, e.Aliases...) {
			toks := NormalizeName(n)
			if len(toks) == 0 {
				continue
			}
			rec := nameRec{ent: int32(ei), name: n, toks: toks, phon: phonetics(toks), sorted: sortedJoin(toks)}
			if seen[rec.sorted] {
				continue
			}
			seen[rec.sorted] = true
			rec.tid = make([]int32, len(toks))
			for i, t := range toks {
				rec.chars += len(t)
				v, ok := vocabID[t]
				if !ok {
					v = int32(len(ix.vocab))
					vocabID[t] = v
					ix.vocab = append(ix.vocab, vocabTok{tok: t, phon: rec.phon[i], mask: byteMask(t)})
				}
				rec.tid[i] = v
			}
			id := int32(len(ix.names))
			ix.names = append(ix.names, rec)
			for _, k := range blockingKeys(toks) {
				switch k.kind {
				case 't':
					ix.byToken[k.key] = appendUnique(ix.byToken[k.key], id)
				case 'p':
					ix.byPhon[k.key] = appendUnique(ix.byPhon[k.key], id)
				case 'f':
					ix.byPrefix[k.key] = appendUnique(ix.byPrefix[k.key], id)
				}
			}
		}
		for _, a := range e.Addresses {
			k := NormalizeAddress(a.Address)
			if k == "" {
				continue
			}
			ix.wallets[k] = append(ix.wallets[k], walletRef{ent: int32(ei), currency: a.Currency})
		}
	}
	return ix
}

func appendUnique(s []int32, id int32) []int32 {
	if n := len(s); n > 0 && s[n-1] == id {
		return s
	}
	return append(s, id)
}

func sortedJoin(toks []string) string {
	s := slices.Clone(toks)
	slices.Sort(s)
	return strings.Join(s, " ")
}

type bkey struct {
	kind byte // 't' token, 'p' phonetic, 'f' prefix
	key  string
}

// blockingKeys are the keys a name is indexed under: each token (len >= 2),
// its phonetic key (len >= 2) and its 4-letter prefix (tokens of >= 5
// letters).
func blockingKeys(toks []string) []bkey {
	out := make([]bkey, 0, 3*len(toks))
	for _, t := range toks {
		if len(t) < 2 {
			continue
		}
		out = append(out, bkey{'t', t})
		if p := PhoneticKey(t); len(p) >= 3 {
			out = append(out, bkey{'p', p})
		}
		if len(t) >= 5 {
			out = append(out, bkey{'f', t[:4]})
		}
	}
	return out
}

// ListSet describes the indexed set.
func (ix *Index) ListSet() ListSet { return ix.set }

// Entities returns the indexed entities; callers must not modify them.
func (ix *Index) Entities() []Entity { return ix.entities }

// NameCount is the number of indexed names (primary names and aliases).
func (ix *Index) NameCount() int { return len(ix.names) }

// candidates returns the ids of names sharing a blocking key with toks
// (phon holds their phonetic keys). The
// result aliases sc.cands and is valid until the next call with sc.
func (ix *Index) candidates(sc *scratch, toks, phon []string) []int32 {
	lists := sc.lists[:0]
	add := func(l []int32) {
		if len(l) > 0 {
			lists = append(lists, l)
		}
	}
	// The keys of blockingKeys, with the query's precomputed phonetic keys.
	for i, t := range toks {
		if len(t) < 2 {
			continue
		}
		add(ix.byToken[t])
		if len(phon[i]) >= 3 {
			add(ix.byPhon[phon[i]])
		}
		if len(t) >= 5 {
			add(ix.byPrefix[t[:4]])
		}
	}
	sc.lists = lists[:0]
	if len(lists) == 0 {
		return nil
	}
	slices.SortFunc(lists, func(a, b []int32) int { return cmp.Compare(len(a), len(b)) })
	seen := sc.seen
	out := sc.cands[:0]
	for i, l := range lists {
		// Skip very common keys ("mohammed", "al") once a selective key
		// has produced candidates.
		if i > 0 && len(l) > maxPosting {
			break
		}
		for _, id := range l {
			w, b := id>>6, uint64(1)<<(uint(id)&63)
			if seen[w]&b == 0 {
				seen[w] |= b
				out = append(out, id)
			}
		}
	}
	// Clear only the bits set, so the bitmap is all zero for the next call.
	for _, id := range out {
		seen[id>>6] = 0
	}
	clear(lists) // drop references to posting lists
	sc.cands = out
	return out
}

func phonetics(toks []string) []string {
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = PhoneticKey(t)
	}
	return out
}
