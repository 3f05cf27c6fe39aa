//go:build race

package testenv

// Race reports whether the race detector is on (it changes allocation
// counts and slows regex matching about tenfold).
const Race = true
