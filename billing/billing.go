// Package billing holds the domain types of an enterprise cloud bill: billing
// periods, the commitment balance, usage rows, marketplace charges, the price
// sheet and reservations.
//
// The types say nothing about how a data source encodes them. The EA Reporting
// API client in package eaclient produces them today; another source (the ARM
// Cost Management APIs, a CSV export) can produce the same types and the
// collectors will not notice.
package billing

import "time"

// Period is one billing period (an invoice month).
type Period struct {
	// ID is the period's identifier, yyyyMM (e.g. "202611").
	ID    string
	Start time.Time
	End   time.Time
}

// BalanceSummary is the commitment ("monetary commitment", formerly "Azure
// Prepayment") account of one billing period. Money is in Currency.
type BalanceSummary struct {
	PeriodID                string
	Currency                string
	BeginningBalance        float64
	EndingBalance           float64
	NewPurchases            float64
	Adjustments             float64
	Utilized                float64
	ServiceOverage          float64
	ChargesBilledSeparately float64
	TotalOverage            float64
	TotalUsage              float64
	MarketplaceCharges      float64
}

// UsageRow is one line of the usage report: the consumption of one meter by
// one resource on one day. Sources stream rows through a callback and may
// reuse the row, its Tags map and the memory of its strings for the next
// one: a consumer that keeps a string clones it (strings.Clone).
type UsageRow struct {
	Date             time.Time
	Cost             float64
	Quantity         float64
	Department       string
	AccountName      string
	CostCenter       string
	SubscriptionID   string // the subscription GUID
	SubscriptionName string
	MeterID          string
	MeterCategory    string
	MeterSubcategory string
	MeterName        string
	MeterRegion      string
	UnitOfMeasure    string
	ResourceGroup    string
	ResourceLocation string
	ServiceName      string
	ServiceTier      string
	Product          string
	ConsumedService  string
	// ChargesBilledSeparately marks usage that is not drawn from the
	// commitment (billed separately, e.g. some third-party services).
	ChargesBilledSeparately bool
	// Tags are the resource's tags. Nil when the resource has none, and
	// may be nil when the consumer asked for TagKeys (UsageWant).
	Tags map[string]string
	// TagValues are the values of the UsageWant's TagKeys, in their order,
	// when the source honours it; nil otherwise.
	TagValues []string
}

// MarketplaceCharge is one day's charge for a third-party (marketplace) offer.
type MarketplaceCharge struct {
	UsageStart       time.Time
	UsageEnd         time.Time
	Department       string
	AccountName      string
	CostCenter       string
	SubscriptionID   string
	SubscriptionName string
	Publisher        string
	Offer            string
	Plan             string
	UnitOfMeasure    string
	Quantity         float64
	Rate             float64
	Cost             float64
	Recurring        bool
	Tags             map[string]string
}

// Price is one meter's price in a billing period's price sheet.
type Price struct {
	PeriodID         string
	MeterID          string
	MeterName        string
	PartNumber       string
	UnitOfMeasure    string
	UnitPrice        float64
	IncludedQuantity float64
	Currency         string
}

// ReservationUsage is one reservation's use on one day (or one instance's
// share of it, for sources that report per instance).
type ReservationUsage struct {
	Date               time.Time
	ReservationOrderID string
	ReservationID      string
	SKU                string
	InstanceID         string // empty for per-reservation summaries
	ReservedQuantity   float64
	ReservedHours      float64
	UsedHours          float64
	// Utilisation percentages, where the source reports them (daily summaries).
	MinUtilizationPercent float64
	AvgUtilizationPercent float64
	MaxUtilizationPercent float64
}

// ReservationCharge is one reservation transaction: a purchase, a recurring
// instalment, a refund or an exchange.
type ReservationCharge struct {
	EventDate            time.Time
	EventType            string
	ReservationOrderID   string
	ReservationOrderName string
	Description          string
	SKU                  string
	Term                 string
	Region               string
	BillingFrequency     string
	Quantity             float64
	Amount               float64
	Currency             string
	Department           string
	AccountName          string
	CostCenter           string
	SubscriptionID       string
	SubscriptionName     string
	PurchasingEnrollment string
	CurrentEnrollment    string
}

// PeriodOf returns the yyyyMM billing period that t falls in. EA billing
// periods are calendar months in UTC.
func PeriodOf(t time.Time) string {
	return t.UTC().Format("200601")
}

// PeriodBounds returns the first instant of the calendar-month billing period
// id (yyyyMM) and the first instant of the next one.
func PeriodBounds(id string) (start, next time.Time, err error) {
	start, err = time.ParseInLocation("200601", id, time.UTC)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, start.AddDate(0, 1, 0), nil
}
