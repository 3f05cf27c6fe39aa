package banreport

import (
	"math"
	"math/bits"
	"net/netip"
)

// distinct counts distinct keys: exactly up to exactLimit keys, then with a
// HyperLogLog of 2^hllBits registers (Flajolet et al., 2007; standard error
// 1.04/sqrt(2^14), about 0.8%). Memory stays under a few MiB however many keys
// come.
type distinct struct {
	set map[uint64]struct{} // hashes, while exact
	reg []uint8             // HyperLogLog registers, once over the limit
}

const (
	exactLimit = 1 << 16
	hllBits    = 14
)

func newDistinct() *distinct { return &distinct{set: make(map[uint64]struct{})} }

func (d *distinct) add(h uint64) {
	if d.reg == nil {
		d.set[h] = struct{}{}
		if len(d.set) <= exactLimit {
			return
		}
		d.reg = make([]uint8, 1<<hllBits)
		for k := range d.set {
			d.addHLL(k)
		}
		d.set = nil
		return
	}
	d.addHLL(h)
}

func (d *distinct) addHLL(h uint64) {
	i := h >> (64 - hllBits)
	rest := h<<hllBits | 1<<(hllBits-1) // a guard bit bounds the rank
	r := uint8(bits.LeadingZeros64(rest)) + 1
	if r > d.reg[i] {
		d.reg[i] = r
	}
}

// count returns the number of distinct keys, and whether it is exact.
func (d *distinct) count() (int64, bool) {
	if d.reg == nil {
		return int64(len(d.set)), true
	}
	m := float64(len(d.reg))
	sum, zeros := 0.0, 0
	for _, r := range d.reg {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return int64(est + 0.5), false
}

// mix64 is a 64-bit finaliser (MurmurHash3's fmix64): every input bit
// affects every output bit.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// hashPrefix hashes an address or prefix.
func hashPrefix(p netip.Prefix) uint64 {
	b := p.Addr().As16()
	var hi, lo uint64
	for i := 0; i < 8; i++ {
		hi = hi<<8 | uint64(b[i])
		lo = lo<<8 | uint64(b[8+i])
	}
	return mix64(mix64(hi^uint64(p.Bits())<<56) ^ lo)
}

// hashString hashes s (FNV-1a, then mixed).
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return mix64(h ^ 0x9e3779b97f4a7c15)
}
