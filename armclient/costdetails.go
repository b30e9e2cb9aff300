package armclient

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/usagecsv"
)

// Usage details and marketplace charges come from one dataset, the Cost
// Details report (POST generateCostDetailsReport, poll, stream the CSV
// blobs of the manifest). One run of the report for a billing period feeds
// both reports: see costRun.

// costKey is the closed-period cache key of the Cost Details runs (both
// reports share the revision of a run).
const costKey = "cost_details"

// costState coordinates the Cost Details runs of the client.
type costState struct {
	mu     sync.Mutex
	runs   map[string]*costRun    // billing period -> its last run (in flight or done)
	splits map[string][]costRange // billing period -> the ranges it had to be split into
	limit  *windowLimiter         // submissions per scope (the billing account)
}

func newCostState(l CostDetailsLimits) *costState {
	return &costState{
		runs:   map[string]*costRun{},
		splits: map[string][]costRange{},
		limit:  newWindowLimiter(limitWindow{time.Minute, l.PerMinute}, limitWindow{time.Hour, l.PerHour}, limitWindow{24 * time.Hour, l.PerDay}),
	}
}

// costRun is one run of the report for a billing period: one submission
// per date range (one unless the period had to be split), the blobs
// streamed one after another. Its usage rows go to one consumer, the
// UsageDetails call that started it or that attached to it before the
// blobs began to stream; its marketplace charges are kept (cloned) for
// MarketplaceCharges calls within Config.CostDetailsShare.
type costRun struct {
	done chan struct{}

	// The outcome, written before done is closed.
	at        time.Time // completion, on the client's clock
	err       error
	rev       string
	usageRows int
	market    []billing.MarketplaceCharge

	mu        sync.Mutex
	streaming bool // the blobs began: no consumer attaches any more
	usage     func(*billing.UsageRow) error
	usageErr  error // the consumer's error: it gets no more rows
	detached  bool  // the consumer went away (its context ended)
	delivered bool  // a row went to the consumer: the run cannot start over
}

func newCostRun(usage func(*billing.UsageRow) error) *costRun {
	return &costRun{done: make(chan struct{}), usage: usage}
}

func (r *costRun) finished() bool {
	select {
	case <-r.done:
		return true
	default:
		return false
	}
}

// attach makes each the run's usage consumer, if the run has none and its
// blobs have not begun.
func (r *costRun) attach(each func(*billing.UsageRow) error) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.streaming || r.usage != nil {
		return false
	}
	r.usage = each
	return true
}

// wait waits for the run; an attached consumer whose context ends is
// detached first, so that the run never calls it after wait returns.
func (r *costRun) wait(ctx context.Context, attached bool) error {
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		if attached {
			r.mu.Lock()
			r.detached = true
			r.mu.Unlock()
		}
		return ctx.Err()
	}
}

// beginStreaming closes the run to consumers and returns the usage
// callback for the reader: nil when no one consumes usage rows (the reader
// then skips them without decoding).
func (r *costRun) beginStreaming() func(*billing.UsageRow) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.streaming = true
	if r.usage == nil {
		return nil
	}
	return r.deliver
}

func (r *costRun) deliver(row *billing.UsageRow) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.detached || r.usageErr != nil {
		return nil
	}
	r.delivered = true
	if err := r.usage(row); err != nil {
		r.usageErr = err // the marketplace charges still come
	}
	return nil
}

func (r *costRun) wasDelivered() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.delivered
}

// asReport returns the run's error as the named report's (the run may have
// been started by the other report).
func asReport(report string, err error) error {
	var e *Error
	if errors.As(err, &e) && e.Report != report {
		cp := *e
		cp.Report = report
		if errors.Is(err, billing.ErrNoData) && !errors.Is(&cp, billing.ErrNoData) {
			cp.Err = billing.ErrNoData
		}
		return &cp
	}
	return err
}

func (r *costRun) usageResult(report, revision string) (billing.Result, error) {
	if r.usageErr != nil {
		return billing.Result{}, r.usageErr
	}
	if r.err != nil {
		return billing.Result{}, asReport(report, r.err)
	}
	res := billing.Result{Revision: r.rev, Rows: r.usageRows}
	res.NotModified = revision != "" && revision == r.rev
	return res, nil
}

func (r *costRun) marketResult(report, revision string) ([]billing.MarketplaceCharge, billing.Result, error) {
	if r.err != nil {
		return nil, billing.Result{}, asReport(report, r.err)
	}
	res := billing.Result{Revision: r.rev, Rows: len(r.market)}
	if revision != "" && revision == r.rev {
		res.NotModified = true
		return nil, res, nil
	}
	// The charges are shared between callers: they are read, never written.
	return slices.Clip(r.market), res, nil
}

func (c *Client) freshRun(r *costRun) bool {
	return c.cfg.CostDetailsShare > 0 && c.now().Sub(r.at) < c.cfg.CostDetailsShare
}

func cancelledWaiting(report string, err error) error {
	return &Error{Report: report, Kind: KindTransport, Message: "cancelled while waiting for the billing period's Cost Details report", Err: err}
}

// UsageDetails streams the usage rows of a billing period from the Cost
// Details report (ActualCost, billingPeriod in the body) to each. The
// revision is a SHA-256 of the blobs' bytes; the same revision as the one
// passed in answers Result.NotModified after the rows were streamed (the
// caller discards what it built). A closed period whose revision this
// client returned is answered NotModified without a request, as is a
// period whose report MarketplaceCharges ran within CostDetailsShare with
// an unchanged revision. The run keeps the period's marketplace charges
// for MarketplaceCharges. Every field of a row is read, whatever the want:
// one Cost Details run feeds both reports, and the CSV reader's cost is in
// its fields' bytes, not in their decoding.
func (c *Client) UsageDetails(ctx context.Context, period, revision string, _ billing.UsageWant, each func(*billing.UsageRow) error) (billing.Result, error) {
	const report = ReportUsageDetails
	if err := checkPeriod(report, period); err != nil {
		return billing.Result{}, err
	}
	if res, ok := c.closedShortcut(costKey, period, revision); ok {
		return res, nil
	}
	for {
		c.cost.mu.Lock()
		run := c.cost.runs[period]
		if run != nil && !run.finished() {
			attached := run.attach(each)
			c.cost.mu.Unlock()
			if err := run.wait(ctx, attached); err != nil {
				return billing.Result{}, cancelledWaiting(report, err)
			}
			if attached {
				return run.usageResult(report, revision)
			}
			continue // it fed the marketplace report only: look again
		}
		if run != nil && run.err == nil && revision != "" && run.rev == revision && c.freshRun(run) {
			c.cost.mu.Unlock()
			return billing.Result{Revision: revision, NotModified: true, Rows: run.usageRows}, nil
		}
		run = newCostRun(each)
		c.cost.runs[period] = run
		c.cost.mu.Unlock()
		c.leadCostRun(ctx, report, period, run)
		return run.usageResult(report, revision)
	}
}

// MarketplaceCharges returns the marketplace charges (PublisherType
// Marketplace) of a billing period: those of the period's Cost Details run
// in flight or completed within CostDetailsShare, else of a run of its own
// (whose usage rows go to a UsageDetails call that attaches before the
// blobs stream, or are skipped). The returned slice is shared: read only.
func (c *Client) MarketplaceCharges(ctx context.Context, period, revision string) ([]billing.MarketplaceCharge, billing.Result, error) {
	const report = ReportMarketplaceCharges
	if err := checkPeriod(report, period); err != nil {
		return nil, billing.Result{}, err
	}
	if res, ok := c.closedShortcut(costKey, period, revision); ok {
		return nil, res, nil
	}
	waited := false
	for {
		c.cost.mu.Lock()
		run := c.cost.runs[period]
		if run != nil && !run.finished() {
			c.cost.mu.Unlock()
			if err := run.wait(ctx, false); err != nil {
				return nil, billing.Result{}, cancelledWaiting(report, err)
			}
			waited = true
			continue
		}
		if run != nil && (waited || c.freshRun(run) && (run.err == nil || errors.Is(run.err, billing.ErrNoData))) {
			c.cost.mu.Unlock()
			return run.marketResult(report, revision)
		}
		run = newCostRun(nil)
		c.cost.runs[period] = run
		c.cost.mu.Unlock()
		c.leadCostRun(ctx, report, period, run)
		return run.marketResult(report, revision)
	}
}

// leadCostRun runs the report for run and publishes the outcome.
func (c *Client) leadCostRun(ctx context.Context, report, period string, run *costRun) {
	rev, usageRows, market, err := c.costDetails(ctx, report, period, run)
	run.rev, run.usageRows, run.market, run.err = rev, usageRows, market, err
	run.at = c.now()
	if err == nil {
		c.rememberClosed(costKey, period, rev)
	}
	c.cost.mu.Lock()
	for p, r := range c.cost.runs {
		if r != run && r.finished() && !c.freshRun(r) {
			delete(c.cost.runs, p)
		}
	}
	c.cost.mu.Unlock()
	close(run.done)
}

// costRange is what one report covers: a billing period (billingPeriod
// in the body) or an inclusive range of days (timePeriod).
type costRange struct {
	period     string
	start, end time.Time
}

func (r costRange) String() string {
	if r.period != "" {
		return "billing period " + r.period
	}
	return dayString(r.start) + ".." + dayString(r.end)
}

func (r costRange) body(metric string) []byte {
	b := map[string]any{"metric": metric}
	if r.period != "" {
		b["billingPeriod"] = r.period
	} else {
		b["timePeriod"] = map[string]string{"start": dayString(r.start), "end": dayString(r.end)}
	}
	out, _ := json.Marshal(b)
	return out
}

// split returns the ranges to ask instead when r is too large: the month as
// a timePeriod, then halves down to single days (nil: r is one day).
func (r costRange) split() []costRange {
	if r.period != "" {
		start, next, err := billing.PeriodBounds(r.period)
		if err != nil {
			return nil
		}
		return []costRange{{start: start, end: next.AddDate(0, 0, -1)}}
	}
	days := int(r.end.Sub(r.start)/(24*time.Hour)) + 1
	if days < 2 {
		return nil
	}
	mid := r.start.AddDate(0, 0, (days+1)/2)
	return []costRange{{start: r.start, end: mid.AddDate(0, 0, -1)}, {start: mid, end: r.end}}
}

// tooLargePattern matches the service's answers that ask for a smaller
// request: "The maximum allowed date range is 1 months", the documented
// 504 "Service timed out while processing the request. Reduce the date
// range", and data-size refusals.
var tooLargePattern = regexp.MustCompile(`(?i)maximum allowed date range|reduce the date range|date range is too|too large|too many rows|exceeds the maximum`)

func tooLarge(err error) bool {
	var e *Error
	if !errors.As(err, &e) || errors.Is(err, errLinkRefused) {
		return false
	}
	switch {
	case e.Status == 413:
		return true
	case e.Status == 400, e.Status == 422, e.Status == 504, e.Kind == KindAsync:
		return tooLargePattern.MatchString(e.Code + " " + e.Message)
	}
	return false
}

func (c *Client) costRanges(period string) []costRange {
	c.cost.mu.Lock()
	defer c.cost.mu.Unlock()
	if rs, ok := c.cost.splits[period]; ok {
		return slices.Clone(rs)
	}
	return []costRange{{period: period}}
}

// costDetails runs the report for a billing period: each range in turn,
// splitting a range the service finds too large. It returns the revision
// (a SHA-256 over the blobs' SHA-256s, in order), the usage rows read and
// the marketplace charges.
func (c *Client) costDetails(ctx context.Context, report, period string, run *costRun) (string, int, []billing.MarketplaceCharge, error) {
	ranges := c.costRanges(period)
	total := sha256.New()
	total.Write([]byte(costKey + "\x00" + c.cfg.CostDetailsMetric + "\x00"))
	var market []billing.MarketplaceCharge
	usageRows, noData := 0, 0
	var noDataErr error
	for i := 0; i < len(ranges); {
		r := ranges[i]
		digest, n, err := c.costRange(ctx, report, r, run, &market)
		switch {
		case err != nil && tooLarge(err):
			sub := r.split()
			if sub == nil {
				return "", 0, nil, err
			}
			c.cfg.Logger.Info("Cost Details report too large; asking smaller date ranges", "report", report, "billing_period", period, "range", r.String(), "into", len(sub), "err", err)
			ranges = slices.Replace(ranges, i, i+1, sub...)
			c.cost.mu.Lock()
			c.cost.splits[period] = slices.Clone(ranges)
			c.cost.mu.Unlock()
			continue
		case errors.Is(err, billing.ErrNoData):
			noData++
			noDataErr = err
			total.Write([]byte("nodata\x00"))
		case err != nil:
			return "", 0, nil, err
		default:
			total.Write(digest)
			usageRows += n
		}
		i++
	}
	if noData == len(ranges) {
		return "", 0, nil, noDataErr
	}
	return "sha256:" + hex.EncodeToString(total.Sum(nil)[:16]), usageRows, market, nil
}

// costRange submits the report for one range (within the submission
// limits), polls it and streams its blobs. A link already expired or
// refused by the blob host (403/404/410) starts the report once more,
// unless usage rows were already handed out.
func (c *Client) costRange(ctx context.Context, report string, r costRange, run *costRun, market *[]billing.MarketplaceCharge) ([]byte, int, error) {
	u := c.endpoint(c.accountPath()+"/providers/Microsoft.CostManagement/generateCostDetailsReport",
		"api-version="+url.QueryEscape(c.cfg.APIVersions.CostManagement))
	body := r.body(c.cfg.CostDetailsMetric)
	for try := 1; ; try++ {
		if err := c.costSubmitWait(ctx, report); err != nil {
			return nil, 0, err
		}
		deadline := c.now().Add(c.cfg.AsyncTimeout)
		actx, cancel := context.WithTimeout(ctx, c.cfg.AsyncTimeout)
		links, err := c.runAsyncLimited(actx, report, u, body, deadline, newWindowLimiter(limitWindow{time.Minute, c.cfg.CostDetailsLimits.PollsPerMinute}))
		cancel()
		if err != nil {
			var e *Error
			if errors.As(err, &e) && e.Message != "" && !strings.Contains(e.Message, r.String()) {
				e.Message = "Cost Details " + r.String() + ": " + e.Message
			}
			return nil, 0, err
		}
		if !links.validTill.IsZero() && c.now().After(links.validTill) && try == 1 {
			c.cfg.Logger.Debug("Cost Details links already expired; running the report again", "report", report, "range", r.String())
			continue
		}
		mark := len(*market)
		digest, n, err := c.readCostBlobs(ctx, report, r, links, run, market)
		if err == nil {
			return digest, n, nil
		}
		if errors.Is(err, errLinkRefused) && try == 1 && !run.wasDelivered() {
			c.cfg.Logger.Debug("Cost Details blob link refused; running the report again", "report", report, "range", r.String(), "err", err)
			*market = (*market)[:mark]
			continue
		}
		return nil, 0, err
	}
}

// costSubmitWait spends one submission of the per-scope budget, waiting
// for it up to CostDetailsMaxWait; past that it fails as throttled.
func (c *Client) costSubmitWait(ctx context.Context, report string) error {
	now := c.now()
	at, bound, ok := c.cost.limit.reserveWithin(now, c.cfg.CostDetailsMaxWait)
	if !ok {
		return &Error{Report: report, Kind: KindThrottled, Message: fmt.Sprintf(
			"the Cost Details limit of %s report submissions per billing account is spent: the next may start at %s (in %s, longer than the %s this client waits)",
			bound, at.UTC().Format(time.RFC3339), at.Sub(now).Round(time.Second), c.cfg.CostDetailsMaxWait)}
	}
	if wait := at.Sub(now); wait > 0 {
		c.cfg.Logger.Debug("waiting for the Cost Details submission limit", "report", report, "wait", wait, "limit", bound.String())
		if err := c.sleep(ctx, wait); err != nil {
			return &Error{Report: report, Kind: KindTransport, Err: err, Message: "cancelled while waiting for the Cost Details submission limit (" + bound.String() + ")"}
		}
	}
	return nil
}

// readCostBlobs streams the blobs of one completed report through the CSV
// reader, in manifest order, each with its own header.
func (c *Client) readCostBlobs(ctx context.Context, report string, r costRange, links downloadLinks, run *costRun, market *[]billing.MarketplaceCharge) ([]byte, int, error) {
	onUsage := run.beginStreaming()
	onMarket := func(mc *billing.MarketplaceCharge) error {
		*market = append(*market, cloneCharge(mc))
		return nil
	}
	digests := sha256.New()
	usage := 0
	for j, link := range links.urls {
		name := fmt.Sprintf("cost details %s blob %d/%d", r, j+1, len(links.urls))
		bh := sha256.New()
		err := c.streamBlob(ctx, report, link, links.sizes[j], name, bh, func(br *blobReader) error {
			st, err := usagecsv.Options{Name: name}.Read(br, usagecsv.CostDetails, onUsage, onMarket)
			usage += int(st.Usage + st.Skipped)
			if err != nil && errors.Is(err, usagecsv.ErrNoHeader) && st.Bytes == 0 {
				return nil // an empty blob
			}
			return err
		})
		if err != nil {
			return nil, 0, err
		}
		digests.Write(bh.Sum(nil))
	}
	return digests.Sum(nil), usage, nil
}

// cloneCharge copies a charge out of the reader's buffer.
func cloneCharge(m *billing.MarketplaceCharge) billing.MarketplaceCharge {
	c := *m
	for _, s := range []*string{&c.Department, &c.AccountName, &c.CostCenter, &c.SubscriptionID, &c.SubscriptionName,
		&c.Publisher, &c.Offer, &c.Plan, &c.UnitOfMeasure} {
		*s = strings.Clone(*s)
	}
	if m.Tags != nil {
		c.Tags = make(map[string]string, len(m.Tags))
		for k, v := range m.Tags {
			c.Tags[strings.Clone(k)] = strings.Clone(v)
		}
	}
	return c
}
