package main

import (
	"bytes"
	"os"
	"path/filepath"
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
