package eaclient

import (
	"github.com/azure-ea-exporter/azure_ea_exporter/billing"

	"context"
	"net/url"
	"time"
)

// Query selects the rows of a report: one billing period (yyyyMM), a date
// range, or, when both are empty, the current billing period.
type Query struct {
	BillingPeriod string
	Start, End    time.Time // inclusive dates, UTC
	// Want is what of a usage row the caller reads (usage details only):
	// the JSON decoder skips the rest; the CSV sources read every field.
	Want billing.UsageWant
}

// route returns the path for q under the enrollment: period routes nest the
// report under billingPeriods/{id}; date routes use the report's
// "...bycustomdate" variant, named by byDate.
func (q Query) route(report, byDate string) (string, url.Values) {
	switch {
	case q.BillingPeriod != "":
		return "billingPeriods/" + url.PathEscape(q.BillingPeriod) + "/" + report, nil
	case !q.Start.IsZero():
		return byDate, url.Values{"startTime": {day(q.Start)}, "endTime": {day(q.End)}}
	default:
		return report, nil
	}
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02") }

// getList fetches a report whose body is one JSON array (or object) and
// converts each element.
func getList[W, T any](ctx context.Context, c *Client, report string, u *url.URL, etag string, conv func(*W) (T, error)) ([]T, Meta, error) {
	var (
		meta Meta
		out  []T
	)
	notModified, err := c.get(ctx, report, u, etag, c.cfg.MaxBodyBytes, &meta, func(r response) error {
		out = out[:0]
		meta.ETag = r.etag
		return decodeArray(r.body, func(w *W) error {
			v, err := conv(w)
			if err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
	})
	if err != nil {
		return nil, Meta{Requests: meta.Requests}, err
	}
	meta.NotModified = notModified
	if notModified {
		return nil, meta, nil
	}
	meta.Rows = len(out)
	meta.Pages = 1
	return out, meta, nil
}
