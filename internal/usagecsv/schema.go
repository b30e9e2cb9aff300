package usagecsv

import (
	"fmt"
	"strings"
)

// Schema selects the column table a file is read with.
type Schema uint8

const (
	// EAUsage is the EA Reporting API's usage-details CSV: the synchronous
	// download (/v3/.../usagedetails/download) and the blob of the
	// asynchronous report (/usagedetails/submit), both with a title line and
	// a blank line before the header. Every row is usage.
	EAUsage Schema = iota + 1
	// EAMarketplace is an EA marketplace-charges CSV: the columns of the
	// marketplacecharges report. Every row is a marketplace charge.
	EAMarketplace
	// CostDetails is the Cost Management Cost Details report (ActualCost
	// metric) of an EA billing account, as the blobs of
	// generateCostDetailsReport hold it: usage and marketplace rows in one
	// dataset, told apart by PublisherType.
	CostDetails
)

func (s Schema) String() string {
	switch s {
	case EAUsage:
		return "EA usage CSV"
	case EAMarketplace:
		return "EA marketplace CSV"
	case CostDetails:
		return "Cost Details CSV"
	}
	return fmt.Sprintf("Schema(%d)", uint8(s))
}

// target is what a column is read into.
type target uint8

const (
	tDate target = iota // usage date; a marketplace charge's start
	tDateEnd
	tCost
	tQuantity
	tRate
	tDepartment
	tAccount
	tCostCenter
	tSubID
	tSubName
	tMeterID
	tMeterCategory
	tMeterSubcategory
	tMeterName
	tMeterRegion
	tUnit
	tResourceGroup
	tResourceLocation
	tServiceName
	tServiceTier
	tProduct
	tConsumedService
	tBilledSeparately // a boolean
	tCreditEligible   // a boolean, the inverse of ChargesBilledSeparately
	tTags
	tPublisherType
	tPublisher
	tOffer
	tPlan
	tRecurring // a boolean
	tFrequency // "Recurring" or not
	nTargets
)

// Column is one entry of a schema's column table: the record field it
// fills and the header names it is read from.
type Column struct {
	// Field is the field filled, e.g. "UsageRow.Department",
	// "MarketplaceCharge.Offer", or both ("Department"), or a rule
	// ("UsageRow.ChargesBilledSeparately (inverted)").
	Field string
	// Names are the header names accepted, in order of preference: when a
	// header has several, the first listed wins. A name matches ignoring
	// case, spaces, '-', '_' and '.', and a localised header
	// "Localised (EnglishName)" matches by the name in parentheses.
	Names []string
	// Required columns must be in the header: a header without any of
	// Names is an error that names the first.
	Required bool

	t    target
	norm []string // Names, normalised
}

func init() {
	for _, table := range [][]Column{eaUsageColumns, eaMarketplaceColumns, costDetailsColumns} {
		for i := range table {
			for _, n := range table[i].Names {
				table[i].norm = append(table[i].norm, normName(n))
			}
		}
	}
}

// The column tables. Names are as the reference documents them; matching
// folds case, so the camelCase of the JSON reports and of older Cost
// Details datasets matches as well.
var (
	eaUsageColumns = []Column{
		{"UsageRow.Date", []string{"Date", "UsageDate"}, true, tDate, nil},
		{"UsageRow.Cost", []string{"Cost", "ExtendedCost"}, true, tCost, nil},
		{"UsageRow.Quantity", []string{"ConsumedQuantity", "Quantity"}, true, tQuantity, nil},
		{"UsageRow.Department", []string{"DepartmentName", "Department"}, true, tDepartment, nil},
		{"UsageRow.AccountName", []string{"AccountName"}, true, tAccount, nil},
		{"UsageRow.CostCenter", []string{"CostCenter"}, false, tCostCenter, nil},
		{"UsageRow.SubscriptionID", []string{"SubscriptionGuid"}, true, tSubID, nil},
		{"UsageRow.SubscriptionName", []string{"SubscriptionName"}, true, tSubName, nil},
		{"UsageRow.MeterID", []string{"MeterId"}, false, tMeterID, nil},
		{"UsageRow.MeterCategory", []string{"MeterCategory"}, true, tMeterCategory, nil},
		{"UsageRow.MeterSubcategory", []string{"MeterSubCategory"}, true, tMeterSubcategory, nil},
		{"UsageRow.MeterName", []string{"MeterName"}, true, tMeterName, nil},
		{"UsageRow.MeterRegion", []string{"MeterRegion"}, false, tMeterRegion, nil},
		{"UsageRow.UnitOfMeasure", []string{"UnitOfMeasure"}, false, tUnit, nil},
		{"UsageRow.ResourceGroup", []string{"ResourceGroup"}, false, tResourceGroup, nil},
		{"UsageRow.ResourceLocation", []string{"ResourceLocation"}, false, tResourceLocation, nil},
		{"UsageRow.ServiceName", []string{"ServiceName"}, false, tServiceName, nil},
		{"UsageRow.ServiceTier", []string{"ServiceTier"}, false, tServiceTier, nil},
		{"UsageRow.Product", []string{"Product", "ProductName"}, false, tProduct, nil},
		{"UsageRow.ConsumedService", []string{"ConsumedService"}, false, tConsumedService, nil},
		{"UsageRow.ChargesBilledSeparately", []string{"ChargesBilledSeparately"}, false, tBilledSeparately, nil},
		{"UsageRow.Tags", []string{"Tags"}, false, tTags, nil},
	}

	eaMarketplaceColumns = []Column{
		{"MarketplaceCharge.UsageStart", []string{"UsageStartDate", "UsageDate", "Date"}, true, tDate, nil},
		{"MarketplaceCharge.UsageEnd (default: the start day's 23:59:59)", []string{"UsageEndDate"}, false, tDateEnd, nil},
		{"MarketplaceCharge.Cost", []string{"ExtendedCost", "Cost"}, true, tCost, nil},
		{"MarketplaceCharge.Quantity", []string{"ConsumedQuantity", "Quantity"}, false, tQuantity, nil},
		{"MarketplaceCharge.Rate", []string{"ResourceRate", "Rate"}, false, tRate, nil},
		{"MarketplaceCharge.Department", []string{"DepartmentName", "Department"}, true, tDepartment, nil},
		{"MarketplaceCharge.AccountName", []string{"AccountName"}, true, tAccount, nil},
		{"MarketplaceCharge.CostCenter", []string{"CostCenter"}, false, tCostCenter, nil},
		{"MarketplaceCharge.SubscriptionID", []string{"SubscriptionGuid"}, true, tSubID, nil},
		{"MarketplaceCharge.SubscriptionName", []string{"SubscriptionName"}, true, tSubName, nil},
		{"MarketplaceCharge.Publisher", []string{"PublisherName"}, false, tPublisher, nil},
		{"MarketplaceCharge.Offer", []string{"OfferName"}, true, tOffer, nil},
		{"MarketplaceCharge.Plan", []string{"PlanName"}, false, tPlan, nil},
		{"MarketplaceCharge.UnitOfMeasure", []string{"UnitOfMeasure"}, false, tUnit, nil},
		{"MarketplaceCharge.Recurring", []string{"IsRecurringCharge"}, false, tRecurring, nil},
		{"MarketplaceCharge.Tags", []string{"Tags"}, false, tTags, nil},
	}

	costDetailsColumns = []Column{
		{"UsageRow.Date, MarketplaceCharge.UsageStart (UsageEnd: that day's 23:59:59)", []string{"Date", "UsageDate"}, true, tDate, nil},
		{"Cost", []string{"CostInBillingCurrency", "Cost", "PreTaxCost"}, true, tCost, nil},
		{"Quantity", []string{"Quantity", "ConsumedQuantity"}, true, tQuantity, nil},
		{"MarketplaceCharge.Rate", []string{"EffectivePrice", "ResourceRate", "UnitPrice"}, false, tRate, nil},
		{"Department", []string{"InvoiceSectionName", "InvoiceSection", "DepartmentName"}, true, tDepartment, nil},
		{"AccountName", []string{"AccountName", "EnrollmentAccountName"}, true, tAccount, nil},
		{"CostCenter", []string{"CostCenter"}, false, tCostCenter, nil},
		{"SubscriptionID", []string{"SubscriptionId", "SubscriptionGuid"}, true, tSubID, nil},
		{"SubscriptionName", []string{"SubscriptionName"}, true, tSubName, nil},
		{"UsageRow.MeterID", []string{"MeterId"}, false, tMeterID, nil},
		{"UsageRow.MeterCategory", []string{"MeterCategory"}, true, tMeterCategory, nil},
		{"UsageRow.MeterSubcategory", []string{"MeterSubCategory"}, true, tMeterSubcategory, nil},
		{"UsageRow.MeterName", []string{"MeterName"}, true, tMeterName, nil},
		{"UsageRow.MeterRegion", []string{"MeterRegion"}, false, tMeterRegion, nil},
		{"UnitOfMeasure", []string{"UnitOfMeasure"}, false, tUnit, nil},
		{"UsageRow.ResourceGroup", []string{"ResourceGroup", "ResourceGroupName"}, false, tResourceGroup, nil},
		{"UsageRow.ResourceLocation", []string{"ResourceLocation"}, false, tResourceLocation, nil},
		{"UsageRow.ServiceName", []string{"ServiceName", "MeterCategory"}, false, tServiceName, nil},
		{"UsageRow.ServiceTier", []string{"ServiceTier", "MeterSubCategory"}, false, tServiceTier, nil},
		{"UsageRow.Product", []string{"ProductName", "Product"}, false, tProduct, nil},
		{"UsageRow.ConsumedService", []string{"ConsumedService"}, false, tConsumedService, nil},
		{"UsageRow.ChargesBilledSeparately (inverted)", []string{"IsAzureCreditEligible"}, false, tCreditEligible, nil},
		{"Tags", []string{"Tags"}, false, tTags, nil},
		{"(Marketplace: marketplace charge; else usage)", []string{"PublisherType"}, true, tPublisherType, nil},
		{"MarketplaceCharge.Publisher", []string{"PublisherName"}, false, tPublisher, nil},
		{"MarketplaceCharge.Offer", []string{"OfferName", "OfferId"}, false, tOffer, nil},
		{"MarketplaceCharge.Plan", []string{"PlanName"}, false, tPlan, nil},
		{"MarketplaceCharge.Recurring (Frequency = Recurring)", []string{"Frequency"}, false, tFrequency, nil},
	}
)

func (s Schema) table() []Column {
	switch s {
	case EAUsage:
		return eaUsageColumns
	case EAMarketplace:
		return eaMarketplaceColumns
	case CostDetails:
		return costDetailsColumns
	}
	return nil
}

// Columns returns the schema's column table (a copy): which header names
// fill which field.
func (s Schema) Columns() []Column {
	t := s.table()
	out := make([]Column, len(t))
	for i, c := range t {
		c.Names = append([]string(nil), c.Names...)
		c.norm = nil
		out[i] = c
	}
	return out
}

// normName reduces a header name to what names are compared by: lower-case
// ASCII, without spaces, '-', '_', '.' or a byte-order mark.
func normName(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '-' || c == '_' || c == '.' || c == '\t':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

// headerNames returns the names a header field is known by: the English
// name in parentheses at its end ("Coût (Cost)"), the whole name, and the
// name before the parentheses ("Cost (USD)"), the last only as a fallback.
func headerNames(field string) (paren, whole, before string) {
	f := strings.TrimSpace(strings.TrimPrefix(field, "\ufeff"))
	if strings.HasSuffix(f, ")") {
		if i := strings.LastIndexByte(f, '('); i >= 0 {
			paren = normName(f[i+1 : len(f)-1])
			before = normName(f[:i])
		}
	}
	return paren, normName(f), before
}

// colRef is a resolved column: field index idx of each record is read
// into target t.
type colRef struct {
	idx int
	t   target
}

// resolve maps a header to the schema's targets. It returns the columns to
// read (in field order), each target's header name (for errors), how many
// targets the header names, and the first required column it lacks.
func resolve(schema Schema, header []string) (cols []colRef, names [nTargets]string, known int, missing *Column) {
	byName := make(map[string]int, 2*len(header))
	add := func(name string, i int) {
		if _, ok := byName[name]; name != "" && !ok {
			byName[name] = i // the first column of a name wins
		}
	}
	for i, h := range header {
		paren, whole, _ := headerNames(h)
		add(paren, i)
		add(whole, i)
	}
	for i, h := range header {
		_, _, before := headerNames(h)
		add(before, i)
	}
	table := schema.table()
	for k := range table {
		c := &table[k]
		idx := -1
		for _, n := range c.norm {
			if i, ok := byName[n]; ok {
				idx = i
				break
			}
		}
		if idx < 0 {
			if c.Required && missing == nil {
				missing = c
			}
			continue
		}
		known++
		cols = append(cols, colRef{idx, c.t})
		names[c.t] = strings.TrimSpace(strings.TrimPrefix(header[idx], "\ufeff"))
	}
	// Field order: the record is read front to back.
	for i := 1; i < len(cols); i++ {
		for j := i; j > 0 && cols[j].idx < cols[j-1].idx; j-- {
			cols[j], cols[j-1] = cols[j-1], cols[j]
		}
	}
	return cols, names, known, missing
}
