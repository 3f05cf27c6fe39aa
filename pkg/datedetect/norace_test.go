//go:build !race

package datedetect

const scale = 1
