package filter

// dict is a failure dict (fail2ban's): group name to value. A failure has
// a handful of groups (mlfid, user, ip4, nofail ...), so the entries are
// kept in one slice and looked up in order: no hashing per access, no
// allocation once the slice has grown, and emptying it only shortens it
// (a map costs a hash per access and an allocation per failure dict the
// multi-line cache keeps). The order of the entries means nothing: every
// reader looks names up or copies them all into a map.
type dict struct{ e []dictEntry }

type dictEntry struct{ k, v string }

// newDict returns an empty dict with room for the groups of most failures
// (one allocation).
func newDict() dict { return dict{e: make([]dictEntry, 0, 8)} }

// get returns the value of k and whether k is set (a map's v, ok := m[k]).
func (d *dict) get(k string) (string, bool) {
	for i := range d.e {
		if d.e[i].k == k {
			return d.e[i].v, true
		}
	}
	return "", false
}

// val returns the value of k, "" when it is not set (a map's m[k]).
func (d *dict) val(k string) string {
	v, _ := d.get(k)
	return v
}

// set sets k to v (a map's m[k] = v).
func (d *dict) set(k, v string) {
	for i := range d.e {
		if d.e[i].k == k {
			d.e[i].v = v
			return
		}
	}
	d.e = append(d.e, dictEntry{k, v})
}

// del removes k (a map's delete(m, k)).
func (d *dict) del(k string) {
	for i := range d.e {
		if d.e[i].k == k {
			last := len(d.e) - 1
			d.e[i] = d.e[last]
			d.e[last] = dictEntry{}
			d.e = d.e[:last]
			return
		}
	}
}

// reset empties d, keeping its room.
func (d *dict) reset() {
	clear(d.e)
	d.e = d.e[:0]
}

// truthy reports whether k is set to a non-empty value (Python's truth of
// the dict's value).
func (d *dict) truthy(k string) bool { return d.val(k) != "" }
