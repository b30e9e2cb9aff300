package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/internal/testproc"
)

// TestEndToEndOnEveryDay runs the real binaries with both clocks at the
// dates that break calendar code (the 1st of a month, the last day of one,
// 29 February, 31 December and the 1st of January), with data one day
// late, and checks what must hold on any day: every report up, the
// reservation windows served, the data complete through a day before the
// clock, and usage that adds up to the balance.
func TestEndToEndOnEveryDay(t *testing.T) {
	for _, at := range []string{
		"2026-12-01T00:30:00Z", "2026-11-30T23:30:00Z", "2028-02-29T12:00:00Z",
		"2028-03-01T06:00:00Z", "2026-12-31T23:30:00Z", "2027-01-01T00:10:00Z", "2026-11-15T12:00:00Z",
	} {
		t.Run(at, func(t *testing.T) {
			t.Parallel()
			clock, _ := time.Parse(time.RFC3339, at)
			dir := t.TempDir()
			simAddr := testproc.FreeAddr(t)
			keyFile := filepath.Join(dir, "100.key")
			startProc(t, "ea-simulator", "--listen-address", simAddr, "--key-file", keyFile, "--clock-start", at,
				"--rows-per-day", "5", "--seed", "7", "--periods", "4", "--scenario", "overage", "--data-latency-days", "1")
			testproc.WaitFor(t, time.Now().Add(10*time.Second), "the simulator's key", func() bool { _, err := os.Stat(keyFile); return err == nil })
			cfg := filepath.Join(dir, "azure_ea_exporter.yml")
			if err := os.WriteFile(cfg, []byte(fmt.Sprintf("enrollments: [{ number: \"100\", api_key_file: %s, base_url: \"http://%s\" }]\nreports: { price_sheet: { enabled: true } }\n", keyFile, simAddr)), 0o600); err != nil {
				t.Fatal(err)
			}
			addr := testproc.FreeAddr(t)
			startProc(t, "azure_ea_exporter", "--config.file", cfg, "--web.listen-address", addr, "--testing.clock-start", at)
			url := "http://" + addr
			waitHTTP(t, url+"/-/ready", 200)
			_, body := get(t, url+"/metrics")
			m := parseSamples(body)

			for _, r := range []string{"billing_periods", "balance_summary", "usage_details", "marketplace_charges", "price_sheet", "reservation_details", "reservation_charges"} {
				if v, ok := m[`azure_ea_up{enrollment="100",report="`+r+`"}`]; !ok || v != 1 {
					t.Errorf("%s: up %v (%v)", r, v, ok)
				}
			}
			for _, w := range []string{"1d", "7d", "30d"} {
				if n := countPrefix(m, "azure_ea_reservation_utilization_ratio{", `window="`+w+`"`); n == 0 {
					t.Errorf("no reservation utilisation over %s", w)
				}
			}
			today := time.Date(clock.Year(), clock.Month(), clock.Day(), 0, 0, 0, 0, time.UTC)
			through := m[`azure_ea_data_through_timestamp_seconds{enrollment="100",report="usage_details"}`]
			if want := float64(today.AddDate(0, 0, -1).Unix()); through != want {
				t.Errorf("data through %v, want %v (yesterday: data one day late)", time.Unix(int64(through), 0).UTC(), today.AddDate(0, 0, -1))
			}
			// The current period is the clock's month; its usage adds up to
			// the balance (none at all on the 1st, the data being late).
			period := clock.Format("200601")
			if m[`azure_ea_billing_period_current{billing_period="`+period+`",enrollment="100"}`] != 1 {
				t.Errorf("%s is not the current period", period)
			}
			for _, p := range []string{period, clock.AddDate(0, 0, -clock.Day()).Format("200601")} {
				usage := sumPrefix(m, "azure_ea_usage_cost{", `billing_period="`+p+`"`)
				bal := m[`azure_ea_balance_utilized{billing_period="`+p+`",enrollment="100"}`] + m[`azure_ea_balance_service_overage{billing_period="`+p+`",enrollment="100"}`]
				if math.Abs(usage-bal) > 0.05 {
					t.Errorf("%s: usage %.2f, balance utilised+overage %.2f", p, usage, bal)
				}
			}
		})
	}
}

// parseSamples maps every sample line of an exposition to its value.
func parseSamples(body string) map[string]float64 {
	m := map[string]float64{}
	for _, l := range strings.Split(body, "\n") {
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		i := strings.LastIndexByte(l, ' ')
		if v, err := strconv.ParseFloat(l[i+1:], 64); err == nil {
			m[l[:i]] = v
		}
	}
	return m
}

func countPrefix(m map[string]float64, prefix, contains string) int {
	n := 0
	for k := range m {
		if strings.HasPrefix(k, prefix) && strings.Contains(k, contains) {
			n++
		}
	}
	return n
}

func sumPrefix(m map[string]float64, prefix, contains string) float64 {
	s := 0.0
	for k, v := range m {
		if strings.HasPrefix(k, prefix) && strings.Contains(k, contains) {
			s += v
		}
	}
	return s
}
