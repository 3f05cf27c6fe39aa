package datedetect

type fastStatus uint8

const (
	fastUnknown fastStatus = iota
	fastMatch
	fastNoMatch
)

// fastPattern is a hand-written matcher for one template regex.
type fastPattern struct{}

func fastFor(regex string) *fastPattern { return nil }

func (p *fastPattern) search(s string, pos int) (match, fastStatus) { return match{}, fastUnknown }
