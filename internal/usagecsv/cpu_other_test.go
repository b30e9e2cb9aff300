//go:build !unix

package usagecsv

import "time"

// cpuTime is not measured here: the MB/cpu-s metric is left out.
func cpuTime() time.Duration { return 0 }
