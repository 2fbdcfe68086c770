package main

import (
	"fmt"
	"html"
	"math"
	"sort"
	"strings"
)

// plot draws p99 (solid) and p50 (dashed) schedule-based latency against
// offered load for every open-loop target, on a log latency axis, as a
// self-contained SVG.
func (b *bench) plot() string {
	type pt struct{ x, p50, p99 float64 }
	series := map[string][]pt{}
	var names []string
	for _, k := range b.sortedKeys(func(r *result) bool { return r.Rate > 0 }) {
		r := b.results[k]
		name := b.label(r.System) + ", " + r.Proto + wl(r.Workload)
		if _, ok := series[name]; !ok {
			names = append(names, name)
		}
		series[name] = append(series[name], pt{r.Rate, r.med(pq(0.5, true)), r.med(pq(0.99, true))})
	}
	const W, H, L, R, T, B = 960, 560, 80, 330, 50, 60
	pw, ph := float64(W-L-R), float64(H-T-B)
	maxX, minY, maxY := 0.0, math.Inf(1), 0.0
	for _, s := range series {
		sort.Slice(s, func(i, j int) bool { return s[i].x < s[j].x })
		for _, p := range s {
			maxX = max(maxX, p.x)
			for _, y := range []float64{p.p50, p.p99} {
				if y > 0 {
					minY, maxY = min(minY, y), max(maxY, y)
				}
			}
		}
	}
	if maxX == 0 || maxY == 0 {
		return `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="40"><text x="10" y="25">no open-loop data</text></svg>`
	}
	maxX *= 1.05
	lo := math.Pow(10, math.Floor(math.Log10(minY)))
	hi := math.Pow(10, math.Ceil(math.Log10(maxY)))
	x := func(v float64) float64 { return float64(L) + v/maxX*pw }
	y := func(v float64) float64 {
		v = max(v, lo)
		return float64(T) + ph - (math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))*ph
	}
	colors := []string{"#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"}
	var s strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&s, format, a...) }
	f(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", W, H, W, H)
	f(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	f(`<text x="%d" y="24" font-size="15" font-weight="bold">Latency against offered load (open loop, schedule-based; solid p99, dashed p50)</text>`+"\n", L)
	// Grid: decades and 2x/5x on y; five ticks on x.
	for d := lo; d <= hi*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			v := d * m
			if v > hi*1.0001 {
				break
			}
			yy := y(v)
			f(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", L, yy, W-R, yy)
			f(`<text x="%d" y="%.1f" text-anchor="end">%s</text>`+"\n", L-6, yy+4, html.EscapeString(fmtUS(v)))
		}
	}
	step := niceStep(maxX / 5)
	for v := 0.0; v <= maxX; v += step {
		xx := x(v)
		f(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", xx, T, xx, H-B)
		f(`<text x="%.1f" y="%d" text-anchor="middle">%.0f</text>`+"\n", xx, H-B+18, v)
	}
	f(`<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#333"/>`+"\n", L, T, pw, ph)
	f(`<text x="%.0f" y="%d" text-anchor="middle">offered load (requests/s)</text>`+"\n", float64(L)+pw/2, H-15)
	f(`<text x="18" y="%.0f" transform="rotate(-90 18 %.0f)" text-anchor="middle">latency (log scale)</text>`+"\n", float64(T)+ph/2, float64(T)+ph/2)
	// Target marker: p99 ≤ 1.5 ms at 3,000 req/s.
	if 3000 <= maxX && 1500 >= lo && 1500 <= hi {
		f(`<circle cx="%.1f" cy="%.1f" r="6" fill="none" stroke="black" stroke-width="2"/>`+"\n", x(3000), y(1500))
		f(`<text x="%.1f" y="%.1f">target</text>`+"\n", x(3000)+8, y(1500)-6)
	}
	for i, name := range names {
		c := colors[i%len(colors)]
		pts := series[name]
		var p99, p50 []string
		for _, p := range pts {
			p99 = append(p99, fmt.Sprintf("%.1f,%.1f", x(p.x), y(p.p99)))
			p50 = append(p50, fmt.Sprintf("%.1f,%.1f", x(p.x), y(p.p50)))
		}
		f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2"/>`+"\n", strings.Join(p99, " "), c)
		f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="1.5" stroke-dasharray="5,4"/>`+"\n", strings.Join(p50, " "), c)
		for _, p := range pts {
			f(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>`+"\n", x(p.x), y(p.p99), c)
		}
		ly := T + 10 + i*20
		f(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="3"/>`+"\n", W-R+15, ly, W-R+40, ly, c)
		f(`<text x="%d" y="%d">%s</text>`+"\n", W-R+46, ly+4, html.EscapeString(name))
	}
	f("</svg>\n")
	return s.String()
}

// niceStep rounds a raw axis step to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*p {
			return m * p
		}
	}
	return 10 * p
}
