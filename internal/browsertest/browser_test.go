package browsertest

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

// clockStart is the 1st of a month, half an hour in: the current billing
// period has (almost) no data yet, the hard case for the status page.
const clockStart = "2026-12-01T00:30:00Z"

var (
	binary     string // the exporter, built by TestMain with a plain go build
	moduleRoot string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "azure_ea_browsertest")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	moduleRoot, err = filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	binary = filepath.Join(dir, "azure_ea_exporter")
	// No -ldflags: the version must come from the build itself.
	cmd := exec.Command("go", "build", "-o", binary, ".")
	cmd.Dir = moduleRoot
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the exporter:", err)
		return 1
	}
	return m.Run()
}

// exporter is a running --demo exporter.
type exporter struct {
	base    string // http://127.0.0.1:port
	metrics string // --web.telemetry-path
	proc    *testproc.Proc
}

func startDemo(t *testing.T, args ...string) exporter {
	t.Helper()
	addr := testproc.FreeAddr(t)
	e := exporter{base: "http://" + addr, metrics: "/metrics"}
	for _, a := range args {
		if p, ok := strings.CutPrefix(a, "--web.telemetry-path="); ok {
			e.metrics = p
		}
	}
	args = append([]string{"--demo", "--web.listen-address=" + addr, "--testing.clock-start", clockStart}, args...)
	e.proc = testproc.Start(t, t.TempDir(), binary, args...)
	testproc.WaitFor(t, time.Now().Add(90*time.Second), "/-/ready", func() bool {
		code, _, err := fetch(e.base + "/-/ready")
		return err == nil && code == 200
	})
	return e
}

func fetch(u string) (int, string, error) {
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// chromium finds the browser, skipping the test without it (failing in CI).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "/usr/bin/chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium not installed; CI must install Debian's chromium package (apt-get install chromium)")
	}
	t.Skip("chromium not installed: apt-get install chromium (Debian's package) to run the browser tests")
	return ""
}

// browser runs headless Chromium, one process per call, killed (with all
// of its process group) when done or after a minute.
type browser struct {
	path    string
	profile string
	shots   string
}

func newBrowser(t *testing.T) *browser {
	b := &browser{path: chromium(t), profile: t.TempDir(), shots: t.TempDir()}
	if d := os.Getenv("AZURE_EA_SCREENSHOT_DIR"); d != "" {
		b.shots = d
		if err := os.MkdirAll(b.shots, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (b *browser) run(t *testing.T, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append([]string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--user-data-dir=" + b.profile,
	}, args...)
	cmd := exec.CommandContext(ctx, b.path, args...)
	// Its own process group, so that the renderer and the other helpers
	// Chromium starts die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // whatever is left of the group
	}
	if err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args[len(args)-2:], " "), err, tail(stderr.String(), 2000))
	}
	return stdout.Bytes()
}

// dom is the page at u as Chromium rendered it.
func (b *browser) dom(t *testing.T, u string) string {
	t.Helper()
	out := string(b.run(t, "--dump-dom", u))
	if !strings.Contains(out, "</html>") {
		t.Fatalf("chromium --dump-dom %s: no document:\n%s", u, tail(out, 1000))
	}
	return out
}

// screenshot saves the page at u as name.png and logs where.
func (b *browser) screenshot(t *testing.T, u, name string) {
	t.Helper()
	file := filepath.Join(b.shots, regexp.MustCompile(`[^A-Za-z0-9._-]+`).ReplaceAllString(name, "_")+".png")
	b.run(t, "--screenshot="+file, "--window-size=1280,2000", u)
	if fi, err := os.Stat(file); err != nil || fi.Size() < 1000 {
		t.Fatalf("screenshot of %s: %v", u, err)
	}
	t.Logf("screenshot of %s: %s", u, file)
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var (
	hrefRE  = regexp.MustCompile(`<a\b[^>]*\bhref="([^"]*)"`)
	styleRE = regexp.MustCompile(`(?s)<style>.*?</style>`)
	tagRE   = regexp.MustCompile(`<[^>]*>`)
	inlRE   = regexp.MustCompile(`</?(span|b|code|a|strong)\b[^>]*>`)
)

// visible is the text of a rendered page, whitespace folded.
func visible(dom string) string {
	s := styleRE.ReplaceAllString(dom, "")
	s = inlRE.ReplaceAllString(s, "")
	s = tagRE.ReplaceAllString(s, " ")
	s = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#39;", "'", "&nbsp;", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}

// section is the part of the status page's DOM of one enrollment.
func section(t *testing.T, dom, enrollment string) string {
	t.Helper()
	i := strings.Index(dom, `id="enrollment-`+enrollment+`"`)
	if i < 0 {
		t.Fatalf("no section of enrollment %s", enrollment)
	}
	s := dom[i:]
	if j := strings.Index(s, "</section>"); j >= 0 {
		s = s[:j]
	}
	return s
}

// figure is the data-value of a summary figure in an enrollment's section.
func figure(t *testing.T, sec, name string) (value string, text string) {
	t.Helper()
	re := regexp.MustCompile(`(?s)<dd ([^>]*data-figure="` + name + `"[^>]*)>(.*?)</dd>`)
	m := re.FindStringSubmatch(sec)
	if m == nil {
		t.Fatalf("no %s figure", name)
	}
	if v := regexp.MustCompile(`data-value="([^"]*)"`).FindStringSubmatch(m[1]); v != nil {
		value = v[1]
	}
	return value, visible(m[2])
}

func TestPagesInBrowser(t *testing.T) {
	b := newBrowser(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"default", nil},
		{"telemetry path /prom with pprof", []string{"--web.telemetry-path=/prom", "--web.enable-pprof"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startDemo(t, tc.args...)
			doms := map[string]string{}
			for _, p := range []string{"/", "/status", "/config"} {
				u := e.base + p
				dom := b.dom(t, u)
				doms[p] = dom
				name := strings.Trim(strings.ReplaceAll(p, "/", "_"), "_")
				if name == "" {
					name = "landing"
				}
				b.screenshot(t, u, strings.ReplaceAll(tc.name, " ", "_")+"-"+name)

				text := visible(dom)
				if !strings.Contains(text, "DEMO Every figure on this page comes from the built-in simulator") {
					t.Errorf("%s: no demo banner:\n%.600s", p, text)
				}
				if !strings.Contains(text, "Configuration built into the demo loaded at 2026-12-01") {
					t.Errorf("%s: no reload result:\n%.600s", p, text)
				}
				checkLinks(t, e, u, dom)
			}

			landing := visible(doms["/"])
			for _, want := range []string{"Metrics " + e.metrics, "Status /status", "Configuration /config", "reports up"} {
				if !strings.Contains(landing, want) {
					t.Errorf("/: lacks %q:\n%s", want, landing)
				}
			}
			if pprof := strings.Contains(doms["/"], "debug/pprof"); pprof != strings.Contains(tc.name, "pprof") {
				t.Errorf("/: links pprof: %v", pprof)
			}
			checkStatus(t, doms["/status"])
			cfg := visible(doms["/config"])
			for _, want := range []string{`number: "200"`, "api_key: <secret>", "usage_details:"} {
				if !strings.Contains(cfg, want) {
					t.Errorf("/config lacks %q:\n%.2000s", want, cfg)
				}
			}
		})
	}
}

// checkLinks follows every link of the page, resolved against its URL.
func checkLinks(t *testing.T, e exporter, page, dom string) {
	t.Helper()
	base, err := url.Parse(page)
	if err != nil {
		t.Fatal(err)
	}
	links := hrefRE.FindAllStringSubmatch(dom, -1)
	if len(links) < 4 {
		t.Errorf("%s: only %d links", page, len(links))
	}
	sawMetrics := false
	for _, m := range links {
		ref, err := url.Parse(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil {
			t.Errorf("%s: link %q: %v", page, m[1], err)
			continue
		}
		if strings.HasPrefix(m[1], "/") || ref.IsAbs() {
			t.Errorf("%s: link %q is not relative", page, m[1])
		}
		target := base.ResolveReference(ref)
		if target.Path == e.metrics {
			sawMetrics = true
		}
		code, _, err := fetch(target.String())
		if err != nil || code != 200 {
			t.Errorf("%s: link %q -> %s: %d %v", page, m[1], target, code, err)
		}
	}
	if !sawMetrics {
		t.Errorf("%s: no link to the metrics at %s", page, e.metrics)
	}
}

// checkStatus checks the status page of the demo on the 1st of December.
func checkStatus(t *testing.T, dom string) {
	t.Helper()
	text := visible(dom)
	// Enrollments 100 and 200 (EA) and 300 (ARM) poll 7 reports each.
	if !regexp.MustCompile(`\b21/21 reports up\b`).MatchString(text) {
		t.Errorf("/status: no \"21/21 reports up\" line:\n%.800s", text)
	}
	if arm := visible(section(t, dom, "300")); !strings.Contains(arm, "GBP") || !strings.Contains(arm, "client_secret expires") || !strings.Contains(arm, "to date") {
		t.Errorf("enrollment 300 (ARM): currency, credential or spend not shown:\n%.800s", arm)
	}

	eur := section(t, dom, "200")
	if !strings.Contains(eur, `data-currency="EUR"`) || !strings.Contains(visible(eur), "Enrollment 200 EUR") {
		t.Errorf("enrollment 200: currency EUR not shown:\n%.500s", visible(eur))
	}
	v, txt := figure(t, eur, "overage")
	if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 || !regexp.MustCompile(`^EUR [1-9][0-9,]*\.\d\d\b`).MatchString(txt) {
		t.Errorf("enrollment 200: overage %q (%q), want > 0 in EUR", v, txt)
	}
	over := regexp.MustCompile(`(?s)<tr class="budget bad" data-budget="([^"]+)"[^>]*>(.*?)</tr>`).FindAllStringSubmatch(eur, -1)
	if len(over) == 0 {
		t.Errorf("enrollment 200: no budget exceeded:\n%s", visible(eur))
	}
	for _, m := range over {
		if row := visible(m[2]); !regexp.MustCompile(`^\S+ EUR [\d,]+\.\d\d / EUR [\d,]+\.\d\d \d+% over by EUR [\d,]+\.\d\d$`).MatchString(row) {
			t.Errorf("enrollment 200: exceeded budget row %q", row)
		}
	}
	if _, txt := figure(t, eur, "days-left"); !strings.HasPrefix(txt, "none: the commitment is used up") {
		t.Errorf("enrollment 200: commitment days left %q", txt)
	}
	if !strings.Contains(eur, `data-figure="burn-down"`) || !strings.Contains(eur, "<polyline") {
		t.Error("enrollment 200: no burn-down chart")
	}

	usd := section(t, dom, "100")
	for _, name := range []string{"balance", "spend", "previous-spend"} {
		if _, txt := figure(t, usd, name); !regexp.MustCompile(`^USD \d{1,3}(,\d{3})*\.\d\d\b`).MatchString(txt) {
			t.Errorf("enrollment 100: %s %q is not money in USD with thousands separators", name, txt)
		}
	}
	if v, txt := figure(t, usd, "days-left"); v == "" || !strings.Contains(txt, " days at USD ") {
		t.Errorf("enrollment 100: commitment days left %q (%q)", v, txt)
	}
	for _, sec := range []string{usd, eur} {
		v, txt := figure(t, sec, "data-through")
		if !regexp.MustCompile(`^2026-1[12]-\d\d$`).MatchString(v) || !strings.HasPrefix(txt, v) {
			t.Errorf("data complete through %q (%q), want a date near %s", v, txt, clockStart)
		}
		if _, txt := figure(t, sec, "credential"); !strings.Contains(txt, "ea_api_key expires") {
			t.Errorf("credential: %q", txt)
		}
	}
	for _, r := range []string{"billing_periods", "balance_summary", "usage_details", "marketplace_charges", "price_sheet", "reservation_details", "reservation_charges"} {
		if !strings.Contains(dom, `data-report="`+r+`"`) {
			t.Errorf("/status: no row of report %s", r)
		}
	}
}

func TestPprofOnlyWithFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{{nil, 404}, {[]string{"--web.enable-pprof"}, 200}} {
		e := startDemo(t, tc.args...)
		for _, p := range []string{"/debug/pprof/", "/debug/pprof/cmdline"} {
			if code, _, err := fetch(e.base + p); err != nil || code != tc.want {
				t.Errorf("%v: %s: %d %v, want %d", tc.args, p, code, err, tc.want)
			}
		}
		_, body, _ := fetch(e.base + "/")
		if linked := strings.Contains(body, "debug/pprof"); linked != (tc.want == 200) {
			t.Errorf("%v: / links pprof: %v", tc.args, linked)
		}
	}
}

func TestVersionOfPlainBuild(t *testing.T) {
	want, err := os.ReadFile(filepath.Join(moduleRoot, "VERSION"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	if line := "azure_ea_exporter, version " + strings.TrimSpace(string(want)) + " "; !strings.HasPrefix(string(out), line) {
		t.Errorf("--version of a plain go build:\n%s\nwant it to start with %q", out, line)
	}
	// Where the go command records the commit (a git checkout, and not
	// -buildvcs=false, which GOFLAGS may set), it is the revision.
	stamped := binary
	if rev, _ := vcsRevision(t, binary); rev == "" {
		stamped = filepath.Join(t.TempDir(), "azure_ea_exporter")
		cmd := exec.Command("go", "build", "-buildvcs=true", "-o", stamped, ".")
		cmd.Dir = moduleRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Logf("not checking the revision: no VCS information for the build (%v)\n%s", err, tail(string(out), 500))
			return
		}
	}
	rev, at := vcsRevision(t, stamped)
	if rev == "" {
		t.Log("not checking the revision: the build records no VCS information")
		return
	}
	out, err = exec.Command(stamped, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "revision: "+rev) {
		t.Errorf("--version does not name the build's revision %s:\n%s", rev, out)
	}
	if date := at.UTC().Format("20060102-15:04:05"); !strings.Contains(string(out), "build date:       "+date) {
		t.Errorf("--version does not give the commit's time %s as the build date:\n%s", date, out)
	}
}

// vcsRevision reads the VCS settings the go command recorded in bin.
func vcsRevision(t *testing.T, bin string) (rev string, at time.Time) {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	modified := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at, _ = time.Parse(time.RFC3339, s.Value)
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if rev != "" && modified {
		rev += "-modified"
	}
	return rev, at
}

func TestUnusableStoragePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	readOnly := filepath.Join(dir, "read-only")
	if err := os.Mkdir(readOnly, 0o500); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ path, cause string }{
		{file, "not a directory"},
		{filepath.Join(file, "sub"), "cannot create the directory: mkdir " + file + ": not a directory"},
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases = append(cases,
			struct{ path, cause string }{readOnly, "not writable: permission denied"},
			struct{ path, cause string }{filepath.Join(readOnly, "sub"), "cannot create the directory: mkdir " + filepath.Join(readOnly, "sub") + ": permission denied"})
	}
	for _, tc := range cases {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			// Without the check the exporter would start and serve: it is
			// killed after a while and the test fails.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, binary, "--demo", "--web.listen-address="+testproc.FreeAddr(t), "--storage.path="+tc.path)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stderr, &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1\n%s", err, stderr.String())
			}
			var problems []string
			for _, l := range strings.Split(strings.TrimSpace(stderr.String()), "\n") {
				if !strings.Contains(l, "level=INFO") {
					problems = append(problems, l)
				}
			}
			want := fmt.Sprintf("azure_ea_exporter: --storage.path %q: %s", tc.path, tc.cause)
			if len(problems) != 1 || problems[0] != want {
				t.Errorf("output:\n%s\nwant one line (besides the start's INFO lines): %s", stderr.String(), want)
			}
		})
	}

	t.Run("created when missing", func(t *testing.T) {
		store := filepath.Join(t.TempDir(), "new", "store")
		startDemo(t, "--storage.path="+store)
		fi, err := os.Stat(store)
		if err != nil || !fi.IsDir() {
			t.Fatalf("storage path: %v", err)
		}
		probes, _ := filepath.Glob(filepath.Join(store, ".write-probe-*"))
		if len(probes) > 0 {
			t.Errorf("probe files left behind: %v", probes)
		}
	})
}
