//go:build amd64 && !purego

package eaclient

// scanStringBlocks looks through b sixteen bytes at a time for the first
// byte that ends a run of plain string contents: a quote, a backslash or a
// control character. n is its index, or, when none is in b's whole
// sixteen-byte blocks, the end of the last of them (the caller looks at
// the rest); high reports bytes of 0x80 and above before n.
//
//go:noescape
func scanStringBlocks(b []byte) (n int, high bool)
