package simulator

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The usage details report: rows generated from (seed, month, row index)
// while they are written, paged by skiptoken, by billing period or by
// custom date range.

// rowBasics is the part of a usage row that money depends on.
type rowBasics struct {
	day, sub, meter int
	cost, quantity  float64
	h               uint64
}

// row generates row i of month m. Rows past the days with data (late rows)
// are dated the last day with data.
func (d *dataset) row(m, i int) rowBasics {
	day := i / d.o.UsageRowsPerDay
	if days := d.daysWithData(m); day >= days {
		day = max(days-1, 0)
	}
	return d.rowOnDay(m, i, day)
}

func (d *dataset) rowOnDay(m, i, day int) rowBasics {
	h := mix(d.o.Seed^saltUsage, uint64(m), uint64(i))
	sub := pick(d.subCum, unit(mix(h, 1, 0)))
	mt := pick(d.meterCum, unit(mix(h, 2, 0)))
	// Spend grows 1.5% a month from a fixed epoch, dips at weekends, and
	// varies row to row around the configured monthly spend.
	avg := d.o.MonthlySpend / (30.4 * float64(d.o.UsageRowsPerDay))
	growth := math.Pow(1.015, float64(m-d.epoch))
	weekend := 1.0
	if wd := monthStart(m).AddDate(0, 0, day).Weekday(); wd == time.Saturday || wd == time.Sunday {
		weekend = 0.75
	}
	cost := avg * growth * weekend * (0.35 + 1.3*unit(mix(h, 3, 0)))
	cost = math.Round(cost*1e6) / 1e6
	return rowBasics{day: day, sub: sub, meter: mt, cost: cost, quantity: cost / meters[mt].rate, h: h}
}

// usageTotal is the sum of cost over the first n rows of month m, as
// served; full months ahead of the clock count as if they had happened
// (the commitment is sized on the year's expected spend).
func (d *dataset) usageTotal(m, n int, full bool) float64 {
	k := totalKey{m, n, full}
	d.mu.Lock()
	t, ok := d.totals[k]
	d.mu.Unlock()
	if ok {
		return t
	}
	for i := 0; i < n; i++ {
		if full {
			t += d.rowOnDay(m, i, i/d.o.UsageRowsPerDay).cost
		} else {
			t += d.row(m, i).cost
		}
	}
	d.mu.Lock()
	d.totals[k] = t
	d.mu.Unlock()
	return t
}

// usageSegment is a run of rows [lo, hi) of one month.
type usageSegment struct{ month, lo, hi int }

func (s *Server) usageSegments(req request) []usageSegment { return s.segmentsAt(req, s.late()) }

// segmentsAt are the rows of req with the data version late, month by
// month: the JSON pages and the CSV files serve the same rows.
func (s *Server) segmentsAt(req request, late int) []usageSegment {
	if !req.byDate {
		return []usageSegment{{req.month, 0, s.d.usageRows(req.month, late)}}
	}
	var segs []usageSegment
	rpd := s.d.o.UsageRowsPerDay
	for m := monthOf(req.start); m <= monthOf(req.end); m++ {
		n := s.d.usageRows(m, late)
		if n == 0 {
			continue
		}
		lo, hi := 0, n
		if m == monthOf(req.start) {
			lo = min(n, (req.start.Day()-1)*rpd)
		}
		if m == monthOf(req.end) && req.end.Day() < s.d.daysWithData(m) {
			hi = min(n, req.end.Day()*rpd)
		}
		if hi > lo {
			segs = append(segs, usageSegment{m, lo, hi})
		}
	}
	return segs
}

func (s *Server) writeUsagePage(w *jw, req request, r *http.Request) ([]byte, string, error) {
	segs := s.usageSegments(req)
	total := 0
	for _, sg := range segs {
		total += sg.hi - sg.lo
	}
	pageEnd := min(total, req.skip+s.d.o.PageSize)
	w.raw(`{"id":`)
	w.b = appendString(w.b, fmt.Sprintf("enrollments/%s/usagedetails/%d", s.d.o.Enrollment, req.skip/s.d.o.PageSize))
	w.raw(`,"data":[`)
	// Walk the segments arithmetically to the page's first row.
	pos := 0
	for _, sg := range segs {
		n := sg.hi - sg.lo
		if pos+n <= req.skip {
			pos += n
			continue
		}
		from := sg.lo + max(0, req.skip-pos)
		to := min(sg.hi, sg.lo+(pageEnd-pos))
		for i := from; i < to; i++ {
			s.writeUsageRow(w, req.version, sg.month, i)
		}
		pos += n
		if pos >= pageEnd {
			break
		}
	}
	w.raw("]")
	next := ""
	if pageEnd < total {
		next = nextLink(r, pageEnd)
	}
	w.key("nextLink")
	if next == "" {
		w.raw("null")
	} else {
		w.b = appendString(w.b, next)
	}
	w.raw("}")
	return w.b, next, nil
}

// nextLink is an absolute URL on the host the client called, like the real
// API's.
func nextLink(r *http.Request, skip int) string {
	q := r.URL.Query()
	for k := range q {
		if strings.EqualFold(k, "skiptoken") {
			q.Del(k)
		}
	}
	q.Set("skiptoken", strconv.Itoa(skip))
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	return u.String()
}

var resourceTypes = map[string]string{
	"Microsoft.Compute": "virtualMachines", "Microsoft.Storage": "storageAccounts", "Microsoft.Network": "publicIPAddresses",
	"Microsoft.Sql": "servers", "Microsoft.DocumentDB": "databaseAccounts", "Microsoft.Web": "sites",
	"Microsoft.OperationalInsights": "workspaces", "Microsoft.ContainerService": "managedClusters",
	"Microsoft.KeyVault": "vaults", "Microsoft.Synapse": "workspaces", "Microsoft.Insights": "metricAlerts",
}

// Row fragments that depend only on the meter or the subscription are
// rendered once: the simulator must serve a million rows faster than the
// exporter reads them, or a benchmark measures the simulator.
type fragments struct {
	meterHead [5][]string // v3+ head fields, by version
	meter     []string    // product ... meterName
	sub       []string    // account ... subscriptionName
	deptTail  []string    // departmentName, costCenter
}

func (s *Server) frags() *fragments {
	s.fragOnce.Do(func() {
		f := &fragments{}
		for mi := range meters {
			mt := &meters[mi]
			w := &jw{}
			w.str("serviceName", mt.serviceName)
			w.str("serviceTier", mt.serviceTier)
			w.str("location", mt.location)
			w.bool("chargesBilledSeparately", false)
			w.str("partNumber", mt.partNumber)
			w.str("resourceGuid", mt.id)
			w.str("offerId", "MS-AZR-0017P")
			for v := 3; v <= 4; v++ {
				f.meterHead[v] = append(f.meterHead[v], string(w.b)+",")
			}
			for v := 1; v <= 2; v++ {
				f.meterHead[v] = append(f.meterHead[v], "")
			}
			w = &jw{b: []byte{'{'}}
			w.str("product", mt.product)
			w.str("meterId", mt.id)
			w.str("meterCategory", mt.category)
			w.str("meterSubCategory", mt.subcategory)
			w.str("meterRegion", mt.region)
			w.str("meterName", mt.name)
			f.meter = append(f.meter, string(w.b[1:]))
		}
		for si := range s.d.subs {
			sub := &s.d.subs[si]
			dept := &departments[sub.dept]
			short := "cloud-" + strings.ToLower(strings.Fields(dept.name)[0])
			w := &jw{b: []byte{'{'}}
			w.int("accountId", int64(190000+sub.dept*101))
			w.int("departmentId", int64(79300+sub.dept))
			w.str("accountOwnerEmail", short+"@contoso.example")
			w.str("accountName", short)
			w.str("serviceAdministratorId", "")
			w.int("subscriptionId", int64(si+1)*1000003)
			w.str("subscriptionGuid", sub.guid)
			w.str("subscriptionName", sub.name)
			f.sub = append(f.sub, string(w.b[1:]))
			w = &jw{b: []byte{'{'}}
			w.str("storeServiceIdentifier", "")
			w.str("departmentName", dept.name)
			w.str("costCenter", dept.costCenter)
			f.deptTail = append(f.deptTail, string(w.b[1:]))
		}
		s.fragments = f
	})
	return s.fragments
}

func (s *Server) writeUsageRow(w *jw, version, m, i int) {
	f := s.frags()
	rb := s.d.row(m, i)
	mt := &meters[rb.meter]
	sub := &s.d.subs[rb.sub]
	dept := &departments[sub.dept]
	app := applications[int(mix(rb.h, 4, 0)%uint64(len(applications)))]
	date := monthStart(m).AddDate(0, 0, rb.day)

	w.open()
	w.raw(f.meterHead[min(version, 4)][rb.meter])
	switch version {
	case 1:
		w.num("extendedCost", rb.cost)
	case 2:
		w.num("Cost", rb.cost) // sic: the v2 sample capitalises it
	default:
		w.num("cost", rb.cost)
	}
	w.raw(",")
	w.raw(f.sub[rb.sub])
	w.int("productId", int64(1000000+rb.meter*37))
	w.int("resourceLocationId", int64(10+rb.meter%7))
	w.int("consumedServiceId", int64(60+rb.meter%9))
	if version >= 3 {
		w.time("date", date, "2006-01-02T15:04:05") // no zone, as in the v3 sample
	} else {
		w.time("date", date, "2006-01-02T15:04:05.000Z")
	}
	w.raw(",")
	w.raw(f.meter[rb.meter])
	w.num("consumedQuantity", rb.quantity)
	w.num("resourceRate", mt.rate)
	w.str("resourceLocation", mt.resourceLocation)
	w.str("consumedService", mt.consumedService)
	// /subscriptions/{guid}/resourceGroups/rg-{app}-{env}/providers/{service}/{type}/{app}-{env}-{nn}
	w.key("instanceId")
	w.raw(`"/subscriptions/`)
	w.raw(sub.guid)
	w.raw(`/resourceGroups/rg-`)
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw("/providers/")
	w.raw(mt.consumedService)
	w.raw("/")
	w.raw(resourceTypes[mt.consumedService])
	w.raw("/")
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw("-")
	n := mix(rb.h, 5, 0) % 12
	w.b = append(w.b, byte('0'+n/10), byte('0'+n%10), '"')
	w.raw(`,"serviceInfo1":"","serviceInfo2":""`)
	w.str("additionalInfo", `{  "ServiceType": "`+mt.serviceTier+`",  "ImageType": null,  "VCPUs": 4}`)
	if mix(rb.h, 6, 0)%10 == 0 {
		w.str("tags", "") // untagged resources exist in every enrollment
	} else {
		w.key("tags")
		w.raw(`"{  \"CostCenter\": \"`)
		w.raw(dept.costCenter)
		w.raw(`\",  \"env\": \"`)
		w.raw(sub.env)
		w.raw(`\",  \"app\": \"`)
		w.raw(app)
		w.raw(`\"}"`)
	}
	w.raw(",")
	w.raw(f.deptTail[rb.sub])
	w.str("unitOfMeasure", mt.unit)
	w.key("resourceGroup")
	w.raw(`"rg-`)
	w.raw(app)
	w.raw("-")
	w.raw(sub.env)
	w.raw(`"`)
	w.close()
}
