// Package version fills in the build's version for every build, not only
// for `make build`: the Makefile stamps github.com/prometheus/common/version
// with -ldflags -X, while `go build`, `go run` and `go install` leave it
// empty. Fill completes what the stamp did not set.
package version

import (
	"runtime/debug"
	"strings"
	"time"

	"github.com/prometheus/common/version"
)

// Fill sets the empty variables of github.com/prometheus/common/version:
// Version from embedded (the module's VERSION file, embedded by package
// main), Revision and BuildDate from the VCS settings the go command records
// in the binary (vcs.revision, vcs.modified, vcs.time) when present. Values
// stamped with -ldflags -X win. Call it before anything reads the version.
func Fill(embedded string) {
	fill(&vars{&version.Version, &version.Revision, &version.BuildDate}, embedded, debug.ReadBuildInfo)
}

// Short is the version for a page's footer: "0.1.0 (revision 942e9e1c0ffe)",
// the revision left out when unknown.
func Short() string {
	v := version.Version
	if rev := version.GetRevision(); rev != "" && rev != "unknown" {
		hash, modified := strings.CutSuffix(rev, "-modified")
		if len(hash) > 12 {
			hash = hash[:12]
		}
		if modified {
			hash += "-modified"
		}
		v += " (revision " + hash + ")"
	}
	return v
}

// vars points at the variables Fill sets, so that tests use their own.
type vars struct{ version, revision, buildDate *string }

// buildDateLayout is the Makefile's: date -u +%Y%m%d-%H:%M:%S.
const buildDateLayout = "20060102-15:04:05"

func fill(v *vars, embedded string, readBuildInfo func() (*debug.BuildInfo, bool)) {
	if *v.version == "" {
		*v.version = strings.TrimSpace(embedded)
	}
	if *v.revision != "" && *v.buildDate != "" {
		return
	}
	info, ok := readBuildInfo()
	if !ok {
		return
	}
	var rev, at string
	var modified bool
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		case "vcs.time":
			at = s.Value
		}
	}
	if *v.revision == "" && rev != "" {
		if modified {
			rev += "-modified"
		}
		*v.revision = rev
	}
	if *v.buildDate == "" && at != "" {
		if t, err := time.Parse(time.RFC3339, at); err == nil {
			at = t.UTC().Format(buildDateLayout)
		}
		*v.buildDate = at
	}
}
