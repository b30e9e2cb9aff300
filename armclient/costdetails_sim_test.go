package armclient

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
)

// Cost Details against the simulator's ARM mode (over TLS, a client-secret
// credential through azidentity), with the client's waits on a fake clock
// that the simulator's wall clock (link expiry, rate windows) follows.

var simTLS = sync.OnceValues(simulator.NewTestTLS)

// simCalendar: the dataset's and the billing calendar's date. 202611 is
// open, 202610 closed (ClosedPeriodGrace 5 days).
var simCalendar = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

type simEnv struct {
	arm *simulator.ARM
	ts  *httptest.Server
	c   *Client
	clk *fakeClock
}

func newSimEnv(t *testing.T, ao simulator.ARMOptions, mutate ...func(*Config)) *simEnv {
	t.Helper()
	tt, err := simTLS()
	if err != nil {
		t.Fatal(err)
	}
	clk := &fakeClock{now: time.Now()}
	now := func() time.Time { return simCalendar }
	sim := simulator.New(simulator.Options{Enrollment: "100", Now: now, UsageRowsPerDay: 5, Seed: 3})
	if ao.WallNow == nil {
		ao.WallNow = clk.Now
	}
	if ao.TokenLifetime == 0 {
		ao.TokenLifetime = 100 * time.Hour // tests move the wall clock by hours
	}
	arm := sim.ARM(ao)
	ts := httptest.NewUnstartedServer(arm)
	ts.TLS = tt.ServerConfig.Clone()
	ts.StartTLS()
	t.Cleanup(ts.Close)
	cred, err := NewCredential(CredentialOptions{TenantID: arm.TenantID(), ClientID: arm.ClientID(), ClientSecret: arm.ClientSecret(), AuthorityHost: ts.URL, HTTPClient: tt.Client()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		BillingAccount: "100", Endpoint: ts.URL, Credential: cred, HTTPClient: tt.Client(), Now: now,
		Retry: Retry{MaxAttempts: 4, InitialBackoff: time.Second, MaxBackoff: 8 * time.Second, MaxElapsed: 10 * time.Minute},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.now, c.sleep = clk.Now, clk.Sleep
	t.Cleanup(c.Close)
	t.Cleanup(func() {
		if n := arm.BlobAuthorizationRejected(); n != 0 {
			t.Errorf("%d blob requests carried an Authorization header", n)
		}
	})
	return &simEnv{arm: arm, ts: ts, c: c, clk: clk}
}

func (e *simEnv) submissions() int { return e.arm.Requests(simulator.ARMRouteCostDetails) }

// usageSummary is what a test compares between reads: rows, cost and
// quantity, cost by department, rows with tags, one row's fields.
type usageSummary struct {
	rows, tagged int
	cost, qty    float64
	byDept       map[string]float64
	sample       string
}

func (s usageSummary) String() string {
	keys := make([]string, 0, len(s.byDept))
	for k := range s.byDept {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "rows=%d tagged=%d cost=%.6f qty=%.6f", s.rows, s.tagged, s.cost, s.qty)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%.6f", k, s.byDept[k])
	}
	return b.String()
}

func (s usageSummary) equal(o usageSummary) bool {
	return s.String() == o.String() && s.sample == o.sample
}

func collectUsage(s *usageSummary) func(*billing.UsageRow) error {
	s.byDept = map[string]float64{}
	return func(r *billing.UsageRow) error {
		if s.rows == 0 {
			s.sample = fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%v", r.Date.Format(time.DateOnly), r.Department, r.SubscriptionID, r.MeterCategory, r.ServiceName, r.ServiceTier, r.ResourceGroup, r.Tags)
		}
		s.rows++
		s.cost += r.Cost
		s.qty += r.Quantity
		s.byDept[strings.Clone(r.Department)] += r.Cost
		if len(r.Tags) > 0 {
			s.tagged++
		}
		return nil
	}
}

func marketSummary(ms []billing.MarketplaceCharge) string {
	var cost float64
	pubs := map[string]bool{}
	for _, m := range ms {
		cost += m.Cost
		pubs[m.Publisher+"/"+m.Department] = true
	}
	return fmt.Sprintf("n=%d cost=%.6f publishers=%d", len(ms), cost, len(pubs))
}

func readBoth(t *testing.T, e *simEnv, period string) (usageSummary, string, billing.Result) {
	t.Helper()
	var s usageSummary
	res, err := e.c.UsageDetails(context.Background(), period, "", billing.UsageWant{}, collectUsage(&s))
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != s.rows || res.Revision == "" || res.NotModified {
		t.Fatalf("usage result %+v, %d rows seen", res, s.rows)
	}
	ms, mres, err := e.c.MarketplaceCharges(context.Background(), period, "")
	if err != nil {
		t.Fatal(err)
	}
	if mres.Revision != res.Revision || mres.Rows != len(ms) {
		t.Fatalf("marketplace result %+v, usage %+v", mres, res)
	}
	return s, marketSummary(ms), res
}

// TestCostDetailsBlobsAndSchemas reads one period as one blob, split
// across many blobs, and in the legacy schema (BOM, camelCase, other
// column order, ISO dates): the rows are the same; one submission feeds
// both reports; no token reaches the blob host.
func TestCostDetailsBlobsAndSchemas(t *testing.T) {
	var base usageSummary
	var baseMarket string
	for _, tc := range []struct {
		name string
		ao   simulator.ARMOptions
	}{
		{"one blob", simulator.ARMOptions{}},
		{"many blobs", simulator.ARMOptions{CostDetailsRowsPerBlob: 37, AsyncPolls: 3}},
		{"legacy schema", simulator.ARMOptions{CostDetailsRowsPerBlob: 100, CostDetailsSchema: simulator.CostDetailsSchemaLegacy}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newSimEnv(t, tc.ao)
			s, market, _ := readBoth(t, e, "202611")
			if s.rows < 100 || s.tagged == 0 || s.tagged == s.rows || len(s.byDept) < 2 || strings.Contains(s.sample, "||") {
				t.Errorf("usage %v sample %s", s, s.sample)
			}
			if !strings.HasPrefix(market, "n=") || strings.HasPrefix(market, "n=0 ") {
				t.Errorf("marketplace %s", market)
			}
			if n := e.submissions(); n != 1 {
				t.Errorf("%d submissions for both reports, want 1", n)
			}
			blobs := e.arm.Requests(simulator.ARMRouteBlob)
			if tc.ao.CostDetailsRowsPerBlob == 37 && blobs < 5 {
				t.Errorf("%d blob requests", blobs)
			}
			if base.rows == 0 {
				base, baseMarket = s, market
				return
			}
			if !s.equal(base) || market != baseMarket {
				t.Errorf("differs from one blob:\n%v %s\n%v %s\nmarket %s vs %s", s, s.sample, base, base.sample, market, baseMarket)
			}
		})
	}
}

// TestCostDetailsSplit: the service refuses the month, then the month as
// a date range: the client halves it; the rows are the same; the split is
// remembered.
func TestCostDetailsSplit(t *testing.T) {
	e := newSimEnv(t, simulator.ARMOptions{})
	want, wantMarket, _ := readBoth(t, e, "202610")

	e2 := newSimEnv(t, simulator.ARMOptions{})
	e2.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, Times: 2, Status: 400,
		Body: `{"error":{"code":"BadRequest","message":"The maximum allowed date range is 1 months"}}`})
	got, gotMarket, _ := readBoth(t, e2, "202610")
	if !got.equal(want) || gotMarket != wantMarket {
		t.Errorf("split read differs:\n%v\n%v\n%s vs %s", got, want, gotMarket, wantMarket)
	}
	// billingPeriod refused, the month refused, two halves.
	if n := e2.submissions(); n != 4 {
		t.Errorf("%d submissions, want 4", n)
	}
	if rs := e2.c.costRanges("202610"); len(rs) != 2 || rs[0].String() != "2026-10-01..2026-10-16" || rs[1].String() != "2026-10-17..2026-10-31" {
		t.Errorf("remembered ranges %v", rs)
	}
	// The next run asks the halves at once (a closed period: pass no
	// revision to force it).
	var s usageSummary
	if _, err := e2.c.UsageDetails(context.Background(), "202610", "", billing.UsageWant{}, collectUsage(&s)); err != nil {
		t.Fatal(err)
	}
	if n := e2.submissions(); n != 6 || !s.equal(want) {
		t.Errorf("%d submissions, %v", n, s)
	}
	// The submission limit (2/min) was kept: the fake clock waited.
	var waited time.Duration
	for _, w := range e2.clk.waits() {
		waited += w
	}
	if waited < 2*time.Minute {
		t.Errorf("waited %s for 6 submissions", waited)
	}

	// A range of one day that is still too large is an error.
	if sub := (costRange{start: simCalendar, end: simCalendar}).split(); sub != nil {
		t.Errorf("one day split into %v", sub)
	}
}

func noRows(*billing.UsageRow) error { return nil }

// TestCostDetailsFailures: a failed, a timed-out and an empty report, an
// expired blob link.
func TestCostDetailsFailures(t *testing.T) {
	ctx := context.Background()
	t.Run("failed", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, AsyncFail: true})
		_, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, noRows)
		for _, want := range []string{"usage_details", "Failed", "InternalServerError", "could not be generated", "billing period 202611"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v lacks %q", err, want)
			}
		}
		if k, _ := KindOf(err); k != KindAsync {
			t.Errorf("kind %v", k)
		}
	})
	t.Run("timed out", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{}, func(c *Config) { c.AsyncTimeout = 10 * time.Minute })
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, AsyncNever: true})
		_, _, err := e.c.MarketplaceCharges(ctx, "202611", "")
		if err == nil || !strings.Contains(err.Error(), "marketplace_charges") || !strings.Contains(err.Error(), "not ready within 10m") {
			t.Errorf("error %v", err)
		}
		// Polls kept under 2/min per operation.
		polls := e.arm.Requests(simulator.ARMRouteOperation)
		if polls < 5 || polls > 22 {
			t.Errorf("%d polls in 10 minutes", polls)
		}
	})
	t.Run("no data", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, NoData: true})
		_, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, noRows)
		if !errors.Is(err, billing.ErrNoData) || !strings.Contains(err.Error(), "usage_details") {
			t.Errorf("usage: %v", err)
		}
		_, _, err = e.c.MarketplaceCharges(ctx, "202611", "")
		if !errors.Is(err, billing.ErrNoData) || !strings.Contains(err.Error(), "marketplace_charges") {
			t.Errorf("marketplace: %v", err)
		}
		if n := e.submissions(); n != 1 {
			t.Errorf("%d submissions", n)
		}
	})
	t.Run("expired link once", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{CostDetailsRowsPerBlob: 200})
		want, _, _ := readBoth(t, newSimEnv(t, simulator.ARMOptions{}), "202611")
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, Times: 1, ExpiredLink: true})
		var s usageSummary
		if _, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, collectUsage(&s)); err != nil {
			t.Fatal(err)
		}
		if !s.equal(want) || e.submissions() != 2 {
			t.Errorf("%d submissions, %v", e.submissions(), s)
		}
	})
	t.Run("link refused by the blob host", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteBlob, Status: 403})
		_, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, noRows)
		if err == nil || !strings.Contains(err.Error(), "HTTP 403") || strings.Contains(err.Error(), "sig=") || strings.Contains(err.Error(), "se=") {
			t.Errorf("error %v", err)
		}
		if e.submissions() != 2 {
			t.Errorf("%d submissions, want 2 (one new run)", e.submissions())
		}
	})
	t.Run("truncated blob resumed", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		want, _, _ := readBoth(t, newSimEnv(t, simulator.ARMOptions{}), "202611")
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteBlob, Times: 1, Truncate: true})
		var s usageSummary
		if _, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, collectUsage(&s)); err != nil {
			t.Fatal(err)
		}
		if !s.equal(want) || e.submissions() != 1 || e.arm.Requests(simulator.ARMRouteBlob) != 2 {
			t.Errorf("%d submissions, %d blob requests, %v", e.submissions(), e.arm.Requests(simulator.ARMRouteBlob), s)
		}
	})
}

// TestCostDetailsThrottling: 429 on the submission and on a poll, with
// every retry-after header kind; the client waits for the header's time.
func TestCostDetailsThrottling(t *testing.T) {
	for _, route := range []string{simulator.ARMRouteCostDetails, simulator.ARMRouteOperation} {
		for _, hdr := range append([]string{simulator.RetryHeaderDefault, simulator.RetryHeaderAll}, simulator.RetryHeaderNames...) {
			t.Run(route+"/"+hdr, func(t *testing.T) {
				e := newSimEnv(t, simulator.ARMOptions{})
				e.arm.AddFault(simulator.ARMFault{Route: route, Times: 1, Status: http.StatusTooManyRequests, RetryAfter: 47 * time.Second, RetryHeader: hdr})
				var s usageSummary
				if _, err := e.c.UsageDetails(context.Background(), "202611", "", billing.UsageWant{}, collectUsage(&s)); err != nil {
					t.Fatal(err)
				}
				found := false
				for _, w := range e.clk.waits() {
					if w >= 47*time.Second && w < 48*time.Second {
						found = true
					}
				}
				if !found || s.rows == 0 {
					t.Errorf("waits %v, %d rows", e.clk.waits(), s.rows)
				}
			})
		}
	}
	t.Run("exhausted", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		e.arm.AddFault(simulator.ARMFault{Route: simulator.ARMRouteCostDetails, Status: http.StatusTooManyRequests, RetryAfter: 30 * time.Second})
		_, err := e.c.UsageDetails(context.Background(), "202611", "", billing.UsageWant{}, noRows)
		if k, _ := KindOf(err); k != KindThrottled || !strings.Contains(err.Error(), "HTTP 429") || !strings.Contains(err.Error(), "usage_details") {
			t.Errorf("%v", err)
		}
	})
}

// TestCostDetailsSubmissionLimit: the client keeps under 2/min and 10/h
// per billing account; past CostDetailsMaxWait it fails as throttled
// without a request.
func TestCostDetailsSubmissionLimit(t *testing.T) {
	e := newSimEnv(t, simulator.ARMOptions{RateLimits: map[string]int{simulator.ARMRouteCostDetails: 2}})
	ctx := context.Background()
	periods := []string{"202611", "202610", "202609", "202608", "202607", "202606", "202605", "202604", "202603", "202602", "202601"}
	start := e.clk.Now()
	var err error
	for i, p := range periods {
		_, err = e.c.UsageDetails(ctx, p, "", billing.UsageWant{}, noRows)
		if i < 10 && err != nil {
			t.Fatalf("%s: %v", p, err)
		}
	}
	if k, _ := KindOf(err); k != KindThrottled || !strings.Contains(err.Error(), "10/h") {
		t.Errorf("11th submission: %v", err)
	}
	if n := e.submissions(); n != 10 {
		t.Errorf("%d submissions", n)
	}
	if got := e.arm.Responses(simulator.ARMRouteCostDetails, 429); got != 0 {
		t.Errorf("%d submissions throttled by the service", got)
	}
	if d := e.clk.Now().Sub(start); d < 4*time.Minute {
		t.Errorf("10 submissions in %s", d)
	}
}

// TestCostDetailsSharedRun: one run feeds both reports, whichever asks
// first; a MarketplaceCharges during the run waits for it; a UsageDetails
// during a MarketplaceCharges run attaches to it.
func TestCostDetailsSharedRun(t *testing.T) {
	ctx := context.Background()
	t.Run("usage first", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		_, _, res := readBoth(t, e, "202611")
		// Unchanged data within the share window: marketplace NotModified.
		_, mres, err := e.c.MarketplaceCharges(ctx, "202611", res.Revision)
		if err != nil || !mres.NotModified || e.submissions() != 1 {
			t.Errorf("%+v %v, %d submissions", mres, err, e.submissions())
		}
		// Past the window, marketplace runs the report itself.
		e.clk.Sleep(ctx, 2*time.Hour)
		_, mres, err = e.c.MarketplaceCharges(ctx, "202611", res.Revision)
		if err != nil || !mres.NotModified || e.submissions() != 2 {
			t.Errorf("%+v %v, %d submissions", mres, err, e.submissions())
		}
		// Usage with the same revision as that fresh run: no request.
		ures, err := e.c.UsageDetails(ctx, "202611", res.Revision, billing.UsageWant{}, noRows)
		if err != nil || !ures.NotModified || e.submissions() != 2 {
			t.Errorf("%+v %v, %d submissions", ures, err, e.submissions())
		}
		// An open period is read again on every other call.
		ures, err = e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, noRows)
		if err != nil || ures.NotModified || e.submissions() != 3 {
			t.Errorf("%+v %v, %d submissions", ures, err, e.submissions())
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{AsyncPolls: 2})
		want, wantMarket, _ := readBoth(t, newSimEnv(t, simulator.ARMOptions{}), "202611")
		// Hold the marketplace run in its first poll wait until usage has
		// attached.
		release := make(chan struct{})
		inWait := make(chan struct{}, 1)
		e.c.sleep = func(ctx context.Context, d time.Duration) error {
			select {
			case inWait <- struct{}{}:
			default:
			}
			<-release
			return e.clk.Sleep(ctx, d)
		}
		var wg sync.WaitGroup
		var market []billing.MarketplaceCharge
		var merr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			market, _, merr = e.c.MarketplaceCharges(ctx, "202611", "")
		}()
		<-inWait
		var s usageSummary
		var uerr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, uerr = e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, collectUsage(&s))
		}()
		for attached := false; !attached; {
			e.c.cost.mu.Lock()
			run := e.c.cost.runs["202611"]
			e.c.cost.mu.Unlock()
			run.mu.Lock()
			attached = run.usage != nil
			run.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
		close(release)
		wg.Wait()
		if merr != nil || uerr != nil {
			t.Fatal(merr, uerr)
		}
		if !s.equal(want) || marketSummary(market) != wantMarket || e.submissions() != 1 {
			t.Errorf("%d submissions; %v vs %v; %s vs %s", e.submissions(), s, want, marketSummary(market), wantMarket)
		}
	})
	t.Run("usage consumer error", func(t *testing.T) {
		e := newSimEnv(t, simulator.ARMOptions{})
		boom := errors.New("boom")
		_, err := e.c.UsageDetails(ctx, "202611", "", billing.UsageWant{}, func(*billing.UsageRow) error { return boom })
		if err != boom {
			t.Errorf("error %v", err)
		}
		ms, _, err := e.c.MarketplaceCharges(ctx, "202611", "")
		if err != nil || len(ms) == 0 || e.submissions() != 1 {
			t.Errorf("%d charges, %v, %d submissions", len(ms), err, e.submissions())
		}
	})
}

// TestCostDetailsClosedPeriod: a closed period is read once; then both
// reports answer NotModified from its revision without a request.
func TestCostDetailsClosedPeriod(t *testing.T) {
	e := newSimEnv(t, simulator.ARMOptions{})
	_, _, res := readBoth(t, e, "202610")
	arm := e.arm.Requests(simulator.ARMRouteCostDetails) + e.arm.Requests(simulator.ARMRouteOperation) + e.arm.Requests(simulator.ARMRouteBlob)
	e.clk.Sleep(context.Background(), 30*time.Hour)
	ures, err := e.c.UsageDetails(context.Background(), "202610", res.Revision, billing.UsageWant{}, func(*billing.UsageRow) error { return errors.New("no rows expected") })
	if err != nil || !ures.NotModified || ures.Revision != res.Revision {
		t.Errorf("%+v %v", ures, err)
	}
	ms, mres, err := e.c.MarketplaceCharges(context.Background(), "202610", res.Revision)
	if err != nil || !mres.NotModified || ms != nil {
		t.Errorf("%+v %v", mres, err)
	}
	if n := e.arm.Requests(simulator.ARMRouteCostDetails) + e.arm.Requests(simulator.ARMRouteOperation) + e.arm.Requests(simulator.ARMRouteBlob); n != arm {
		t.Errorf("%d requests after the first read, want none", n-arm)
	}
	// The open period is answered from its revision only within the share
	// window (CostDetailsShare), after which it is read again.
	_, _, ores := readBoth(t, e, "202611")
	ures, err = e.c.UsageDetails(context.Background(), "202611", ores.Revision, billing.UsageWant{}, noRows)
	if err != nil || !ures.NotModified || e.submissions() != 2 {
		t.Errorf("open period within the window %+v %v, %d submissions", ures, err, e.submissions())
	}
	e.clk.Sleep(context.Background(), 61*time.Minute)
	ures, err = e.c.UsageDetails(context.Background(), "202611", ores.Revision, billing.UsageWant{}, noRows)
	if err != nil || !ures.NotModified || e.submissions() != 3 {
		t.Errorf("open period after the window %+v %v, %d submissions", ures, err, e.submissions())
	}
}

func TestWindowLimiter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newWindowLimiter(limitWindow{time.Minute, 2}, limitWindow{time.Hour, 10}, limitWindow{24 * time.Hour, 50})
	var got []time.Duration
	for range 12 {
		got = append(got, l.reserve(t0).Sub(t0))
	}
	want := []time.Duration{0, 0, time.Minute, time.Minute, 2 * time.Minute, 2 * time.Minute, 3 * time.Minute, 3 * time.Minute, 4 * time.Minute, 4 * time.Minute, time.Hour, time.Hour}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("reservations %v, want %v", got, want)
	}
	at, bound, ok := l.reserveWithin(t0, 10*time.Minute)
	if ok || bound.String() != "2/min" && bound.String() != "10/h" || at.Sub(t0) < time.Hour {
		t.Errorf("%v %v %v", at, bound, ok)
	}
	if d := math.Abs(float64(len(l.events) - 12)); d != 0 {
		t.Errorf("%d events", len(l.events))
	}
}
