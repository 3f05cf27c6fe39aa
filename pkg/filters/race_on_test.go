//go:build race

package filters_test

// raceEnabled: the race detector slows regex matching about tenfold.
const raceEnabled = true
