package collector

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
)

// series is one sample a snapshot serves. Labels exclude the enrollment,
// which Collect adds.
type series struct {
	desc   *prometheus.Desc
	period string // billing period it belongs to, "" for none
	value  float64
	labels []string
}

// periodEntry is what one request of a report returned last time it
// returned data: the ETag to revalidate with, the series, and the rows.
type periodEntry struct {
	etag   string
	series []series
	rows   int
	extra  any // report-specific partials (budget sums, currency)
}

// fetchFunc fetches one period's data (period "" for reports that are one
// request), sending etag; on 304 it returns meta.NotModified.
type fetchFunc func(ctx context.Context, period, etag string) (entry periodEntry, meta eaclient.Meta, err error)

// refreshPeriods refreshes one entry per period. A period that fails keeps
// its last good entry; a period no longer listed is dropped; a 404 for a
// period means the API has no data for it yet, which is an empty period,
// not a failure. It returns the new entries, whether any data changed, and
// the failures joined.
func refreshPeriods(ctx context.Context, periods []string, old map[string]periodEntry, fetch fetchFunc) (map[string]periodEntry, bool, error) {
	next := make(map[string]periodEntry, len(periods))
	changed := len(old) != len(periods)
	var errs []error
	for _, p := range periods {
		prev, had := old[p]
		entry, meta, err := fetch(ctx, p, prev.etag)
		switch {
		case err != nil && p != "" && isNotFound(err):
			next[p] = periodEntry{}
			changed = changed || !had || prev.rows > 0 || len(prev.series) > 0
		case err != nil:
			if had {
				next[p] = prev
			}
			if p != "" {
				err = fmt.Errorf("billing period %s: %w", p, err)
			}
			errs = append(errs, err)
		case meta.NotModified:
			next[p] = prev
		default:
			entry.etag = meta.ETag
			entry.rows = meta.Rows
			next[p] = entry
			changed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	return next, changed, errors.Join(errs...)
}

func isNotFound(err error) bool {
	k, ok := eaclient.KindOf(err)
	return ok && k == eaclient.KindNotFound
}

// labelKey joins label values into a map key.
func labelKey(values []string) string { return strings.Join(values, "\xff") }

// sortedKeys returns a map's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
