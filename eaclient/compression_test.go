package eaclient_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// encodings records the Accept-Encoding of requests and the
// Content-Encoding of answers, between the client and a handler.
type encodings struct {
	mu       sync.Mutex
	accepted []string
	answered []string
}

func (e *encodings) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.accepted = append(e.accepted, r.Header.Get("Accept-Encoding"))
		e.mu.Unlock()
		h.ServeHTTP(w, r)
		e.mu.Lock()
		e.answered = append(e.answered, w.Header().Get("Content-Encoding"))
		e.mu.Unlock()
	})
}

// readAll reads every report of two periods, as the exporter does.
func readAll(t *testing.T, c *eaclient.Client) map[string]any {
	t.Helper()
	ctx := context.Background()
	out := map[string]any{}
	var err error
	var m eaclient.Meta
	if out["periods"], m, err = c.BillingPeriods(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, m2, err := c.BillingPeriods(ctx, m.ETag); err != nil || !m2.NotModified { // a 304 stays a 304
		t.Fatal(err)
	}
	for _, p := range []string{"202611", "202610"} {
		if out["balance"+p], _, err = c.BalanceSummary(ctx, p, ""); err != nil {
			t.Fatal(err)
		}
		var rows []billing.UsageRow
		if _, err = c.UsageDetails(ctx, eaclient.Query{BillingPeriod: p}, "", func(r *billing.UsageRow) error {
			rows = append(rows, cloneRow(r))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out["usage"+p] = rows
		var csvRows []billing.UsageRow
		if _, err = c.UsageDetailsCSV(ctx, eaclient.Query{BillingPeriod: p}, "", func(r *billing.UsageRow) error {
			csvRows = append(csvRows, cloneRow(r))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		out["csv"+p] = csvRows
		if out["marketplace"+p], _, err = c.MarketplaceCharges(ctx, eaclient.Query{BillingPeriod: p}, ""); err != nil {
			t.Fatal(err)
		}
		if out["prices"+p], _, err = c.PriceSheet(ctx, p, ""); err != nil {
			t.Fatal(err)
		}
	}
	from, to := simNow.AddDate(0, 0, -30), simNow
	if out["reservations"], _, err = c.ReservationSummaries(ctx, "daily", from, to, ""); err != nil {
		t.Fatal(err)
	}
	if out["charges"], _, err = c.ReservationCharges(ctx, from, to, ""); err != nil {
		t.Fatal(err)
	}
	return out
}

// cloneRow copies a row out of the decoder's buffer (see UsageRow).
func cloneRow(r *billing.UsageRow) billing.UsageRow {
	c := *r
	v := reflect.ValueOf(&c).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Clone(f.String()))
		}
	}
	c.Tags = maps.Clone(r.Tags)
	for k, val := range c.Tags {
		delete(c.Tags, k)
		c.Tags[strings.Clone(k)] = strings.Clone(val)
	}
	return c
}

// TestGzipAnswers: the client asks for gzip, and every report read from a
// simulator that compresses its answers is what it reads from one that
// does not.
func TestGzipAnswers(t *testing.T) {
	var plain, zipped encodings
	clients := map[string]*eaclient.Client{}
	for name, gz := range map[string]bool{"plain": false, "gzip": true} {
		sim := simulator.New(simulator.Options{UsageRowsPerDay: 40, PageSize: 250, Gzip: gz, Now: func() time.Time { return simNow }})
		rec := &plain
		if gz {
			rec = &zipped
		}
		ts := httptest.NewServer(rec.wrap(sim))
		t.Cleanup(ts.Close)
		c, err := eaclient.New(eaclient.Config{BaseURL: ts.URL, Enrollment: sim.Enrollment(), APIKey: sim.APIKey()})
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = c
	}
	want, got := readAll(t, clients["plain"]), readAll(t, clients["gzip"])
	for k := range want {
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Errorf("%s differs when gzipped", k)
		}
	}
	if len(want["usage202611"].([]billing.UsageRow)) == 0 {
		t.Fatal("no usage rows")
	}
	gz := 0
	for i, a := range zipped.accepted {
		if a != "gzip" {
			t.Errorf("request %d: Accept-Encoding %q", i, a)
		}
		if zipped.answered[i] == "gzip" {
			gz++
		}
	}
	if gz < len(zipped.answered)/2 {
		t.Errorf("only %d of %d answers were gzipped", gz, len(zipped.answered))
	}
	for _, a := range plain.answered {
		if a != "" {
			t.Errorf("plain simulator answered %q", a)
		}
	}
}

// TestCompressedBodies: gzipped errors are read for their message; a
// corrupt gzip body or an encoding the client did not ask for fails the
// report with a message that says so.
func TestCompressedBodies(t *testing.T) {
	gzipOf := func(s string) []byte {
		var b bytes.Buffer
		w := gzip.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
		return b.Bytes()
	}
	page := `{"data":[{"cost":1.5,"meterName":"m"}],"nextLink":null}`
	for _, tc := range []struct {
		name     string
		status   int
		encoding string
		body     []byte
		wantErr  string
		wantCost float64
	}{
		{"gzip page", 200, "gzip", gzipOf(page), "", 1.5},
		{"x-gzip page", 200, "X-Gzip", gzipOf(page), "", 1.5},
		{"identity page", 200, "identity", []byte(page), "", 1.5},
		{"gzip error", 400, "gzip", gzipOf(`{"error":{"message":"billing period 209901 is not valid"}}`), "billing period 209901 is not valid", 0},
		{"corrupt gzip", 200, "gzip", append(gzipOf(page)[:20], "garbage"...), "", 0},
		{"truncated gzip", 200, "gzip", gzipOf(page)[:30], "", 0},
		{"brotli", 200, "br", []byte("\x0b\x02\x80"), `unsupported Content-Encoding "br"`, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Encoding", tc.encoding)
				w.WriteHeader(tc.status)
				_, _ = w.Write(tc.body)
			}))
			defer ts.Close()
			c, err := eaclient.New(eaclient.Config{BaseURL: ts.URL, Enrollment: "100", APIKey: "k", Retry: eaclient.Retry{MaxAttempts: 1}})
			if err != nil {
				t.Fatal(err)
			}
			cost := 0.0
			_, err = c.UsageDetails(context.Background(), eaclient.Query{BillingPeriod: "202611"}, "", func(r *billing.UsageRow) error {
				cost += r.Cost
				return nil
			})
			switch {
			case tc.wantCost != 0:
				if err != nil || cost != tc.wantCost {
					t.Fatalf("cost %v, err %v", cost, err)
				}
			case err == nil:
				t.Fatal("no error")
			case tc.wantErr != "" && !strings.Contains(err.Error(), tc.wantErr):
				t.Fatalf("error %q does not say %q", err, tc.wantErr)
			default:
				t.Log(err)
			}
		})
	}
}
