package simulator

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The files of the asynchronous reports: the price sheet (a ZIP of CSVs)
// and the Cost Details report (CSV blobs), generated from the dataset the
// EA routes serve.

// Cost Details CSV header variants (ARMOptions.CostDetailsSchema).
const (
	// CostDetailsSchemaStandard: the EA columns of dataset version
	// 2024-08-01 in their documented order and spelling, dates MM/dd/yyyy.
	CostDetailsSchemaStandard = "standard"
	// CostDetailsSchemaLegacy: the same data as an older dataset writes it:
	// a UTF-8 byte-order mark, camelCase column names in another order
	// (alphabetical), ISO dates (yyyy-MM-dd). A client that reads by
	// header name, case-insensitively, reads both.
	CostDetailsSchemaLegacy = "legacy"
)

// CostDetailsColumns are the EA Cost Details columns, dataset version
// 2024-08-01, in order.
var CostDetailsColumns = []string{
	"InvoiceSectionName", "AccountName", "AccountOwnerId", "SubscriptionId", "SubscriptionName",
	"ResourceGroup", "ResourceLocation", "Date", "ProductName", "MeterCategory", "MeterSubCategory", "MeterId", "MeterName",
	"MeterRegion", "UnitOfMeasure", "Quantity", "EffectivePrice", "CostInBillingCurrency", "CostCenter", "ConsumedService",
	"ResourceId", "Tags", "OfferId", "AdditionalInfo", "ServiceInfo1", "ServiceInfo2", "ResourceName", "ReservationId",
	"ReservationName", "UnitPrice", "ProductOrderId", "ProductOrderName", "Term", "PublisherType", "PublisherName",
	"ChargeType", "Frequency", "PricingModel", "AvailabilityZone", "BillingAccountId", "BillingAccountName",
	"BillingCurrencyCode", "BillingPeriodStartDate", "BillingPeriodEndDate", "BillingProfileId", "BillingProfileName",
	"InvoiceSectionId", "IsAzureCreditEligible", "PartNumber", "PayGPrice", "PlanName", "ServiceFamily",
	"CostAllocationRuleName", "benefitId", "benefitName", "AccountId", "ResourceLocationNormalized",
}

// PriceSheetColumns are the EA price sheet CSV columns.
var PriceSheetColumns = []string{
	"BasePrice", "CurrencyCode", "EffectiveEndDate", "EffectiveStartDate", "IncludedQuantity", "MarketPrice", "MeterId",
	"MeterCategory", "MeterName", "MeterSubCategory", "MeterRegion", "MeterType", "PartNumber", "priceType", "Product",
	"ProductID", "ServiceFamily", "SkuID", "Term", "UnitOfMeasure", "UnitPrice",
}

var serviceFamilies = map[string]string{
	"Virtual Machines": "Compute", "Azure Kubernetes Service": "Compute", "Storage": "Storage",
	"Bandwidth": "Networking", "Virtual Network": "Networking", "Load Balancer": "Networking",
	"SQL Database": "Databases", "Azure Cosmos DB": "Databases", "Azure Synapse Analytics": "Analytics",
	"Azure App Service": "Web", "Log Analytics": "Management and Governance", "Azure Monitor": "Management and Governance",
	"Key Vault": "Security",
}

func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// eaMeterName is the meter name of the EA price sheet, which the ARM price
// sheet repeats so that both sources label prices alike.
func eaMeterName(mt *meter) string {
	return mt.category + " " + mt.subcategory + " - " + mt.name + " - " + mt.region
}

// priceSheetZip is month m's price sheet: two CSV files in a ZIP, the
// Consumption price of every meter of the catalog (as the EA price sheet
// has them) and reserved-instance rows for the virtual-machine meters.
func (a *ARM) priceSheetZip(m int) []byte {
	d := a.s.d
	start, end := monthStart(m), monthStart(m+1).Add(-24*time.Hour)
	var rows [][]string
	for i := range meters {
		mt := &meters[i]
		row := func(priceType, term string, price float64) []string {
			return []string{
				fmtNum(price), d.o.Currency, end.Format("2006-01-02"), start.Format("2006-01-02"), "0", fmtNum(price), mt.id,
				mt.category, eaMeterName(mt), mt.subcategory, mt.region, mt.unit, mt.partNumber, priceType, mt.product,
				fmt.Sprintf("DZH318Z0%04d", i+1), serviceFamilies[mt.category], "0001", term, mt.unit, fmtNum(price),
			}
		}
		rows = append(rows, row("Consumption", "", mt.rate))
		if mt.category == "Virtual Machines" {
			rows = append(rows, row("ReservedInstance", "P1Y", round2(mt.rate*8760*0.62)), row("ReservedInstance", "P3Y", round2(mt.rate*26280*0.41)))
		}
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	half := len(rows) / 2
	for i, part := range [][][]string{rows[:half], rows[half:]} {
		fw, _ := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("pricesheet_%s_%d.csv", monthID(m), i+1), Method: zip.Deflate, Modified: start})
		cw := csv.NewWriter(fw)
		_ = cw.Write(PriceSheetColumns)
		_ = cw.WriteAll(part)
	}
	_ = zw.Close()
	return buf.Bytes()
}

// costSegments are the usage rows of the operation's days, as the EA
// usage-by-date routes select them.
func (a *ARM) costSegments(op *operation) []usageSegment {
	d := a.s.d
	rpd := d.o.UsageRowsPerDay
	var segs []usageSegment
	for m := monthOf(op.start); m <= monthOf(op.end); m++ {
		n := d.usageRows(m, op.late)
		if n == 0 {
			continue
		}
		lo, hi := 0, n
		if m == monthOf(op.start) {
			lo = min(n, (op.start.Day()-1)*rpd)
		}
		if m == monthOf(op.end) && op.end.Day() < d.daysWithData(m) {
			hi = min(n, op.end.Day()*rpd)
		}
		if hi > lo {
			segs = append(segs, usageSegment{m, lo, hi})
		}
	}
	return segs
}

type marketRow struct {
	month int
	c     marketCharge
}

func (a *ARM) costMarket(op *operation) []marketRow {
	var out []marketRow
	for m := monthOf(op.start); m <= monthOf(op.end); m++ {
		for _, c := range a.s.d.marketplace(m) {
			day := monthStart(m).AddDate(0, 0, c.day)
			if day.Before(op.start) || day.After(op.end) {
				continue
			}
			out = append(out, marketRow{m, c})
		}
	}
	return out
}

func (a *ARM) costRowCount(op *operation) int {
	if op.noData {
		return 0
	}
	n := 0
	for _, s := range a.costSegments(op) {
		n += s.hi - s.lo
	}
	return n + len(a.costMarket(op))
}

// costDetailsBlob renders part p of the operation's CSV: rows
// [p*per, (p+1)*per) of the usage rows followed by the marketplace rows,
// each part with its own header row.
func (a *ARM) costDetailsBlob(op *operation, p int) []byte {
	per := a.o.CostDetailsRowsPerBlob
	from, to := p*per, (p+1)*per
	var buf bytes.Buffer
	legacy := a.o.CostDetailsSchema == CostDetailsSchemaLegacy
	order := make([]int, len(CostDetailsColumns))
	for i := range order {
		order[i] = i
	}
	header := append([]string(nil), CostDetailsColumns...)
	if legacy {
		buf.WriteString("\ufeff")
		for i, c := range header {
			header[i] = strings.ToLower(c[:1]) + c[1:]
		}
		// Alphabetical order of the camelCase names.
		for i := 1; i < len(order); i++ {
			for j := i; j > 0 && header[order[j]] < header[order[j-1]]; j-- {
				order[j], order[j-1] = order[j-1], order[j]
			}
		}
	}
	cw := csv.NewWriter(&buf)
	out := make([]string, len(order))
	write := func(rec []string) {
		for i, k := range order {
			out[i] = rec[k]
		}
		_ = cw.Write(out)
	}
	write(header)
	if op.noData {
		cw.Flush()
		return buf.Bytes()
	}
	dateFmt := "01/02/2006"
	if legacy {
		dateFmt = "2006-01-02"
	}
	k := 0
	for _, sg := range a.costSegments(op) {
		n := sg.hi - sg.lo
		if k+n <= from {
			k += n
			continue
		}
		for i := sg.lo + max(0, from-k); i < sg.hi && k+(i-sg.lo) < to; i++ {
			write(a.costUsageRecord(sg.month, i, dateFmt))
		}
		k += n
		if k >= to {
			break
		}
	}
	for _, mr := range a.costMarket(op) {
		if k >= from && k < to {
			write(a.costMarketRecord(mr, dateFmt))
		}
		k++
	}
	cw.Flush()
	return buf.Bytes()
}

func (a *ARM) billingCols(m int, dateFmt string) (start, end string) {
	return monthStart(m).Format(dateFmt), monthStart(m + 1).Add(-24 * time.Hour).Format(dateFmt)
}

// costUsageRecord is usage row i of month m, as the EA usage details serve
// it (same cost, quantity, subscription, meter, resource and tags).
func (a *ARM) costUsageRecord(m, i int, dateFmt string) []string {
	d := a.s.d
	rb := d.row(m, i)
	mt := &meters[rb.meter]
	sub := &d.subs[rb.sub]
	dept := &departments[sub.dept]
	app := applications[int(mix(rb.h, 4, 0)%uint64(len(applications)))]
	date := monthStart(m).AddDate(0, 0, rb.day)
	rg := "rg-" + app + "-" + sub.env
	n := mix(rb.h, 5, 0) % 12
	name := fmt.Sprintf("%s-%s-%02d", app, sub.env, n)
	resourceID := "/subscriptions/" + sub.guid + "/resourceGroups/" + rg + "/providers/" + mt.consumedService + "/" + resourceTypes[mt.consumedService] + "/" + name
	tags := ""
	if mix(rb.h, 6, 0)%10 != 0 {
		// The CSV writes tags without the enclosing braces.
		tags = `"CostCenter": "` + dept.costCenter + `","env": "` + sub.env + `","app": "` + app + `"`
	}
	bs, be := a.billingCols(m, dateFmt)
	return []string{
		dept.name, accountName(sub.dept), accountName(sub.dept) + "@contoso.example", sub.guid, sub.name,
		rg, mt.resourceLocation, date.Format(dateFmt), mt.product, mt.category, mt.subcategory, mt.id, mt.name,
		mt.region, mt.unit, fmtNum(rb.quantity), fmtNum(mt.rate), fmtNum(rb.cost), dept.costCenter, mt.consumedService,
		resourceID, tags, "MS-AZR-0017P", `{"ServiceType":"` + mt.serviceTier + `","ImageType":null,"VCPUs":4}`, "", "", name, "",
		"", fmtNum(mt.rate), "", "", "", "Azure", "Microsoft",
		"Usage", "UsageBased", "OnDemand", "", d.o.Enrollment, armDisplayName,
		d.o.Currency, bs, be, d.o.Enrollment, armDisplayName,
		strconv.Itoa(79300 + sub.dept), "True", mt.partNumber, fmtNum(mt.rate), "", serviceFamilies[mt.category],
		"", "", "", strconv.Itoa(190000 + sub.dept*101), mt.location,
	}
}

// costMarketRecord is a marketplace charge (PublisherType Marketplace), as
// the EA marketplace charges serve it.
func (a *ARM) costMarketRecord(mr marketRow, dateFmt string) []string {
	d := a.s.d
	c := mr.c
	off := &offers[c.offer]
	sub := &d.subs[c.sub]
	dept := &departments[sub.dept]
	date := monthStart(mr.month).AddDate(0, 0, c.day)
	freq := "UsageBased"
	if c.recurring {
		freq = "Recurring"
	}
	bs, be := a.billingCols(mr.month, dateFmt)
	return []string{
		dept.name, accountName(sub.dept), accountName(sub.dept) + "@contoso.example", sub.guid, sub.name,
		"", "", date.Format(dateFmt), off.offer + " - " + off.plan, "", "", "", off.plan,
		"", off.unit, fmtNum(c.quantity), fmtNum(off.rate), fmtNum(c.cost), dept.costCenter, "",
		"", "", off.offer, "", "", "", "", "",
		"", fmtNum(off.rate), "", "", "", "Marketplace", off.publisher,
		"Usage", freq, "OnDemand", "", d.o.Enrollment, armDisplayName,
		d.o.Currency, bs, be, d.o.Enrollment, armDisplayName,
		strconv.Itoa(79300 + sub.dept), "False", "", fmtNum(off.rate), off.plan, "",
		"", "", "", strconv.Itoa(190000 + sub.dept*101), "",
	}
}
