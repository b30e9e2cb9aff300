// Command dashgen writes the bundled Grafana dashboards (dashboards/*.json)
// from the definitions in dashboards.go. Edit the definitions, then run
//
//	go run ./tools/dashgen
//
// A test fails while the committed JSON differs from what this generates.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
)

func main() {
	out := flag.String("out", "dashboards", "directory to write the dashboards to")
	flag.Parse()
	for _, d := range All() {
		b, err := Render(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(*out, d.File), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}

// Render returns a dashboard's JSON as committed.
func Render(d Dashboard) ([]byte, error) {
	b, err := json.MarshalIndent(d.grafana(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
