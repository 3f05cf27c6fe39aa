package pyre

// SureMatchNoFirst is SureMatch walking every part: without the skips of
// the parts that cannot take the next character (snode.cannot).
func SureMatchNoFirst(re *Regexp, b []byte) bool { return sureMatchNoFirst(re, b) }

func sureMatchNoFirst(re *Regexp, b []byte) bool {
	noFirst = true
	defer func() { noFirst = false }()
	return re.SureMatch(b)
}
