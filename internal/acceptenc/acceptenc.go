// Package acceptenc reads the Accept-Encoding header of a request, for the
// servers of the project that compress: /metrics and the simulator.
package acceptenc

import (
	"strconv"
	"strings"
)

// Gzip reports whether an Accept-Encoding header accepts gzip: gzip (or
// *) with a q that is not zero.
func Gzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name != "gzip" && name != "*" {
			continue
		}
		params = strings.ReplaceAll(params, " ", "")
		if q, ok := strings.CutPrefix(params, "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		return true
	}
	return false
}
