package manager

import "sort"

// Predictor learns which module tends to be loaded after which (first-order transition
// counts over the load sequence) and predicts the likely next loads. It is the seeds'
// "predictive decompression" made measurable: Manager prefetches its predictions into
// the cache, and reports how many loads the prefetching turned into hits.
type Predictor struct {
	counts map[string]map[string]uint64
	last   string
	// MinShare is the share of past transitions from the current module a candidate
	// needs to be predicted (default 0.3), and Max the most predictions (default 2).
	MinShare float64
	Max      int
}

// NewPredictor returns an empty predictor.
func NewPredictor() *Predictor {
	return &Predictor{counts: map[string]map[string]uint64{}, MinShare: 0.3, Max: 2}
}

// Observe records that name was loaded (after the previously observed load).
func (p *Predictor) Observe(name string) {
	if p.last != "" {
		m := p.counts[p.last]
		if m == nil {
			m = map[string]uint64{}
			p.counts[p.last] = m
		}
		m[name]++
	}
	p.last = name
}

// Next returns the modules likely to be loaded after name, most likely first.
func (p *Predictor) Next(name string) []string {
	m := p.counts[name]
	var total uint64
	for _, n := range m {
		total += n
	}
	type cand struct {
		name string
		n    uint64
	}
	var cs []cand
	for k, n := range m {
		if float64(n) >= p.MinShare*float64(total) {
			cs = append(cs, cand{k, n})
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].n != cs[j].n {
			return cs[i].n > cs[j].n
		}
		return cs[i].name < cs[j].name
	})
	var out []string
	for i := 0; i < len(cs) && i < p.Max; i++ {
		out = append(out, cs[i].name)
	}
	return out
}
