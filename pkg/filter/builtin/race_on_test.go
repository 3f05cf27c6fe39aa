//go:build race

package builtin_test

// raceEnabled: the race detector slows regex matching about tenfold.
const raceEnabled = true
