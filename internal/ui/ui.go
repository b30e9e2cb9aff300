// Package ui serves the exporter's pages for humans: the status of every
// enrollment and report, and the running configuration with its secrets
// redacted.
package ui

import (
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

//go:embed status.html
var files embed.FS

var tmpl = template.Must(template.New("status.html").Funcs(template.FuncMap{
	"ago": func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		d := time.Since(t).Round(time.Second)
		if d < 0 {
			return "in " + human(-d)
		}
		return human(d) + " ago"
	},
	"ts": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format(time.RFC3339)
	},
	"dur": func(d time.Duration) string { return d.Round(time.Millisecond).String() },
}).ParseFS(files, "status.html"))

// human prints a duration as people read it: "3m20s", or "183 days".
func human(d time.Duration) string {
	if d >= 48*time.Hour {
		return fmt.Sprintf("%d days", int(d.Hours()/24))
	}
	return d.String()
}

type page struct {
	Title       string
	Demo        bool
	Enrollments []collector.EnrollmentStatus
	Config      string
	Now         time.Time
}

// Status serves the status page.
func Status(x *collector.Exporter, cfg *config.SafeConfig, demo bool, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := page{Title: "Status", Demo: demo, Enrollments: x.Status(cfg.Get()), Now: time.Now()}
		render(w, p, logger)
	})
}

// Config serves the running configuration, every key shown as <secret>.
func Config(cfg *config.SafeConfig, demo bool, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := page{Title: "Configuration", Demo: demo, Now: time.Now()}
		if c := cfg.Get(); c != nil {
			p.Config = c.String()
		}
		render(w, p, logger)
	})
}

func render(w http.ResponseWriter, p page, logger *slog.Logger) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := tmpl.Execute(w, p); err != nil {
		logger.Error("rendering page", "err", err)
	}
}
