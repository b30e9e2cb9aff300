package ui

import (
	"testing"
	"time"
)

func TestHuman(t *testing.T) {
	for d, want := range map[time.Duration]string{
		90 * time.Second:        "1m30s",
		47 * time.Hour:          "47h0m0s",
		183*24*time.Hour + 3600: "183 days",
	} {
		if got := human(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}
