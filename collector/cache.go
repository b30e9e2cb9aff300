package collector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// entry is what one request of a report returned the last time it
// returned data: the revision to revalidate with, the rows read, and the
// report's aggregate of them. Aggregates are plain data, never metrics:
// descriptors are attached only when collecting.
type entry[T any] struct {
	Revision string `json:"revision,omitempty"`
	Rows     int    `json:"rows,omitempty"`
	// NoData: the source has no data for the period yet.
	NoData bool `json:"no_data,omitempty"`
	Data   T    `json:"data"`
}

// cache holds a report's entries, one per billing period (or one under ""
// for reports that are one request), swapped atomically: Collect reads a
// complete snapshot while a refresh builds the next one.
type cache[T any] struct {
	entries atomic.Pointer[map[string]entry[T]]
}

func (c *cache[T]) load() map[string]entry[T] {
	if m := c.entries.Load(); m != nil {
		return *m
	}
	return nil
}

func (c *cache[T]) store(m map[string]entry[T]) { c.entries.Store(&m) }

func (c *cache[T]) rows() int {
	n := 0
	for _, e := range c.load() {
		n += e.Rows
	}
	return n
}

// revisions describes the revisions the report holds, for the status page.
func (c *cache[T]) revisions() string {
	m := c.load()
	var parts []string
	for _, k := range sortedKeys(m) {
		switch {
		case m[k].Revision == "":
		case k == "":
			parts = append(parts, m[k].Revision)
		default:
			parts = append(parts, k+": "+m[k].Revision)
		}
	}
	return strings.Join(parts, ", ")
}

// marshal and unmarshal are the report's persisted form.
func (c *cache[T]) marshal() (json.RawMessage, error) { return json.Marshal(c.load()) }

func (c *cache[T]) unmarshal(b json.RawMessage) error {
	var m map[string]entry[T]
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	c.store(m)
	return nil
}

// adopt takes over the entries of the same report of the enrollment a
// reload replaces, so that it serves the last data at once and revalidates
// it with its revisions.
func (c *cache[T]) adopt(from data) {
	if o, ok := from.(*cache[T]); ok {
		if m := o.entries.Load(); m != nil {
			c.entries.Store(m)
		}
	}
}

// data is the part of a report that persistence and reloads handle; every
// report embeds a cache, which implements it.
type data interface {
	marshal() (json.RawMessage, error)
	unmarshal(json.RawMessage) error
	adopt(from data)
	revisions() string
	rows() int
}

// fetchFunc fetches one entry's data (key "" for reports that are one
// request), sending the revision held.
type fetchFunc[T any] func(ctx context.Context, key, revision string) (T, billing.Result, error)

// refreshEntries refreshes one entry per key. A key that fails keeps its
// last good entry; a key no longer listed is dropped; no data for a period
// yet is an empty entry, not a failure. It returns the new entries, whether
// any data changed, and the failures joined.
func refreshEntries[T any](ctx context.Context, keys []string, old map[string]entry[T], fetch fetchFunc[T]) (map[string]entry[T], bool, error) {
	next := make(map[string]entry[T], len(keys))
	changed := len(old) != len(keys)
	var errs []error
	for _, k := range keys {
		prev, had := old[k]
		v, res, err := fetch(ctx, k, prev.Revision)
		switch {
		case err != nil && errors.Is(err, billing.ErrNoData):
			next[k] = entry[T]{NoData: true}
			changed = changed || !had || !prev.NoData
		case errors.Is(err, billing.ErrUnsupported):
			// Not offered for any key: one error says it.
			return old, false, err
		case err != nil:
			if had {
				next[k] = prev
			}
			if k != "" {
				err = fmt.Errorf("billing period %s: %w", k, err)
			}
			errs = append(errs, err)
		case res.NotModified:
			next[k] = prev
		default:
			next[k] = entry[T]{Revision: res.Revision, Rows: res.Rows, Data: v}
			changed = true
		}
		if ctx.Err() != nil {
			break
		}
	}
	return next, changed, errors.Join(errs...)
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
