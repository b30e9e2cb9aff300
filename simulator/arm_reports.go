package simulator

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The synchronous ARM reports: the billing account and its structure,
// balances, reservation summaries and transactions. Every number comes from
// the dataset the EA routes serve (same months, same late rows, same
// rounding), so both sources agree.

const armDisplayName = "Contoso Ltd (simulated)"

func (a *ARM) accountID() string {
	return "/providers/Microsoft.Billing/billingAccounts/" + a.s.d.o.Enrollment
}

// enrollmentDates are the enrollment's start and end: from the commitment
// anniversary at or before the oldest period of history (at the dataset's
// creation), for five years.
func (a *ARM) enrollmentDates() (time.Time, time.Time) {
	d := a.s.d
	start := monthStart(d.yearStart(d.epoch - d.o.Periods + 1))
	return start, start.AddDate(5, 0, 0).Add(-24 * time.Hour)
}

func accountName(dept int) string {
	return "cloud-" + strings.ToLower(strings.Fields(departments[dept].name)[0])
}

// render writes the body of a synchronous GET; nil means 204 No Content.
func (a *ARM) render(req armRequest, r *http.Request, f *ARMFault) ([]byte, int, string, string) {
	w := &jw{b: make([]byte, 0, 4096)}
	switch req.route {
	case ARMRouteBillingAccount:
		expand := strings.ToLower(query(r, "$expand"))
		if req.list {
			w.raw(`{"value":[`)
			a.writeAccount(w, expand)
			w.raw("]}")
		} else {
			a.writeAccount(w, expand)
		}
		return w.b, 0, "", ""
	case ARMRouteDepartments:
		if req.sub != "" {
			i := a.departmentIndex(req.sub)
			if i < 0 {
				return nil, http.StatusNotFound, "NotFound", fmt.Sprintf("Department %s was not found in billing account %s.", req.sub, a.s.d.o.Enrollment)
			}
			a.writeDepartment(w, i)
			return w.b, 0, "", ""
		}
		var items [][]byte
		for i := range departments {
			iw := &jw{}
			a.writeDepartment(iw, i)
			items = append(items, iw.b)
		}
		return a.page(r, f, items)
	case ARMRouteEnrollmentAccounts:
		var items [][]byte
		for i := range departments {
			if req.sub != "" && req.sub != strconv.Itoa(79300+i) {
				continue
			}
			iw := &jw{}
			a.writeEnrollmentAccount(iw, i)
			items = append(items, iw.b)
		}
		if req.sub != "" && len(items) == 0 {
			return nil, http.StatusNotFound, "NotFound", fmt.Sprintf("Department %s was not found in billing account %s.", req.sub, a.s.d.o.Enrollment)
		}
		return a.page(r, f, items)
	case ARMRouteBalances:
		m := req.month
		if m < 0 {
			m = a.s.d.currentMonth()
		}
		if !a.s.d.inHistory(m) {
			return nil, http.StatusNotFound, "NotFound", fmt.Sprintf("Balance for billing period %s was not found for billing account %s.", monthID(m), a.s.d.o.Enrollment)
		}
		a.writeBalance(w, m)
		return w.b, 0, "", ""
	case ARMRouteReservationSummary:
		return a.reservationSummaries(r, f)
	case ARMRouteReservationTx:
		return a.reservationTransactions(r, f)
	}
	return nil, http.StatusNotFound, "InvalidResourceType", "The resource type could not be found."
}

func (a *ARM) departmentIndex(name string) int {
	for i := range departments {
		if name == strconv.Itoa(79300+i) {
			return i
		}
	}
	return -1
}

func (a *ARM) writeAccount(w *jw, expand string) {
	d := a.s.d
	start, end := a.enrollmentDates()
	w.open()
	w.str("id", a.accountID())
	w.str("name", d.o.Enrollment)
	w.str("type", "Microsoft.Billing/billingAccounts")
	w.key("properties")
	w.raw("{")
	w.str("accountStatus", "Active")
	w.str("accountType", "Enterprise")
	w.str("agreementType", "EnterpriseAgreement")
	w.str("displayName", armDisplayName)
	w.bool("hasReadAccess", true)
	w.key("soldTo")
	w.raw(`{"companyName":"Contoso Ltd","addressLine1":"1 Example Way","city":"Redmond","region":"WA","postalCode":"98052","country":"US"}`)
	if strings.Contains(expand, "enrollmentdetails") {
		w.key("enrollmentDetails")
		w.raw("{")
		w.time("startDate", start, time.RFC3339)
		w.time("endDate", end, time.RFC3339)
		w.str("currency", d.o.Currency)
		w.str("channel", "EaDirect")
		w.str("language", "en")
		w.str("countryCode", "US")
		w.str("status", "Active")
		w.str("billingCycle", "Monthly")
		w.key("policies")
		w.raw(`{"accountOwnerViewCharges":true,"departmentAdminViewCharges":true,"marketplaceEnabled":true,"reservedInstancesEnabled":true}`)
		w.raw("}")
	}
	if strings.Contains(expand, "departments") {
		w.key("departments")
		w.raw("[")
		for i := range departments {
			a.writeDepartment(w, i)
		}
		w.raw("]")
	}
	if strings.Contains(expand, "enrollmentaccounts") {
		w.key("enrollmentAccounts")
		w.raw("[")
		for i := range departments {
			a.writeEnrollmentAccount(w, i)
		}
		w.raw("]")
	}
	w.raw("}")
	w.close()
}

func (a *ARM) writeDepartment(w *jw, i int) {
	id := strconv.Itoa(79300 + i)
	w.open()
	w.str("id", a.accountID()+"/departments/"+id)
	w.str("name", id)
	w.str("type", "Microsoft.Billing/billingAccounts/departments")
	w.key("properties")
	w.raw("{")
	w.str("costCenter", departments[i].costCenter)
	w.str("displayName", departments[i].name)
	w.str("id", id)
	w.str("status", "Active")
	w.raw("}")
	w.close()
}

func (a *ARM) writeEnrollmentAccount(w *jw, i int) {
	id := strconv.Itoa(190000 + i*101)
	start, end := a.enrollmentDates()
	w.open()
	w.str("id", a.accountID()+"/enrollmentAccounts/"+id)
	w.str("name", id)
	w.str("type", "Microsoft.Billing/billingAccounts/enrollmentAccounts")
	w.key("properties")
	w.raw("{")
	w.str("accountOwner", accountName(i)+"@contoso.example")
	w.str("authType", "Organization")
	w.str("costCenter", departments[i].costCenter)
	w.str("departmentDisplayName", departments[i].name)
	w.str("departmentId", strconv.Itoa(79300+i))
	w.str("displayName", accountName(i))
	w.bool("isDevTestEnabled", false)
	w.str("status", "Active")
	w.time("startDate", start, time.RFC3339)
	w.time("endDate", end, time.RFC3339)
	w.raw("}")
	w.close()
}

// writeBalance writes month m's balance: the EA balance summary's numbers
// (rounded the same way), currency padded with spaces as in the swagger
// example.
func (a *ARM) writeBalance(w *jw, m int) {
	d := a.s.d
	b := d.balance(m, a.s.late())
	id := monthID(m)
	w.open()
	w.str("id", a.accountID()+"/providers/Microsoft.Billing/billingPeriods/"+id+"/providers/Microsoft.Consumption/balances/balance"+id)
	w.str("name", "balance"+id)
	w.str("type", "Microsoft.Consumption/balances")
	w.key("properties")
	w.raw("{")
	w.str("currency", fmt.Sprintf("%-5s", d.o.Currency))
	w.num("beginningBalance", round2(b.begin))
	w.num("endingBalance", round2(b.end))
	w.num("newPurchases", round2(b.purchases))
	w.num("adjustments", round2(b.adjustments))
	w.num("utilized", round2(b.utilized))
	w.num("serviceOverage", round2(b.serviceOverage))
	w.num("chargesBilledSeparately", round2(b.billedSeparately))
	w.num("totalOverage", round2(b.totalOverage))
	w.num("totalUsage", round2(b.totalUsage))
	w.num("azureMarketplaceServiceCharges", round2(b.marketplace))
	w.str("billingFrequency", "Month")
	w.bool("priceHidden", false)
	w.num("overageRefund", 0)
	writeBalanceDetails(w, b)
	w.raw("}")
	w.close()
}

// page answers one page of a list: {"value":[...],"nextLink":...}, paged
// by $skiptoken (an offset) with the nextLink on the host called.
func (a *ARM) page(r *http.Request, f *ARMFault, items [][]byte) ([]byte, int, string, string) {
	skip := 0
	if tok := query(r, "$skiptoken"); tok != "" {
		n, err := strconv.Atoi(tok)
		if err != nil || n < 0 {
			return nil, http.StatusBadRequest, "BadRequest", "The $skiptoken '" + tok + "' is invalid."
		}
		skip = n
	}
	size := a.o.ListPageSize
	if t := query(r, "$top"); t != "" {
		if n, err := strconv.Atoi(t); err == nil && n > 0 && n < size {
			size = n
		}
	}
	w := &jw{b: make([]byte, 0, 4096)}
	w.raw(`{"value":[`)
	end := min(len(items), skip+size)
	for i := min(skip, len(items)); i < end; i++ {
		if i > skip {
			w.raw(",")
		}
		w.b = append(w.b, items[i]...)
	}
	w.raw("]")
	next := ""
	if end < len(items) {
		next = a.nextLink(r, end)
	}
	if f != nil && f.NextLink != "" {
		switch f.NextLink {
		case "self":
			next = a.nextLink(r, skip)
		case "endless":
			next = a.nextLink(r, skip+1)
		case "foreign":
			next = strings.Replace(a.nextLink(r, end), r.Host, "attacker.example:443", 1)
		default:
			next = f.NextLink
		}
	}
	if next != "" {
		w.str("nextLink", next)
	}
	w.raw("}")
	return w.b, 0, "", ""
}

func (a *ARM) nextLink(r *http.Request, skip int) string {
	q := r.URL.Query()
	for k := range q {
		if strings.EqualFold(k, "$skiptoken") {
			q.Del(k)
		}
		if strings.EqualFold(k, "api-version") && a.o.NextLinkAPIVersion != "" {
			q.Del(k)
			q.Set("api-version", a.o.NextLinkAPIVersion)
		}
	}
	q.Set("$skiptoken", strconv.Itoa(skip))
	u := url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawQuery: q.Encode()}
	if r.TLS == nil {
		u.Scheme = "http"
	}
	return u.String()
}

var filterTerm = regexp.MustCompile(`(?i)properties/(\w+)\s+(ge|le|gt|lt|eq)\s+'?(\d{4}-\d{2}-\d{2})[0-9T:.Z+-]*'?`)

// dateFilter reads "properties/{prop} ge {date} and properties/{prop} le
// {date}" (as the Consumption APIs take it; 'and' in any case, dates
// optionally quoted or with a time).
func dateFilter(filter, prop string) (time.Time, time.Time, error) {
	var start, end time.Time
	terms := filterTerm.FindAllStringSubmatch(filter, -1)
	for _, t := range terms {
		if !strings.EqualFold(t[1], prop) {
			return start, end, fmt.Errorf("the filter property '%s' is not supported; use properties/%s", t[1], prop)
		}
		d, err := time.ParseInLocation("2006-01-02", t[3], time.UTC)
		if err != nil {
			return start, end, fmt.Errorf("invalid date '%s' in the filter", t[3])
		}
		switch strings.ToLower(t[2]) {
		case "ge":
			start = d
		case "gt":
			start = d.AddDate(0, 0, 1)
		case "le":
			end = d
		case "lt":
			end = d.AddDate(0, 0, -1)
		case "eq":
			start, end = d, d
		}
	}
	if start.IsZero() || end.IsZero() {
		return start, end, fmt.Errorf("the filter must give a start and an end date: properties/%s ge yyyy-MM-dd and properties/%s le yyyy-MM-dd", prop, prop)
	}
	if end.Before(start) {
		return start, end, fmt.Errorf("the end date is before the start date")
	}
	return start, end, nil
}

// pacific writes a usage day as the reservation APIs do: local midnight
// with a US Pacific offset ("2018-09-01T00:00:00-07:00").
func pacific(day time.Time) string {
	off := "-08:00"
	y := day.Year()
	// DST: second Sunday of March to first Sunday of November.
	mar := time.Date(y, time.March, 8, 0, 0, 0, 0, time.UTC)
	mar = mar.AddDate(0, 0, (7-int(mar.Weekday()))%7)
	nov := time.Date(y, time.November, 1, 0, 0, 0, 0, time.UTC)
	nov = nov.AddDate(0, 0, (7-int(nov.Weekday()))%7)
	// Midnight of a change day is still on the old offset (the change is
	// at 2:00).
	if day.After(mar) && !day.After(nov) {
		off = "-07:00"
	}
	return day.Format("2006-01-02") + "T00:00:00" + off
}

// monthlyReservations aggregates month m's days as the EA monthly grain
// does.
func (d *dataset) monthlyReservations(m int) []reservationDay {
	days := d.reservationDays(monthStart(m), monthStart(m+1).Add(-time.Second))
	agg := map[int]*reservationDay{}
	var order []int
	for _, x := range days {
		s, ok := agg[x.r]
		if !ok {
			s = &reservationDay{r: x.r, date: monthStart(m), minPct: 100}
			agg[x.r] = s
			order = append(order, x.r)
		}
		s.reserved += x.reserved
		s.used += x.used
		s.minPct = min(s.minPct, x.minPct)
		s.maxPct = max(s.maxPct, x.maxPct)
	}
	sort.Ints(order)
	out := make([]reservationDay, 0, len(order))
	for _, r := range order {
		s := agg[r]
		s.avgPct = round2(s.used / s.reserved * 100)
		out = append(out, *s)
	}
	return out
}

func (a *ARM) reservationSummaries(r *http.Request, f *ARMFault) ([]byte, int, string, string) {
	grain := strings.ToLower(query(r, "grain"))
	filter := query(r, "$filter")
	var days []reservationDay
	switch grain {
	case "daily":
		if filter == "" {
			return nil, http.StatusBadRequest, "BadRequest", "The $filter query parameter is required for daily grain: properties/usageDate ge yyyy-MM-dd and properties/usageDate le yyyy-MM-dd."
		}
		start, end, err := dateFilter(filter, "usageDate")
		if err != nil {
			return nil, http.StatusBadRequest, "BadRequest", err.Error()
		}
		days = a.s.d.reservationDays(start, end)
	case "monthly":
		first, last := a.s.d.currentMonth(), a.s.d.currentMonth()
		if filter != "" {
			start, end, err := dateFilter(filter, "usageDate")
			if err != nil {
				return nil, http.StatusBadRequest, "BadRequest", err.Error()
			}
			first, last = monthOf(start), monthOf(end)
		}
		for m := first; m <= last; m++ {
			days = append(days, a.s.d.monthlyReservations(m)...)
		}
	default:
		return nil, http.StatusBadRequest, "BadRequest", "The grain query parameter is required: daily or monthly."
	}
	orderQ, idQ := query(r, "reservationOrderId"), query(r, "reservationId")
	var items [][]byte
	for _, rd := range days {
		res := &reservations[rd.r]
		order, id := reservationIDs(a.s.d.o.Seed, rd.r)
		if orderQ != "" && !strings.EqualFold(orderQ, order) || idQ != "" && !strings.EqualFold(idQ, id) {
			continue
		}
		name := fmt.Sprintf("%s_%s_%s", id, grain, rd.date.Format("20060102"))
		w := &jw{}
		w.open()
		w.str("id", a.accountID()+"/providers/Microsoft.Consumption/reservationSummaries/"+name)
		w.str("name", name)
		w.str("type", "Microsoft.Consumption/reservationSummaries")
		w.raw(`,"tags":null`)
		w.key("properties")
		w.raw("{")
		w.str("reservationOrderId", order)
		w.str("reservationId", id)
		w.str("skuName", res.sku)
		w.num("reservedHours", rd.reserved)
		w.str("usageDate", pacific(rd.date))
		w.num("usedHours", rd.used)
		w.num("minUtilizationPercentage", rd.minPct)
		w.num("avgUtilizationPercentage", rd.avgPct)
		w.num("maxUtilizationPercentage", rd.maxPct)
		w.str("kind", "Reservation")
		w.num("purchasedQuantity", res.quantity)
		w.num("remainingQuantity", 0)
		w.num("totalReservedQuantity", res.quantity)
		w.num("usedQuantity", round2(rd.used/rd.reserved*res.quantity))
		w.num("utilizedPercentage", rd.avgPct)
		w.raw("}")
		w.close()
		items = append(items, w.b)
	}
	return a.page(r, f, items)
}

// reservationTransactions answers whole billing months for the filter's
// ends, as the swagger says the service does.
func (a *ARM) reservationTransactions(r *http.Request, f *ARMFault) ([]byte, int, string, string) {
	cur := a.s.d.currentMonth()
	start, end := monthStart(cur), monthStart(cur+1).Add(-24*time.Hour)
	if filter := query(r, "$filter"); filter != "" {
		s, e, err := dateFilter(filter, "eventDate")
		if err != nil {
			return nil, http.StatusBadRequest, "BadRequest", err.Error()
		}
		start, end = monthStart(monthOf(s)), monthStart(monthOf(e)+1).Add(-24*time.Hour)
	}
	if monthOf(end)-monthOf(start) >= 36 {
		return nil, http.StatusBadRequest, "BadRequest", "The date range is too large: the response would exceed the 12 MB limit. Use smaller date ranges."
	}
	d := a.s.d
	var items [][]byte
	for _, ev := range d.reservationEvents(start, end) {
		res := &reservations[ev.r]
		order, _ := reservationIDs(d.o.Seed, ev.r)
		sub := &d.subs[(ev.r*5)%len(d.subs)]
		dept := sub.dept
		term := map[string]string{"P1Y": "1 Year", "P3Y": "3 Years"}[res.term]
		name := ev.date.Format("200601021504") + strconv.Itoa(ev.r)
		billingMonth, _ := strconv.Atoi(monthStart(monthOf(ev.date)).Format("20060102"))
		w := &jw{}
		w.open()
		w.str("id", "/billingAccounts/"+d.o.Enrollment+"/providers/Microsoft.Consumption/reservationtransactions/"+name)
		w.str("name", name)
		w.str("type", "Microsoft.Consumption/reservationTransactions")
		w.raw(`,"tags":[]`)
		w.key("properties")
		w.raw("{")
		w.time("eventDate", ev.date, "2006-01-02T15:04:05Z")
		w.str("reservationOrderId", order)
		w.str("description", res.sku+" "+res.region+" "+term)
		w.str("eventType", "Purchase")
		w.num("quantity", res.quantity)
		w.num("amount", ev.amount)
		w.str("currency", d.o.Currency)
		w.str("reservationOrderName", res.orderName)
		w.str("purchasingEnrollment", d.o.Enrollment)
		w.str("armSkuName", res.sku)
		w.str("term", res.term)
		w.str("region", res.region)
		w.str("purchasingSubscriptionGuid", sub.guid)
		w.str("purchasingSubscriptionName", sub.name)
		w.str("accountName", accountName(dept))
		w.str("accountOwnerEmail", accountName(dept)+"@contoso.example")
		w.str("departmentName", departments[dept].name)
		w.str("costCenter", departments[dept].costCenter)
		w.str("currentEnrollment", d.o.Enrollment)
		w.str("billingFrequency", strings.ToLower(res.frequency))
		w.int("billingMonth", int64(billingMonth))
		w.num("monetaryCommitment", ev.amount)
		w.num("overage", 0)
		w.raw("}")
		w.close()
		items = append(items, w.b)
	}
	return a.page(r, f, items)
}
