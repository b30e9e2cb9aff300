package version

import (
	"runtime/debug"
	"testing"

	"github.com/prometheus/common/version"
)

func buildInfo(settings ...string) func() (*debug.BuildInfo, bool) {
	return func() (*debug.BuildInfo, bool) {
		bi := &debug.BuildInfo{}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi, true
	}
}

func TestFill(t *testing.T) {
	vcs := buildInfo("vcs", "git", "vcs.revision", "942e9e1c0ffee", "vcs.time", "2026-11-30T17:04:05Z", "vcs.modified", "false")
	for _, tc := range []struct {
		name     string
		stamped  [3]string // as -ldflags -X would set them
		embedded string
		read     func() (*debug.BuildInfo, bool)
		want     [3]string
	}{
		{"go build in a checkout", [3]string{}, "0.1.0\n", vcs, [3]string{"0.1.0", "942e9e1c0ffee", "20261130-17:04:05"}},
		{"make build: the stamp wins", [3]string{"0.2.0-rc.1", "abc1234", "20261201-08:00:00"}, "0.1.0\n", vcs, [3]string{"0.2.0-rc.1", "abc1234", "20261201-08:00:00"}},
		{"only the version stamped", [3]string{"9.9.9", "", ""}, "0.1.0", vcs, [3]string{"9.9.9", "942e9e1c0ffee", "20261130-17:04:05"}},
		{"modified tree", [3]string{}, "0.1.0", buildInfo("vcs.revision", "942e9e1", "vcs.modified", "true"), [3]string{"0.1.0", "942e9e1-modified", ""}},
		{"no VCS information (go run, tarball)", [3]string{}, " 0.1.0 \n", buildInfo(), [3]string{"0.1.0", "", ""}},
		{"no build information", [3]string{}, "0.1.0", func() (*debug.BuildInfo, bool) { return nil, false }, [3]string{"0.1.0", "", ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.stamped
			fill(&vars{&got[0], &got[1], &got[2]}, tc.embedded, tc.read)
			if got != tc.want {
				t.Errorf("version, revision, build date = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestShort(t *testing.T) {
	defer func(v, r string) { version.Version, version.Revision = v, r }(version.Version, version.Revision)
	for _, tc := range []struct{ v, rev, want string }{
		{"0.1.0", "942e9e1c0ffee42424242424242424242424242", "0.1.0 (revision 942e9e1c0ffe)"},
		{"0.1.0", "942e9e1c0ffee42424242424242424242424242-modified", "0.1.0 (revision 942e9e1c0ffe-modified)"},
		{"0.1.0", "abc1234", "0.1.0 (revision abc1234)"},
		{"0.1.0", "unknown", "0.1.0"},
	} {
		version.Version, version.Revision = tc.v, tc.rev
		if got := Short(); got != tc.want {
			t.Errorf("Short() with %q, %q = %q, want %q", tc.v, tc.rev, got, tc.want)
		}
	}
}
