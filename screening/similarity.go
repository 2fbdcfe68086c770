package screening

// JaroWinkler returns the Jaro-Winkler similarity of a and b (byte-wise;
// names are ASCII after NormalizeName) with the standard prefix scale 0.1 and
// prefix length up to 4.
func JaroWinkler(a, b string) float64 {
	j := jaro(a, b)
	if j <= 0 {
		return 0
	}
	l := 0
	for l < 4 && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}

func jaro(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	la, lb := len(a), len(b)
	if la == 0 || lb == 0 {
		return 0
	}
	window := max(la, lb)/2 - 1
	if window < 0 {
		window = 0
	}
	var am, bm [64]bool
	var amatch, bmatch []bool
	if la <= 64 && lb <= 64 {
		amatch, bmatch = am[:la], bm[:lb]
	} else {
		amatch, bmatch = make([]bool, la), make([]bool, lb)
	}
	m := 0
	for i := 0; i < la; i++ {
		lo, hi := max(0, i-window), min(lb, i+window+1)
		for k := lo; k < hi; k++ {
			if !bmatch[k] && a[i] == b[k] {
				amatch[i], bmatch[k] = true, true
				m++
				break
			}
		}
	}
	if m == 0 {
		return 0
	}
	t, k := 0, 0
	for i := 0; i < la; i++ {
		if !amatch[i] {
			continue
		}
		for !bmatch[k] {
			k++
		}
		if a[i] != b[k] {
			t++
		}
		k++
	}
	fm := float64(m)
	return (fm/float64(la) + fm/float64(lb) + (fm-float64(t)/2)/fm) / 3
}

// byteMask is the set of bytes of s, folded to 64 bits (b&63); it is only
// used as a superset test, so collisions merely loosen bounds.
func byteMask(s string) uint64 {
	var m uint64
	for i := 0; i < len(s); i++ {
		m |= 1 << (s[i] & 63)
	}
	return m
}

// jwUpper is a cheap upper bound of JaroWinkler(a, b), given byteMask of
// each: a byte can only match if it occurs in the other string, so the
// number of matches m is at most the count of a's bytes found in b's mask
// (and vice versa); with no transpositions Jaro is then at most
// (m/|a| + m/|b| + 1)/3, and the Winkler boost uses the real common prefix.
func jwUpper(a, b string, ma, mb uint64) float64 {
	ca, cb := 0, 0
	for i := 0; i < len(a); i++ {
		if mb&(1<<(a[i]&63)) != 0 {
			ca++
		}
	}
	for i := 0; i < len(b); i++ {
		if ma&(1<<(b[i]&63)) != 0 {
			cb++
		}
	}
	m := float64(min(ca, cb))
	if m == 0 {
		return 0
	}
	j := (m/float64(len(a)) + m/float64(len(b)) + 1) / 3
	l := 0
	for l < 4 && l < len(a) && l < len(b) && a[l] == b[l] {
		l++
	}
	return j + float64(l)*0.1*(1-j)
}
