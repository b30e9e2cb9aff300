//go:build amd64 && !purego

package usagecsv

// classify returns the masks of quotes, commas and newlines of b: bit i of
// q is set when b[i] is '"', and so on. SSE2, which every amd64 has: four
// 16-byte compares and byte-mask moves per character.
//
//go:noescape
func classify(b *[64]byte) (q, c, n uint64)
