package pyre

import (
	"strconv"
	"strings"
)

// synthName is the regexp2 name given to Python's unnamed group n when the
// pattern refers to groups by number (regexp2 numbers groups differently).
func synthName(n int) string { return "__py" + strconv.Itoa(n) }

func emit(b *strings.Builder, n *node, p *parser) {
	if n == nil {
		return
	}
	switch n.kind {
	case kLit:
		writeLit(b, n.r)
	case kAny:
		b.WriteByte('.')
	case kClass, kEsc, kAnchor, kFlags:
		b.WriteString(n.text)
	case kBackref:
		b.WriteString(`\k<`)
		b.WriteString(refName(n, p))
		b.WriteByte('>')
	case kCond:
		b.WriteString("(?(")
		b.WriteString(refName(n, p))
		b.WriteByte(')')
		emit(b, n.subs[0], p)
		if n.subs[1] != nil {
			b.WriteByte('|')
			emit(b, n.subs[1], p)
		}
		b.WriteByte(')')
	case kGroup:
		switch n.gk {
		case gCapture:
			switch {
			case n.name != "":
				b.WriteString("(?<" + n.name + ">")
			case p.refsNum:
				b.WriteString("(?<" + synthName(n.num) + ">")
			default:
				b.WriteByte('(')
			}
		case gNonCapture:
			b.WriteString("(?:")
		case gLookahead:
			b.WriteString("(?=")
		case gNegLookahead:
			b.WriteString("(?!")
		case gLookbehind:
			b.WriteString("(?<=")
		case gNegLookbehind:
			b.WriteString("(?<!")
		case gAtomic:
			b.WriteString("(?>")
		case gFlags:
			b.WriteString("(?" + n.text + ":")
		}
		emit(b, n.subs[0], p)
		b.WriteByte(')')
	case kRepeat:
		if n.poss {
			b.WriteString("(?>")
		}
		emit(b, n.subs[0], p)
		writeQuantifier(b, n)
		if n.poss {
			b.WriteByte(')')
		}
	case kConcat:
		for _, s := range n.subs {
			emit(b, s, p)
		}
	case kAlt:
		for i, s := range n.subs {
			if i > 0 {
				b.WriteByte('|')
			}
			emit(b, s, p)
		}
	}
}

func refName(n *node, p *parser) string {
	if n.name != "" {
		return n.name
	}
	return synthName(n.num)
}

func writeLit(b *strings.Builder, r rune) {
	switch r {
	case '\\', '*', '+', '?', '|', '{', '}', '[', ']', '(', ')', '^', '$', '.':
		b.WriteByte('\\')
		b.WriteRune(r)
	default:
		writeRuneEsc(b, r)
	}
}

// writeQuantifier writes repeat n's quantifier (*, +, ?, {m}, {m,}, {m,n},
// followed by ? when lazy), the same in Python, regexp2 and Go syntax.
func writeQuantifier(b *strings.Builder, n *node) {
	switch {
	case n.min == 0 && n.max == -1:
		b.WriteByte('*')
	case n.min == 1 && n.max == -1:
		b.WriteByte('+')
	case n.min == 0 && n.max == 1:
		b.WriteByte('?')
	case n.max == -1:
		b.WriteString("{" + strconv.Itoa(n.min) + ",}")
	case n.min == n.max:
		b.WriteString("{" + strconv.Itoa(n.min) + "}")
	default:
		b.WriteString("{" + strconv.Itoa(n.min) + "," + strconv.Itoa(n.max) + "}")
	}
	if n.lazy {
		b.WriteByte('?')
	}
}
