package bodylimit

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		body string
		n    int64
		err  error
	}{
		{"12345", 5, nil},
		{"1234", 5, nil},
		{"123456", 5, ErrTooLarge},
		{"", 0, nil},
		{"1", 0, ErrTooLarge},
	} {
		b, err := io.ReadAll(&Reader{R: strings.NewReader(tc.body), N: tc.n})
		if !errors.Is(err, tc.err) || (tc.err == nil && string(b) != tc.body) {
			t.Errorf("%q limit %d: %q, %v; want error %v", tc.body, tc.n, b, err, tc.err)
		}
	}
}
