//go:build race

package datedetect

// scale divides the sizes of the generated-input tests under the race
// detector, which makes the regexes about ten times slower.
const scale = 20
