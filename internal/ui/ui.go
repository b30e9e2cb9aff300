// Package ui serves the exporter's pages for humans, all in one layout: the
// landing page, the status of every enrollment and report with its money at
// a glance, and the running configuration with its secrets redacted. Every
// link is relative, so that the pages work under any --web.telemetry-path
// and behind a reverse proxy that serves the exporter under a path prefix.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"path"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// StatusSource is what the status page reads: *collector.Exporter.
type StatusSource interface {
	Status(cfg *config.Config) []collector.EnrollmentStatus
}

// ConfigSource is the running configuration and the outcome of its loads:
// *config.SafeConfig.
type ConfigSource interface {
	Get() *config.Config
	ReloadStatus() config.ReloadStatus
}

// Options are what the pages show and where they link.
type Options struct {
	Exporter StatusSource
	Config   ConfigSource
	// MetricsPath is --web.telemetry-path. When it is "/", the metrics
	// take the root and there is no landing page.
	MetricsPath string
	// Demo shows the demo banner on every page.
	Demo bool
	// Pprof mounts net/http/pprof under /debug/pprof/ and links it.
	Pprof bool
	// Version is shown in every page's footer.
	Version string
	// Now is the exporter's clock (time.Now when nil): "5m ago" is
	// computed on the clock that timed the refreshes.
	Now    func() time.Time
	Logger *slog.Logger
}

// The pages' paths on the exporter's mux.
const (
	landingPath = "/"
	statusPath  = "/status"
	configPath  = "/config"
	pprofPath   = "/debug/pprof/"
)

// Register mounts the pages on mux: the landing page at "/" (unless the
// metrics are there), /status, /config and, with Options.Pprof, the
// net/http/pprof handlers under /debug/pprof/.
func Register(mux *http.ServeMux, o Options) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MetricsPath != "/" {
		mux.Handle(landingPath+"{$}", landing(o))
	}
	mux.Handle(statusPath, status(o))
	mux.Handle(configPath, configPage(o))
	if o.Pprof {
		mux.HandleFunc(pprofPath, pprof.Index)
		mux.HandleFunc(pprofPath+"cmdline", pprof.Cmdline)
		mux.HandleFunc(pprofPath+"profile", pprof.Profile)
		mux.HandleFunc(pprofPath+"symbol", pprof.Symbol)
		mux.HandleFunc(pprofPath+"trace", pprof.Trace)
	}
}

//go:embed layout.html landing.html status.html config.html style.css
var files embed.FS

var funcs = template.FuncMap{
	"ago": ago,
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 MST")
	},
	"dur":  func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"subf": func(a, b float64) float64 { return a - b },
	"midf": func(a, b float64) float64 { return (a + b) / 2 },
}

var (
	css   = template.CSS(must(files.ReadFile("style.css")))
	pages = map[string]*template.Template{}
)

func init() {
	for _, name := range []string{"landing.html", "status.html", "config.html"} {
		pages[name] = template.Must(template.New(name).Funcs(funcs).ParseFS(files, "layout.html", name))
	}
}

func must(b []byte, err error) string {
	if err != nil {
		panic(err)
	}
	return string(b)
}

// ago prints t relative to now as people read it: "3m20s ago", "in 183 days".
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t).Round(time.Second)
	if d < 0 {
		return "in " + human(-d)
	}
	return human(d) + " ago"
}

// human prints a duration as people read it: "3m20s", or "183 days".
func human(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.String()
}

// relative returns the link from the page at pagePath to the exporter's
// path target, relative so that it holds behind a path prefix: from
// "/status", "/metrics" is "./metrics" ("./" keeps a path with a colon from
// reading as a scheme).
func relative(pagePath, target string) string {
	dir := path.Dir(pagePath)
	up := "./"
	if dir != "/" {
		up = strings.Repeat("../", strings.Count(dir, "/"))
	}
	return up + strings.TrimPrefix(target, "/")
}

// link is one entry of the navigation bar.
type link struct {
	Href, Text string
	Current    bool
}

// page is the data of the layout; the page's own data is in the rest.
type page struct {
	Title   string
	CSS     template.CSS
	Nav     []link
	Home    string
	Status  string // the link to the status page
	Demo    bool
	Reload  config.ReloadStatus
	Version string
	Now     time.Time

	// landing
	Description string
	Links       []landingLink
	// landing and status
	Overall overall
	// status
	Enrollments []enrollmentView
	// config
	Config string
}

type landingLink struct {
	Href, Text, Path, Description string
}

// newPage fills the layout's data for the page at pagePath.
func newPage(o Options, pagePath, title string) page {
	p := page{Title: title, CSS: css, Demo: o.Demo, Version: o.Version, Now: o.Now()}
	if o.Config != nil {
		p.Reload = o.Config.ReloadStatus()
	}
	if o.MetricsPath != "/" {
		p.Home = relative(pagePath, landingPath)
		p.Nav = append(p.Nav, link{Href: p.Home, Text: "Home", Current: pagePath == landingPath})
	}
	p.Nav = append(p.Nav,
		link{Href: relative(pagePath, statusPath), Text: "Status", Current: pagePath == statusPath},
		link{Href: relative(pagePath, configPath), Text: "Configuration", Current: pagePath == configPath},
		link{Href: relative(pagePath, o.MetricsPath), Text: "Metrics"},
	)
	if o.Pprof {
		p.Nav = append(p.Nav, link{Href: relative(pagePath, pprofPath), Text: "Profiling"})
	}
	p.Status = relative(pagePath, statusPath)
	if p.Home == "" {
		p.Home = p.Status
	}
	return p
}

func landing(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(o, landingPath, "Azure EA Exporter")
		p.Description = "Prometheus exporter for Azure Enterprise Agreement billing: commitment balance, overage, usage and marketplace cost, reservations and budgets, polled from the EA Reporting API or Azure Resource Manager."
		p.Links = []landingLink{
			{Href: relative(landingPath, o.MetricsPath), Text: "Metrics", Path: o.MetricsPath, Description: "What Prometheus scrapes"},
			{Href: relative(landingPath, statusPath), Text: "Status", Path: statusPath, Description: "Every enrollment's money at a glance, and every report: last refresh, errors, revisions"},
			{Href: relative(landingPath, configPath), Text: "Configuration", Path: configPath, Description: "The running configuration, secrets redacted, and the last reload's result"},
		}
		if o.Pprof {
			p.Links = append(p.Links, landingLink{Href: relative(landingPath, pprofPath), Text: "Profiling", Path: pprofPath, Description: "Go runtime profiles (net/http/pprof; --web.enable-pprof)"})
		}
		if o.Exporter != nil {
			p.Overall = overallOf(o.Exporter.Status(p.config(o)))
		}
		render(w, "landing.html", p, o.Logger)
	})
}

func status(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(o, statusPath, "Status")
		if o.Exporter != nil {
			st := o.Exporter.Status(p.config(o))
			p.Overall = overallOf(st)
			for _, e := range st {
				p.Enrollments = append(p.Enrollments, enrollmentOf(e, p.Now))
			}
		}
		render(w, "status.html", p, o.Logger)
	})
}

func configPage(o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := newPage(o, configPath, "Configuration")
		if c := p.config(o); c != nil {
			p.Config = c.String()
		}
		render(w, "config.html", p, o.Logger)
	})
}

func (p page) config(o Options) *config.Config {
	if o.Config == nil {
		return nil
	}
	return o.Config.Get()
}

func render(w http.ResponseWriter, name string, p page, logger *slog.Logger) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := pages[name].ExecuteTemplate(w, "layout", p); err != nil {
		logger.Error("rendering page", "page", name, "err", err)
	}
}
