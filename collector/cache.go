package collector

import (
	"sort"
	"strings"
	"sync/atomic"
)

// cache holds a report's entries, one per billing period (or one under ""),
// swapped atomically: Collect reads a complete snapshot while a refresh
// builds the next one.
type cache struct {
	entries atomic.Pointer[map[string]periodEntry]
}

func (c *cache) load() map[string]periodEntry {
	if m := c.entries.Load(); m != nil {
		return *m
	}
	return nil
}

func (c *cache) store(m map[string]periodEntry) { c.entries.Store(&m) }

func (c *cache) series() []series {
	m := c.load()
	var out []series
	for _, k := range sortedKeys(m) {
		out = append(out, m[k].series...)
	}
	return out
}

func (c *cache) rows() int {
	n := 0
	for _, e := range c.load() {
		n += e.rows
	}
	return n
}

func (c *cache) etags() string {
	m := c.load()
	var parts []string
	for _, k := range sortedKeys(m) {
		if m[k].etag == "" {
			continue
		}
		if k == "" {
			parts = append(parts, m[k].etag)
		} else {
			parts = append(parts, k+": "+m[k].etag)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// data returns the cache itself; every report embeds one.
func (c *cache) data() *cache { return c }

// adopt takes over another report's entries, so that a reload serves the
// last data at once and revalidates it with its ETags.
func (c *cache) adopt(from *cache) {
	if m := from.entries.Load(); m != nil {
		c.entries.Store(m)
	}
}
