//go:build !amd64 || purego

package eaclient

// classifyBlocks sets, for each 64-byte block k of src (len(src) is
// 64*len(spec)), bit i of spec[k] when byte 64k+i is a quote, a backslash
// or a control character, and bit i of hi[k] when it is 0x80 or above.
func classifyBlocks(spec, hi []uint64, src []byte) { classifyBlocksSWAR(spec, hi, src) }
