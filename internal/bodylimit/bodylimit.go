// Package bodylimit bounds what a client reads of a response: past the
// limit a read fails with ErrTooLarge instead of truncating silently, so a
// cut-off report is never taken for a whole one. Both sources' clients use
// it.
package bodylimit

import (
	"errors"
	"io"
)

// ErrTooLarge is the error of a read past the limit.
var ErrTooLarge = errors.New("response body too large")

// Reader reads at most N bytes of R; a body of exactly N bytes is fine.
type Reader struct {
	R    io.Reader
	N    int64
	read int64
}

// Bytes is how many bytes have been read.
func (l *Reader) Bytes() int64 { return l.read }

func (l *Reader) Read(p []byte) (int, error) {
	if l.read >= l.N {
		// Probe one byte: exactly N bytes is fine.
		var one [1]byte
		k, err := l.R.Read(one[:])
		if k > 0 {
			return 0, ErrTooLarge
		}
		return 0, err
	}
	if rem := l.N - l.read; int64(len(p)) > rem {
		p = p[:rem]
	}
	k, err := l.R.Read(p)
	l.read += int64(k)
	return k, err
}
