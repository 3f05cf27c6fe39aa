package pyre

// SureMatchNoFirst is SureMatch walking every part: without the skips of
// the parts that cannot take the next character (snode.cannot).
func SureMatchNoFirst(re *Regexp, b []byte) bool { return sureMatchNoFirst(re, b) }

func sureMatchNoFirst(re *Regexp, b []byte) bool {
	noFirst = true
	defer func() { noFirst = false }()
	return re.SureMatch(b)
}

// WalkAddr returns walkAddr's way at pos through b (with its "\n") and the
// tree walk's of the same alternation (addrPattern): the end of each, -1
// for no way.
func WalkAddr(b []byte, pos int) (fast, tree int) {
	markAddr(&snode{op: sConcat}) // (makes addrTree)
	fast, tree = -1, -1
	if p, ok := walkAddr(sureText(b), pos); ok {
		fast = p
	}
	noAddr = true
	defer func() { noAddr = false }()
	w := &snode{op: sAddr, subs: addrTree.subs, must: addrTree.must, first: addrTree.first}
	if p, ok := w.walk(sureText(b), pos); ok {
		tree = p
	}
	return fast, tree
}

// AddrNodes returns the number of nodes of re's sure-match walker that
// walkAddr walks.
func AddrNodes(re *Regexp) int {
	var count func(s *snode) int
	count = func(s *snode) int {
		if s == nil {
			return 0
		}
		n := 0
		if s.op == sAddr {
			n++
		}
		for _, sub := range s.subs {
			n += count(sub)
		}
		return n
	}
	return count(re.walker())
}
