package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCommittedDashboardsAreGenerated: edit dashboards.go, then run
// `go run ./tools/dashgen`.
func TestCommittedDashboardsAreGenerated(t *testing.T) {
	for _, d := range All() {
		want, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join("..", "..", "dashboards", d.File))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("dashboards/%s is not what tools/dashgen generates: run go run ./tools/dashgen", d.File)
		}
	}
}

// TestMoneyIsPerEnrollmentAndCurrency: a money panel never adds up amounts
// of different enrollments (and so of different currencies) and shows its
// currency; every template variable a dashboard defines is used.
func TestMoneyIsPerEnrollmentAndCurrency(t *testing.T) {
	sumBy := regexp.MustCompile(`\b(sum|topk|max|min|avg)\s+by\s*\(([^)]*)\)`)
	for _, d := range All() {
		if slices.Contains(d.Vars, "currency") {
			for _, r := range d.Rows {
				for _, p := range r.Panels {
					if p.Unit != unit {
						continue
					}
					for _, tg := range p.Targets {
						if !strings.Contains(tg.Expr, `group_left (currency) azure_ea_enrollment_info{enrollment=~"$enrollment", currency="$currency"}`) {
							t.Errorf("%s: %s: a money query without the currency join: %s", d.File, p.Title, tg.Expr)
						}
						for _, m := range sumBy.FindAllStringSubmatch(tg.Expr, -1) {
							if !strings.HasPrefix(strings.TrimSpace(m[2]), "enrollment") {
								t.Errorf("%s: %s: %s by (%s) adds up enrollments: %s", d.File, p.Title, m[1], m[2], tg.Expr)
							}
						}
					}
				}
			}
		}
		b, err := Render(d)
		if err != nil {
			t.Fatal(err)
		}
		// Each variable appears in a query or title besides its own definition.
		for _, v := range d.Vars {
			name := variables[v]["name"].(string)
			if strings.Count(string(b), "$"+name) < 2 {
				t.Errorf("%s: variable %s is not used", d.File, name)
			}
		}
	}
}
