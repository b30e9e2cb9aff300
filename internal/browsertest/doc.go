// Package browsertest checks the exporter's pages as a person sees them:
// it builds the binary with a plain `go build`, runs it with --demo on the
// 1st of a month, renders /, /status and /config in headless Chromium
// (Debian's chromium package), checks the rendered text and follows every
// link. It also checks what only the built binary shows: the version of an
// unstamped build, --web.enable-pprof, and an unusable --storage.path.
//
// Without Chromium the browser tests are skipped, unless the environment
// variable CI is set: then they fail. Set AZURE_EA_SCREENSHOT_DIR to keep
// the screenshots (by default they go to the test's temporary directory).
package browsertest
