// Package banformula evaluates fail2ban's bantime.formula, the Python
// expression that sets the length of a repeated ban, without Python: a
// parser and evaluator for the subset ban time formulas use (see
// [Compile]). bancount uses it for --bantime-formula and jail files'
// bantime.formula, and --check rejects a formula it cannot compile.
package banformula

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Compile compiles fail2ban's bantime.formula, a Python expression,
// for the subset that ban time formulas use: numbers, ban.Time, ban.Count,
// banFactor, + - * / // % ** << >>, comparisons, and/or/not,
// "X if C else Y", parentheses, and the functions math.exp, math.log,
// math.sqrt, math.pow, math.floor, math.ceil, float, int, min, max, abs
// and round. Nothing is evaluated by Python or a shell.
func Compile(src string) (func(banTime float64, count int, factor float64) float64, error) {
	p := &fparser{src: src}
	p.next()
	n, err := p.expr()
	if err == nil && p.tok != "" {
		err = fmt.Errorf("unexpected %q", p.tok)
	}
	if err != nil {
		return nil, fmt.Errorf("formula %q: %v", src, err)
	}
	// Evaluate once to catch unknown names early.
	if _, err := safeEval(n, &fenv{600, 1, 1}); err != nil {
		return nil, fmt.Errorf("formula %q: %v", src, err)
	}
	return func(t float64, c int, f float64) float64 {
		v, err := safeEval(n, &fenv{t, float64(c), f})
		if err != nil || math.IsNaN(v) {
			return t
		}
		return v
	}, nil
}

type fenv struct{ time, count, factor float64 }

type fnode func(*fenv) float64

type evalError struct{ msg string }

func safeEval(n fnode, e *fenv) (v float64, err error) {
	defer func() {
		if r := recover(); r != nil {
			if ee, ok := r.(evalError); ok {
				err = fmt.Errorf("%s", ee.msg)
				return
			}
			panic(r)
		}
	}()
	return n(e), nil
}

type fparser struct {
	src string
	pos int
	tok string
}

func (p *fparser) next() {
	s := p.src
	for p.pos < len(s) && s[p.pos] == ' ' || p.pos < len(s) && s[p.pos] == '\t' {
		p.pos++
	}
	if p.pos >= len(s) {
		p.tok = ""
		return
	}
	start := p.pos
	c := rune(s[p.pos])
	switch {
	case unicode.IsDigit(c) || c == '.' && p.pos+1 < len(s) && unicode.IsDigit(rune(s[p.pos+1])):
		for p.pos < len(s) && (unicode.IsDigit(rune(s[p.pos])) || s[p.pos] == '.' || s[p.pos] == 'e' ||
			(s[p.pos] == '-' || s[p.pos] == '+') && (s[p.pos-1] == 'e')) {
			p.pos++
		}
	case unicode.IsLetter(c) || c == '_':
		for p.pos < len(s) && (unicode.IsLetter(rune(s[p.pos])) || unicode.IsDigit(rune(s[p.pos])) || s[p.pos] == '_' || s[p.pos] == '.') {
			p.pos++
		}
	default:
		for _, op := range []string{"**", "//", "<<", ">>", "<=", ">=", "==", "!="} {
			if strings.HasPrefix(s[p.pos:], op) {
				p.pos += 2
				p.tok = op
				return
			}
		}
		p.pos++
	}
	p.tok = s[start:p.pos]
}

func (p *fparser) expr() (fnode, error) {
	a, err := p.or()
	if err != nil || p.tok != "if" {
		return a, err
	}
	p.next()
	cond, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.tok != "else" {
		return nil, fmt.Errorf("want else, got %q", p.tok)
	}
	p.next()
	b, err := p.expr()
	if err != nil {
		return nil, err
	}
	return func(e *fenv) float64 {
		if cond(e) != 0 {
			return a(e)
		}
		return b(e)
	}, nil
}

func truth(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func (p *fparser) or() (fnode, error) {
	a, err := p.and()
	for err == nil && p.tok == "or" {
		p.next()
		var b fnode
		if b, err = p.and(); err == nil {
			x, y := a, b
			a = func(e *fenv) float64 {
				if v := x(e); v != 0 {
					return v
				}
				return y(e)
			}
		}
	}
	return a, err
}

func (p *fparser) and() (fnode, error) {
	a, err := p.not()
	for err == nil && p.tok == "and" {
		p.next()
		var b fnode
		if b, err = p.not(); err == nil {
			x, y := a, b
			a = func(e *fenv) float64 {
				if v := x(e); v == 0 {
					return v
				}
				return y(e)
			}
		}
	}
	return a, err
}

func (p *fparser) not() (fnode, error) {
	if p.tok == "not" {
		p.next()
		a, err := p.not()
		if err != nil {
			return nil, err
		}
		return func(e *fenv) float64 { return truth(a(e) == 0) }, nil
	}
	return p.cmp()
}

func (p *fparser) cmp() (fnode, error) {
	a, err := p.binary(0)
	if err != nil {
		return nil, err
	}
	switch op := p.tok; op {
	case "<", ">", "<=", ">=", "==", "!=":
		p.next()
		b, err := p.binary(0)
		if err != nil {
			return nil, err
		}
		return func(e *fenv) float64 {
			x, y := a(e), b(e)
			switch op {
			case "<":
				return truth(x < y)
			case ">":
				return truth(x > y)
			case "<=":
				return truth(x <= y)
			case ">=":
				return truth(x >= y)
			case "==":
				return truth(x == y)
			}
			return truth(x != y)
		}, nil
	}
	return a, nil
}

var levels = [][]string{{"<<", ">>"}, {"+", "-"}, {"*", "/", "//", "%"}}

func (p *fparser) binary(level int) (fnode, error) {
	if level == len(levels) {
		return p.unary()
	}
	a, err := p.binary(level + 1)
	for err == nil {
		op := ""
		for _, o := range levels[level] {
			if p.tok == o {
				op = o
			}
		}
		if op == "" {
			break
		}
		p.next()
		var b fnode
		if b, err = p.binary(level + 1); err != nil {
			break
		}
		a = binop(op, a, b)
	}
	return a, err
}

func binop(op string, a, b fnode) fnode {
	return func(e *fenv) float64 {
		x, y := a(e), b(e)
		switch op {
		case "<<":
			if y < 0 || y > 62 {
				panic(evalError{"shift count out of range"})
			}
			return float64(int64(x) << uint(y))
		case ">>":
			if y < 0 {
				panic(evalError{"negative shift count"})
			}
			return float64(int64(x) >> uint(min(y, 63)))
		case "+":
			return x + y
		case "-":
			return x - y
		case "*":
			return x * y
		case "/":
			if y == 0 {
				panic(evalError{"division by zero"})
			}
			return x / y
		case "//":
			if y == 0 {
				panic(evalError{"division by zero"})
			}
			return math.Floor(x / y)
		}
		if y == 0 {
			panic(evalError{"modulo by zero"})
		}
		return x - y*math.Floor(x/y)
	}
}

func (p *fparser) unary() (fnode, error) {
	if p.tok == "-" || p.tok == "+" {
		neg := p.tok == "-"
		p.next()
		a, err := p.unary()
		if err != nil {
			return nil, err
		}
		if neg {
			return func(e *fenv) float64 { return -a(e) }, nil
		}
		return a, nil
	}
	a, err := p.atom()
	if err != nil {
		return nil, err
	}
	if p.tok == "**" {
		p.next()
		b, err := p.unary()
		if err != nil {
			return nil, err
		}
		return func(e *fenv) float64 { return math.Pow(a(e), b(e)) }, nil
	}
	return a, nil
}

var funcs = map[string]func([]float64) (float64, bool){
	"math.exp":   func(a []float64) (float64, bool) { return math.Exp(a[0]), len(a) == 1 },
	"math.log":   func(a []float64) (float64, bool) { return flog(a) },
	"math.sqrt":  func(a []float64) (float64, bool) { return math.Sqrt(a[0]), len(a) == 1 },
	"math.pow":   func(a []float64) (float64, bool) { return math.Pow(a[0], a[len(a)-1]), len(a) == 2 },
	"math.floor": func(a []float64) (float64, bool) { return math.Floor(a[0]), len(a) == 1 },
	"math.ceil":  func(a []float64) (float64, bool) { return math.Ceil(a[0]), len(a) == 1 },
	"float":      func(a []float64) (float64, bool) { return a[0], len(a) == 1 },
	"int":        func(a []float64) (float64, bool) { return math.Trunc(a[0]), len(a) == 1 },
	"abs":        func(a []float64) (float64, bool) { return math.Abs(a[0]), len(a) == 1 },
	"round":      func(a []float64) (float64, bool) { return math.RoundToEven(a[0]), len(a) == 1 },
	"min": func(a []float64) (float64, bool) {
		m := a[0]
		for _, x := range a {
			m = math.Min(m, x)
		}
		return m, true
	},
	"max": func(a []float64) (float64, bool) {
		m := a[0]
		for _, x := range a {
			m = math.Max(m, x)
		}
		return m, true
	},
}

func flog(a []float64) (float64, bool) {
	if len(a) == 2 {
		return math.Log(a[0]) / math.Log(a[1]), true
	}
	return math.Log(a[0]), len(a) == 1
}

func (p *fparser) atom() (fnode, error) {
	tok := p.tok
	switch {
	case tok == "":
		return nil, fmt.Errorf("unexpected end")
	case tok == "(":
		p.next()
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		if p.tok != ")" {
			return nil, fmt.Errorf("want ), got %q", p.tok)
		}
		p.next()
		return a, nil
	case unicode.IsDigit(rune(tok[0])) || tok[0] == '.':
		v, err := strconv.ParseFloat(tok, 64)
		if err != nil {
			return nil, fmt.Errorf("bad number %q", tok)
		}
		p.next()
		return func(*fenv) float64 { return v }, nil
	}
	p.next()
	switch tok {
	case "ban.Time":
		return func(e *fenv) float64 { return e.time }, nil
	case "ban.Count":
		return func(e *fenv) float64 { return e.count }, nil
	case "banFactor":
		return func(e *fenv) float64 { return e.factor }, nil
	case "True":
		return func(*fenv) float64 { return 1 }, nil
	case "False":
		return func(*fenv) float64 { return 0 }, nil
	case "math.e":
		return func(*fenv) float64 { return math.E }, nil
	case "math.pi":
		return func(*fenv) float64 { return math.Pi }, nil
	}
	fn, ok := funcs[tok]
	if !ok || p.tok != "(" {
		return nil, fmt.Errorf("unknown name %q", tok)
	}
	p.next()
	var args []fnode
	for p.tok != ")" {
		a, err := p.expr()
		if err != nil {
			return nil, err
		}
		args = append(args, a)
		if p.tok == "," {
			p.next()
		} else if p.tok != ")" {
			return nil, fmt.Errorf("want , or ), got %q", p.tok)
		}
	}
	p.next()
	if len(args) == 0 {
		return nil, fmt.Errorf("%s() needs arguments", tok)
	}
	return func(e *fenv) float64 {
		vs := make([]float64, len(args))
		for i, a := range args {
			vs[i] = a(e)
		}
		v, ok := fn(vs)
		if !ok {
			panic(evalError{tok + ": wrong number of arguments"})
		}
		return v
	}, nil
}
