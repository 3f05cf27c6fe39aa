package banformula

import (
	"math"
	"testing"
)

func TestCompile(t *testing.T) {
	tests := []struct {
		src    string
		time   float64
		count  int
		factor float64
		want   float64
	}{
		// fail2ban's default formula and the exponential one from jail.conf.
		{"ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor", 600, 3, 1, 4800},
		{"ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor", 600, 25, 1, 600 * (1 << 20)},
		{"ban.Time * math.exp(float(ban.Count+1)*banFactor)/math.exp(1*banFactor)", 600, 2, 1, 600 * math.Exp(3) / math.E},
		{"ban.Time * 2 ** ban.Count", 100, 3, 1, 800},
		{"max(ban.Time, 60) // 7 + 10 % 4 - -1", 600, 1, 1, 85 + 2 + 1},
		{"ban.Time if not ban.Count > 2 and True else 0", 600, 2, 1, 600},
		{"ban.Time * round(2.5) + int(-1.7) + abs(-3) + math.floor(1.9) + math.ceil(0.1)", 10, 1, 1, 20 - 1 + 3 + 1 + 1},
		{"min(ban.Time, 5, 9) + math.log(math.e) + math.sqrt(16) + math.pow(2, 3)", 10, 1, 1, 5 + 1 + 4 + 8},
	}
	for _, tt := range tests {
		f, err := Compile(tt.src)
		if err != nil {
			t.Errorf("%s: %v", tt.src, err)
			continue
		}
		if got := f(tt.time, tt.count, tt.factor); math.Abs(got-tt.want) > 1e-9*math.Abs(tt.want) {
			t.Errorf("%s with time %v count %d = %v, want %v", tt.src, tt.time, tt.count, got, tt.want)
		}
	}
	for _, bad := range []string{"", "ban.Time +", "__import__('os').system('id')", "open('x')", "ban.Time * (2", "1 if 2", "ban.Time @ 2"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q): no error", bad)
		}
	}
	// A formula that fails when evaluated falls back to the base time.
	f, err := Compile("ban.Time / (ban.Count - 1)")
	if err == nil {
		if got := f(600, 1, 1); got != 600 {
			t.Errorf("division by zero gave %v, want the base time", got)
		}
	}
}

func FuzzCompile(f *testing.F) {
	f.Add("ban.Time * (1<<(ban.Count if ban.Count<20 else 20)) * banFactor")
	f.Add("max(ban.Time, 60) // 7 + 10 % 4 - -1")
	f.Fuzz(func(t *testing.T, src string) {
		if fn, err := Compile(src); err == nil {
			fn(600, 3, 1)
			fn(0, 0, 0)
		}
	})
}
