package filter

import "bytes"

// prefilter finds, in one pass over a line, which regexes may match it:
// each regex with a literal set needs one of its literals in the line.
type prefilter struct {
	index   []uint16 // 2-byte prefix -> 1 + position in buckets (0: none)
	buckets [][]litEntry
	// always[i] is true when failregex i has no literal set.
	always []bool
	// prefNeeded: the prefregex has literals; without one of them nothing
	// can match.
	prefNeeded bool
	nfail      int
	short      []litEntry // literals whose 2-byte prefix table overflowed
}

type litEntry struct {
	lit   []byte
	owner int // failregex index, or -1 for the prefregex
}

func newPrefilter(pref *Regex, fail []*Regex) *prefilter {
	p := &prefilter{index: make([]uint16, 1<<16), nfail: len(fail), always: make([]bool, len(fail))}
	add := func(lit string, owner int) {
		e := litEntry{lit: []byte(lit), owner: owner}
		k := uint16(lit[0])<<8 | uint16(lit[1])
		if p.index[k] == 0 {
			if len(p.buckets) >= 1<<16-1 {
				p.short = append(p.short, e)
				return
			}
			p.buckets = append(p.buckets, nil)
			p.index[k] = uint16(len(p.buckets))
		}
		b := &p.buckets[p.index[k]-1]
		*b = append(*b, e)
	}
	if pref != nil {
		if lits := pref.Literals(); lits != nil {
			p.prefNeeded = true
			for _, l := range lits {
				add(l, -1)
			}
		}
	}
	for i, r := range fail {
		lits := r.Literals()
		if lits == nil {
			p.always[i] = true
			continue
		}
		for _, l := range lits {
			add(l, i)
		}
	}
	return p
}

// scan marks in cand the failregexes that may match buf and reports
// whether any may.
func (p *prefilter) scan(buf []byte, cand []bool) bool {
	copy(cand, p.always)
	prefOK := !p.prefNeeded
	for i := 0; i+1 < len(buf); i++ {
		k := p.index[uint16(buf[i])<<8|uint16(buf[i+1])]
		if k == 0 {
			continue
		}
		for _, e := range p.buckets[k-1] {
			if bytes.HasPrefix(buf[i:], e.lit) {
				if e.owner < 0 {
					prefOK = true
				} else {
					cand[e.owner] = true
				}
			}
		}
	}
	for _, e := range p.short {
		if bytes.Contains(buf, e.lit) {
			if e.owner < 0 {
				prefOK = true
			} else {
				cand[e.owner] = true
			}
		}
	}
	if !prefOK {
		return false
	}
	for _, c := range cand {
		if c {
			return true
		}
	}
	return false
}
