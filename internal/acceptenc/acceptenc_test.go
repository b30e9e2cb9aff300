package acceptenc

import "testing"

func TestGzip(t *testing.T) {
	for h, want := range map[string]bool{
		"": false, "gzip": true, "GZIP": true, "deflate, gzip;q=1.0, *;q=0.5": true, "gzip;q=0": false,
		"identity": false, "*": true, "br, gzip; q=0.8": true, "gzip;q=0.0, identity": false,
	} {
		if got := Gzip(h); got != want {
			t.Errorf("%q: %v", h, got)
		}
	}
}
