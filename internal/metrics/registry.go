package metrics

import (
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds a program's metrics and writes them in Prometheus's text
// exposition format (version 0.0.4): families sorted by name, each with
// its # HELP and # TYPE lines, samples sorted by their labels (names in
// order). Counters and histograms are made with [Registry.CounterVec] and
// [Registry.HistogramVec]; metrics read at scrape time with
// [Registry.Collect].
type Registry struct {
	mu    sync.Mutex
	names map[string]bool
	cols  []func(*scrape)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{names: map[string]bool{}} }

// add registers a collector of the families names; a name registered
// twice is a programming error.
func (r *Registry) add(col func(*scrape), names ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range names {
		if r.names[n] {
			panic("metrics: " + n + " registered twice")
		}
		r.names[n] = true
	}
	r.cols = append(r.cols, col)
}

// WriteText writes every metric whose name starts with prefix ("" for
// all) in the text format. A family without a sample (a CounterVec
// before its first child) is left out.
func (r *Registry) WriteText(w io.Writer, prefix string) error {
	r.mu.Lock()
	cols := slices.Clone(r.cols)
	r.mu.Unlock()
	s := &scrape{fams: map[string]*family{}}
	for _, c := range cols {
		c(s)
	}
	names := make([]string, 0, len(s.fams))
	for n := range s.fams {
		if strings.HasPrefix(n, prefix) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var b []byte
	for _, n := range names {
		f := s.fams[n]
		if len(f.samples) == 0 {
			continue
		}
		sort.SliceStable(f.samples, func(i, j int) bool { return f.samples[i].key < f.samples[j].key })
		b = append(b, "# HELP "...)
		b = append(b, n...)
		b = append(b, ' ')
		b = appendEscaped(b, f.desc.help, false)
		b = append(b, "\n# TYPE "...)
		b = append(b, n...)
		b = append(b, ' ')
		b = append(b, f.desc.typ...)
		b = append(b, '\n')
		for _, smp := range f.samples {
			b = append(b, smp.text...)
		}
	}
	_, err := w.Write(b)
	return err
}

// scrape gathers the samples of one scrape by family.
type scrape struct{ fams map[string]*family }

type family struct {
	desc    *Desc
	samples []sample
}

// sample is the text of one labelled child (one line, or a histogram's
// or summary's block of lines), sorted by key (its label values).
type sample struct {
	key  string
	text []byte
}

func (s *scrape) family(d *Desc) *family {
	f := s.fams[d.name]
	if f == nil {
		f = &family{desc: d}
		s.fams[d.name] = f
	}
	return f
}

// Desc describes a family: its name, help, type and label names.
type Desc struct {
	name, help, typ string
	labels          []string
	order           []int // label indexes by name
}

func newDesc(name, help, typ string, labels []string) *Desc {
	d := &Desc{name: name, help: help, typ: typ, labels: labels, order: make([]int, len(labels))}
	for i := range d.order {
		d.order[i] = i
	}
	sort.Slice(d.order, func(i, j int) bool { return labels[d.order[i]] < labels[d.order[j]] })
	return d
}

// CounterDesc describes a counter family read at scrape time.
func CounterDesc(name, help string, labels ...string) *Desc {
	return newDesc(name, help, "counter", labels)
}

// GaugeDesc describes a gauge family read at scrape time.
func GaugeDesc(name, help string, labels ...string) *Desc {
	return newDesc(name, help, "gauge", labels)
}

// appendLabels appends {name="value",...} (names in order, extra last,
// as le or quantile) or nothing when there is no label.
func (d *Desc) appendLabels(b []byte, values []string, extraName, extraValue string) []byte {
	if len(values) != len(d.labels) {
		panic("metrics: " + d.name + ": " + strconv.Itoa(len(values)) + " label values for " + strconv.Itoa(len(d.labels)) + " labels")
	}
	if len(values) == 0 && extraName == "" {
		return b
	}
	b = append(b, '{')
	for k, i := range d.order {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, d.labels[i]...)
		b = append(b, `="`...)
		b = appendEscaped(b, values[i], true)
		b = append(b, '"')
	}
	if extraName != "" {
		if len(values) > 0 {
			b = append(b, ',')
		}
		b = append(b, extraName...)
		b = append(b, `="`...)
		b = append(b, extraValue...)
		b = append(b, '"')
	}
	return append(b, '}')
}

// key is the sort key of a child: its label values by label name.
func (d *Desc) key(values []string) string {
	var b []byte
	for _, i := range d.order {
		b = append(b, values[i]...)
		b = append(b, 0)
	}
	return string(b)
}

// appendEscaped escapes a help text (\ and newline) or a label value (\,
// newline and ").
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat writes a value as the text format reads it.
func appendFloat(b []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "+Inf"...)
	case math.IsInf(v, -1):
		return append(b, "-Inf"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// Emit is how a collector of [Registry.Collect] reports a sample: the
// value of d's child with labelValues (in d's label order).
type Emit func(d *Desc, v float64, labelValues ...string)

// Collect registers fn, called at each scrape to report the samples of
// the families descs (read from the program's state then).
func (r *Registry) Collect(descs []*Desc, fn func(emit Emit)) {
	names := make([]string, len(descs))
	for i, d := range descs {
		names[i] = d.name
	}
	r.add(func(s *scrape) {
		fn(func(d *Desc, v float64, labelValues ...string) {
			s.emit(d, v, labelValues)
		})
	}, names...)
}

func (s *scrape) emit(d *Desc, v float64, labelValues []string) {
	f := s.family(d)
	b := append([]byte(d.name), nil...)
	b = d.appendLabels(b, labelValues, "", "")
	b = append(b, ' ')
	b = appendFloat(b, v)
	f.samples = append(f.samples, sample{key: d.key(labelValues), text: append(b, '\n')})
}

// Counter is a monotonic count: Inc is one atomic add.
type Counter struct{ n atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.n.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.n.Add(n) }

// Value returns the count.
func (c *Counter) Value() uint64 { return c.n.Load() }

// CounterVec is a counter family whose children are its label values.
type CounterVec struct {
	desc *Desc
	mu   sync.Mutex
	kids map[string]*counterKid
}

type counterKid struct {
	values []string
	c      Counter
}

// CounterVec registers a counter family name (which ends in _total) with
// label names labels.
func (r *Registry) CounterVec(name, help string, labels ...string) *CounterVec {
	v := &CounterVec{desc: CounterDesc(name, help, labels...), kids: map[string]*counterKid{}}
	r.add(func(s *scrape) {
		v.mu.Lock()
		defer v.mu.Unlock()
		for _, k := range v.kids {
			s.emit(v.desc, float64(k.c.Value()), k.values)
		}
	}, name)
	return v
}

// With returns the child of labelValues (in the family's label order),
// made at its first use: resolve it once and count on it.
func (v *CounterVec) With(labelValues ...string) *Counter {
	key := v.desc.key(labelValues)
	v.mu.Lock()
	defer v.mu.Unlock()
	k := v.kids[key]
	if k == nil {
		k = &counterKid{values: slices.Clone(labelValues)}
		v.desc.appendLabels(nil, labelValues, "", "") // checks the count
		v.kids[key] = k
	}
	return &k.c
}

// Histogram counts observations into buckets (cumulative upper bounds,
// +Inf implied) with their sum and count.
type Histogram struct {
	bounds []float64
	mu     sync.Mutex
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
}

// Observe adds one observation.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound >= v: v <= le
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.mu.Unlock()
}

// HistogramVec is a histogram family whose children are its label values.
type HistogramVec struct {
	desc   *Desc
	bounds []float64
	mu     sync.Mutex
	kids   map[string]*histKid
}

type histKid struct {
	values []string
	h      Histogram
}

// HistogramVec registers a histogram family name with the bucket upper
// bounds (increasing) and label names labels.
func (r *Registry) HistogramVec(name, help string, bounds []float64, labels ...string) *HistogramVec {
	v := &HistogramVec{desc: newDesc(name, help, "histogram", labels), bounds: slices.Clone(bounds), kids: map[string]*histKid{}}
	r.add(func(s *scrape) {
		v.mu.Lock()
		defer v.mu.Unlock()
		f := s.family(v.desc)
		for _, k := range v.kids {
			f.samples = append(f.samples, sample{key: v.desc.key(k.values), text: k.h.appendText(nil, v.desc, k.values)})
		}
	}, name)
	return v
}

// With returns the child of labelValues (in the family's label order).
func (v *HistogramVec) With(labelValues ...string) *Histogram {
	key := v.desc.key(labelValues)
	v.mu.Lock()
	defer v.mu.Unlock()
	k := v.kids[key]
	if k == nil {
		v.desc.appendLabels(nil, labelValues, "", "") // checks the count
		k = &histKid{values: slices.Clone(labelValues), h: Histogram{bounds: v.bounds, counts: make([]uint64, len(v.bounds)+1)}}
		v.kids[key] = k
	}
	return &k.h
}

// appendText writes name_bucket{...,le="B"} for each bound and +Inf,
// name_sum and name_count.
func (h *Histogram) appendText(b []byte, d *Desc, values []string) []byte {
	h.mu.Lock()
	counts, sum := slices.Clone(h.counts), h.sum
	h.mu.Unlock()
	var cum uint64
	var le []byte
	for i, n := range counts {
		cum += n
		le = le[:0]
		if i < len(h.bounds) {
			le = appendFloat(le, h.bounds[i])
		} else {
			le = append(le, "+Inf"...)
		}
		b = append(b, d.name...)
		b = append(b, "_bucket"...)
		b = d.appendLabels(b, values, "le", string(le))
		b = append(b, ' ')
		b = strconv.AppendUint(b, cum, 10)
		b = append(b, '\n')
	}
	b = append(b, d.name...)
	b = append(b, "_sum"...)
	b = d.appendLabels(b, values, "", "")
	b = append(b, ' ')
	b = appendFloat(b, sum)
	b = append(b, '\n')
	b = append(b, d.name...)
	b = append(b, "_count"...)
	b = d.appendLabels(b, values, "", "")
	b = append(b, ' ')
	b = strconv.AppendUint(b, cum, 10)
	return append(b, '\n')
}

// ExponentialBuckets returns count bounds: start, start*factor, ...
func ExponentialBuckets(start, factor float64, count int) []float64 {
	b := make([]float64, count)
	for i := range b {
		b[i] = start
		start *= factor
	}
	return b
}
