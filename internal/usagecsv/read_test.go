package usagecsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// result is what a read produced, cloned out of the reused rows.
type result struct {
	usage  []billing.UsageRow
	market []billing.MarketplaceCharge
	stats  Stats
	err    error
}

func cloneUsage(r *billing.UsageRow) billing.UsageRow {
	c := *r
	c.Department, c.AccountName, c.CostCenter = strings.Clone(r.Department), strings.Clone(r.AccountName), strings.Clone(r.CostCenter)
	c.SubscriptionID, c.SubscriptionName = strings.Clone(r.SubscriptionID), strings.Clone(r.SubscriptionName)
	c.MeterID, c.MeterCategory, c.MeterSubcategory = strings.Clone(r.MeterID), strings.Clone(r.MeterCategory), strings.Clone(r.MeterSubcategory)
	c.MeterName, c.MeterRegion, c.UnitOfMeasure = strings.Clone(r.MeterName), strings.Clone(r.MeterRegion), strings.Clone(r.UnitOfMeasure)
	c.ResourceGroup, c.ResourceLocation = strings.Clone(r.ResourceGroup), strings.Clone(r.ResourceLocation)
	c.ServiceName, c.ServiceTier, c.Product, c.ConsumedService = strings.Clone(r.ServiceName), strings.Clone(r.ServiceTier), strings.Clone(r.Product), strings.Clone(r.ConsumedService)
	c.Tags = cloneTags(r.Tags)
	return c
}

func cloneMarket(m *billing.MarketplaceCharge) billing.MarketplaceCharge {
	c := *m
	c.Department, c.AccountName, c.CostCenter = strings.Clone(m.Department), strings.Clone(m.AccountName), strings.Clone(m.CostCenter)
	c.SubscriptionID, c.SubscriptionName = strings.Clone(m.SubscriptionID), strings.Clone(m.SubscriptionName)
	c.Publisher, c.Offer, c.Plan, c.UnitOfMeasure = strings.Clone(m.Publisher), strings.Clone(m.Offer), strings.Clone(m.Plan), strings.Clone(m.UnitOfMeasure)
	c.Tags = cloneTags(m.Tags)
	return c
}

func cloneTags(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[strings.Clone(k)] = strings.Clone(v)
	}
	return out
}

func readWith(o Options, r io.Reader, s Schema) result {
	var res result
	res.stats, res.err = o.Read(r, s,
		func(u *billing.UsageRow) error { res.usage = append(res.usage, cloneUsage(u)); return nil },
		func(m *billing.MarketplaceCharge) error { res.market = append(res.market, cloneMarket(m)); return nil })
	return res
}

func readString(s Schema, in string) result { return readWith(Options{}, strings.NewReader(in), s) }

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// A minimal EA usage header and a Cost Details header, for the quirk tests.
const (
	eaHeader = "Date,Cost,ConsumedQuantity,DepartmentName,AccountName,SubscriptionGuid,SubscriptionName,MeterCategory,MeterSubCategory,MeterName,Tags,ChargesBilledSeparately"
	cdHeader = "InvoiceSectionName,AccountName,SubscriptionId,SubscriptionName,Date,MeterCategory,MeterSubCategory,MeterName,Quantity,EffectivePrice,CostInBillingCurrency,Tags,OfferId,PublisherType,PublisherName,Frequency,PlanName,IsAzureCreditEligible"
)

func eaRow(date, cost, dept, tags, billed string) string {
	return date + "," + cost + ",1," + dept + ",acct,sub-guid,sub,Storage,Tables,Reads," + tags + "," + billed
}

func TestVerbatimEADownload(t *testing.T) {
	// The captured French download of the reference (§4): BOM, CRLF, a
	// localised title, a blank line, the localised header, two rows.
	data, err := os.ReadFile("testdata/ea_download_fr.csv")
	if err != nil {
		t.Fatal(err)
	}
	res := readWith(Options{Name: "ea_download_fr.csv"}, bytes.NewReader(data), EAUsage)
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.stats.HeaderLine != 3 || res.stats.Records != 2 || res.stats.Usage != 2 || res.stats.Bytes != int64(len(data)) {
		t.Errorf("stats %+v", res.stats)
	}
	want := billing.UsageRow{
		Date: day(2019, 4, 1), Cost: 0, Quantity: 0.0146,
		Department: "company2", AccountName: "azure_devops-company2", CostCenter: "1234567-0000325200",
		SubscriptionID: "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", SubscriptionName: "company2-portal",
		MeterID: "b9e5e77c-a0b3-4a2c-9b8b-57fa54f31c52", MeterCategory: "Storage", MeterSubcategory: "Tables",
		MeterName: "Batch Write Operations", MeterRegion: "", UnitOfMeasure: "100000000",
		ResourceGroup: "company2-portal-collaboration", ResourceLocation: "eunorth",
		ServiceName: "Storage", ServiceTier: "Tables", Product: "Tables - Batch Write Operations", ConsumedService: "Microsoft.Storage",
	}
	if !reflect.DeepEqual(res.usage[0], want) {
		t.Errorf("row 1:\n got %+v\nwant %+v", res.usage[0], want)
	}
	if r := res.usage[1]; r.Quantity != 0.064512 || r.MeterSubcategory != "Free Plan" || r.ServiceTier != "Free and Shared" || r.MeterName != "F1" {
		t.Errorf("row 2: %+v", r)
	}
}

func TestQuirks(t *testing.T) {
	cd := func(rows ...string) string { return cdHeader + "\n" + strings.Join(rows, "\n") + "\n" }
	cdRow := func(pubType, tags string) string {
		return "Platform,acct,sub-guid,sub,03/05/2024,Storage,Tables,Reads,2,0.5,1.25," + tags + ",MS-AZR-0017P," + pubType + ",Microsoft,UsageBased,,True"
	}
	base := billing.UsageRow{Date: day(2024, 3, 5), Cost: 1.5, Quantity: 1, Department: "Platform", AccountName: "acct",
		SubscriptionID: "sub-guid", SubscriptionName: "sub", MeterCategory: "Storage", MeterSubcategory: "Tables", MeterName: "Reads"}
	with := func(f func(*billing.UsageRow)) billing.UsageRow { r := base; f(&r); return r }
	one := eaRow("2024-03-05", "1.5", "Platform", "", "False")

	tests := []struct {
		name   string
		schema Schema
		in     string
		usage  []billing.UsageRow
		market []billing.MarketplaceCharge
		err    string // a substring of the error; "" for none
	}{
		{name: "plain LF", schema: EAUsage, in: eaHeader + "\n" + one + "\n", usage: []billing.UsageRow{base}},
		{name: "CRLF", schema: EAUsage, in: eaHeader + "\r\n" + one + "\r\n", usage: []billing.UsageRow{base}},
		{name: "no final newline", schema: EAUsage, in: eaHeader + "\r\n" + one, usage: []billing.UsageRow{base}},
		{name: "final CR only", schema: EAUsage, in: eaHeader + "\r\n" + one + "\r", usage: []billing.UsageRow{base}},
		{name: "BOM", schema: EAUsage, in: "\ufeff" + eaHeader + "\n" + one + "\n", usage: []billing.UsageRow{base}},
		{name: "BOM title blank line CRLF", schema: EAUsage,
			in:    "\ufeffUsageDetail Report for Billing Period - 202403\r\n\r\n" + eaHeader + "\r\n" + one + "\r\n",
			usage: []billing.UsageRow{base}},
		{name: "several titles and blank lines, blank lines between rows", schema: EAUsage,
			in:    "Report\n\n\nEnrollment 100, generated 2024-03-06\n\n" + eaHeader + "\n\n" + one + "\n\r\n" + one + "\n\n",
			usage: []billing.UsageRow{base, base}},
		{name: "title with a stray quote", schema: EAUsage,
			in:    "The \"usage\" report\n\n" + eaHeader + "\n" + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "quoted field with doubled quotes", schema: EAUsage,
			in:    eaHeader + "\n" + eaRow("2024-03-05", "1.5", `"Retail ""Web"""`, "", "False") + "\n",
			usage: []billing.UsageRow{with(func(r *billing.UsageRow) { r.Department = `Retail "Web"` })}},
		{name: "quoted commas", schema: EAUsage,
			in:    eaHeader + "\n" + eaRow("2024-03-05", "1.5", `"Data, Analytics, AI"`, "", "False") + "\n",
			usage: []billing.UsageRow{with(func(r *billing.UsageRow) { r.Department = "Data, Analytics, AI" })}},
		{name: "quoted newline LF", schema: EAUsage,
			in:    eaHeader + "\n" + eaRow("2024-03-05", "1.5", "\"two\nlines\"", "", "False") + "\n",
			usage: []billing.UsageRow{with(func(r *billing.UsageRow) { r.Department = "two\nlines" })}},
		{name: "quoted newline CRLF reads as LF", schema: EAUsage,
			in:    eaHeader + "\r\n" + eaRow("2024-03-05", "1.5", "\"two\r\nlines, \"\"quoted\"\"\"", "", "False") + "\r\n",
			usage: []billing.UsageRow{with(func(r *billing.UsageRow) { r.Department = "two\nlines, \"quoted\"" })}},
		{name: "empty quoted field", schema: EAUsage,
			in:    eaHeader + "\n" + eaRow("2024-03-05", `""`, `""`, `""`, `""`) + "\n",
			usage: []billing.UsageRow{with(func(r *billing.UsageRow) { r.Cost, r.Department = 0, "" })}},
		{name: "localised header", schema: EAUsage,
			in:    "Date (Date),Coût (Cost),Quantité consommée (ConsumedQuantity),Nom du service (DepartmentName),Nom du compte (AccountName),Guid d'abonnement (SubscriptionGuid),Nom de l'abonnement (SubscriptionName),Catégorie du compteur (MeterCategory),Sous-catégorie du compteur (MeterSubCategory),Nom du compteur (MeterName),Balises (Tags),ChargesBilledSeparately (ChargesBilledSeparately)\n" + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "header names fold case and ignore spaces, '-' and '_'", schema: EAUsage,
			in:    "DATE,cost,consumed quantity,Department Name,account_name,SUBSCRIPTION-GUID,subscriptionname,Meter Category,Meter Sub-Category,meterName,TAGS,chargesbilledseparately\n" + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "localised names with spaces in the parentheses", schema: EAUsage,
			in:    "Datum (Date),Kosten (Cost),Menge (Consumed Quantity),Abteilung (department name),Konto (Account Name),Abo (Subscription Guid),Abo-Name (Subscription Name),Kategorie (Meter Category),Unterkategorie (Meter Sub Category),Name (Meter Name),Tags,X (Charges Billed Separately)\n" + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "columns in another order, unknown columns ignored", schema: EAUsage,
			in:    "Foo,MeterName,Tags,Bar,SubscriptionName,SubscriptionGuid,MeterSubCategory,MeterCategory,AccountName,DepartmentName,ConsumedQuantity,Cost,Date,Baz\n" + `"x,""y""",Reads,,"{""a"":1}",sub,sub-guid,Tables,Storage,acct,Platform,1,1.5,2024-03-05,` + "\n",
			usage: []billing.UsageRow{base}},
		{name: "Cost preferred to ExtendedCost", schema: EAUsage,
			in:    "ExtendedCost," + eaHeader + "\n9," + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "ExtendedCost when no Cost", schema: EAUsage,
			in:    strings.Replace(eaHeader, "Cost", "ExtendedCost", 1) + "\n" + one + "\n",
			usage: []billing.UsageRow{base}},
		{name: "missing required column", schema: EAUsage,
			in:  strings.Replace(eaHeader, "SubscriptionGuid", "SubscriptionId", 1) + "\n" + one + "\n",
			err: `usagecsv: EA usage CSV "test", line 1: missing required column "SubscriptionGuid"`},
		{name: "missing required column, Cost Details", schema: CostDetails,
			in:  strings.Replace(cdHeader, "CostInBillingCurrency", "CostInUsd", 1) + "\n",
			err: `missing required column "CostInBillingCurrency" (the header has none of: CostInBillingCurrency, Cost, PreTaxCost)`},
		{name: "missing column after a title", schema: EAUsage,
			in:  "Title\n\n" + strings.Replace(eaHeader, ",MeterName", "", 1) + "\n",
			err: `line 3: missing required column "MeterName"`},
		{name: "no header", schema: EAUsage, in: "just,a,table\n1,2,3\n", err: "no header row found"},
		{name: "empty input", schema: CostDetails, in: "", err: "no header row found"},
		{name: "header only", schema: CostDetails, in: cdHeader + "\n"},
		{name: "field count", schema: EAUsage, in: eaHeader + "\n" + one + "\n" + one + ",extra\n",
			usage: []billing.UsageRow{base}, err: "line 3: wrong number of fields: more than the header's 12"},
		{name: "short record", schema: EAUsage, in: eaHeader + "\n" + "2024-03-05,1\n", err: "line 2: wrong number of fields: 2, the header has 12"},
		{name: "bare quote", schema: EAUsage, in: eaHeader + "\n" + one + "\n" + eaRow("2024-03-05", "1.5", `Re"tail`, "", "False") + "\n",
			usage: []billing.UsageRow{base}, err: `line 3: bare " in non-quoted-field`},
		{name: "text after a closing quote", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "1.5", `"Retail"x`, "", "False") + "\n",
			err: `line 2: extraneous or missing " in quoted-field`},
		{name: "unclosed quote", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "1.5", `"Retail`, "", "False") + "\n",
			err: `line 2: extraneous or missing " in quoted-field`},

		// Numbers in the invariant culture.
		{name: "numbers", schema: EAUsage, in: eaHeader + "\n" +
			eaRow("2024-03-05", "1.2E-05", "a", "", "False") + "\n" +
			eaRow("2024-03-05", "3.5e+2", "b", "", "False") + "\n" +
			eaRow("2024-03-05", "-0.000295194820065", "c", "", "False") + "\n" +
			eaRow("2024-03-05", " 12 ", "d", "", "False") + "\n" +
			eaRow("2024-03-05", "", "e", "", "False") + "\n" +
			eaRow("2024-03-05", "0.000000000000000", "f", "", "False") + "\n" +
			eaRow("2024-03-05", "42", "g", "", "False") + "\n",
			usage: []billing.UsageRow{
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 1.2e-05, "a" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 350, "b" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = -0.000295194820065, "c" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 12, "d" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 0, "e" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 0, "f" }),
				with(func(r *billing.UsageRow) { r.Cost, r.Department = 42, "g" }),
			}},
		{name: "decimal comma", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", `"1,5"`, "a", "", "False") + "\n",
			err: `line 2, column "Cost": not a number: "1,5"`},
		{name: "NaN", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "NaN", "a", "", "False") + "\n", err: `not a number: "NaN"`},
		{name: "hexadecimal", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "0x10", "a", "", "False") + "\n", err: `not a number: "0x10"`},
		{name: "out of range", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "1e999", "a", "", "False") + "\n", err: `not a number: "1e999"`},

		// Dates.
		{name: "dates", schema: EAUsage, in: eaHeader + "\n" +
			eaRow("2024-03-05", "1.5", "a", "", "False") + "\n" +
			eaRow("03/05/2024", "1.5", "b", "", "False") + "\n" +
			eaRow("3/5/2024", "1.5", "c", "", "False") + "\n" +
			eaRow("2024-03-05T00:00:00Z", "1.5", "d", "", "False") + "\n" +
			eaRow("2024-03-05T00:00:00.0000000Z", "1.5", "e", "", "False") + "\n" +
			eaRow("2024-03-05T02:00:00+02:00", "1.5", "f", "", "False") + "\n" +
			eaRow("2024-03-05T00:00:00", "1.5", "g", "", "False") + "\n" +
			eaRow("03/05/2024 00:00:00", "1.5", "h", "", "False") + "\n" +
			eaRow("3/5/2024 12:00:00 AM", "1.5", "i", "", "False") + "\n",
			usage: func() []billing.UsageRow {
				var out []billing.UsageRow
				for _, d := range "abcdefghi" {
					out = append(out, with(func(r *billing.UsageRow) { r.Department = string(d) }))
				}
				return out
			}()},
		{name: "day not in month", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-02-30", "1.5", "a", "", "False") + "\n", err: `column "Date": not a date: "2024-02-30"`},
		{name: "day first is not a US date", schema: EAUsage, in: eaHeader + "\n" + eaRow("13/05/2024", "1.5", "a", "", "False") + "\n", err: `not a date: "13/05/2024"`},

		// Booleans.
		{name: "booleans", schema: EAUsage, in: eaHeader + "\n" +
			eaRow("2024-03-05", "1.5", "a", "", "True") + "\n" +
			eaRow("2024-03-05", "1.5", "b", "", "False") + "\n" +
			eaRow("2024-03-05", "1.5", "c", "", "true") + "\n" +
			eaRow("2024-03-05", "1.5", "d", "", "FALSE") + "\n" +
			eaRow("2024-03-05", "1.5", "e", "", "") + "\n" +
			eaRow("2024-03-05", "1.5", "f", "", "1") + "\n",
			usage: []billing.UsageRow{
				with(func(r *billing.UsageRow) { r.ChargesBilledSeparately, r.Department = true, "a" }),
				with(func(r *billing.UsageRow) { r.Department = "b" }),
				with(func(r *billing.UsageRow) { r.ChargesBilledSeparately, r.Department = true, "c" }),
				with(func(r *billing.UsageRow) { r.Department = "d" }),
				with(func(r *billing.UsageRow) { r.Department = "e" }),
				with(func(r *billing.UsageRow) { r.ChargesBilledSeparately, r.Department = true, "f" }),
			}},
		{name: "not a boolean", schema: EAUsage, in: eaHeader + "\n" + eaRow("2024-03-05", "1.5", "a", "", "Maybe") + "\n", err: `column "ChargesBilledSeparately": not a boolean: "Maybe"`},

		// Marketplace rows of the Cost Details report.
		{name: "PublisherType splits marketplace rows", schema: CostDetails,
			in: cd(cdRow("Azure", ""), cdRow("Marketplace", `"""env"": ""prod"""`), cdRow("marketplace", ""), cdRow("", "")),
			usage: []billing.UsageRow{
				{Date: day(2024, 3, 5), Cost: 1.25, Quantity: 2, Department: "Platform", AccountName: "acct", SubscriptionID: "sub-guid", SubscriptionName: "sub",
					MeterCategory: "Storage", MeterSubcategory: "Tables", MeterName: "Reads", ServiceName: "Storage", ServiceTier: "Tables"},
				{Date: day(2024, 3, 5), Cost: 1.25, Quantity: 2, Department: "Platform", AccountName: "acct", SubscriptionID: "sub-guid", SubscriptionName: "sub",
					MeterCategory: "Storage", MeterSubcategory: "Tables", MeterName: "Reads", ServiceName: "Storage", ServiceTier: "Tables"},
			},
			market: []billing.MarketplaceCharge{
				{UsageStart: day(2024, 3, 5), UsageEnd: day(2024, 3, 5).Add(24*time.Hour - time.Second), Department: "Platform", AccountName: "acct",
					SubscriptionID: "sub-guid", SubscriptionName: "sub", Publisher: "Microsoft", Offer: "MS-AZR-0017P", Quantity: 2, Rate: 0.5, Cost: 1.25,
					Tags: map[string]string{"env": "prod"}},
				{UsageStart: day(2024, 3, 5), UsageEnd: day(2024, 3, 5).Add(24*time.Hour - time.Second), Department: "Platform", AccountName: "acct",
					SubscriptionID: "sub-guid", SubscriptionName: "sub", Publisher: "Microsoft", Offer: "MS-AZR-0017P", Quantity: 2, Rate: 0.5, Cost: 1.25},
			}},
		{name: "Cost Details credit eligibility and frequency", schema: CostDetails,
			in: cd(strings.Replace(cdRow("Azure", ""), ",True", ",False", 1), strings.Replace(cdRow("Marketplace", ""), "UsageBased", "Recurring", 1)),
			usage: []billing.UsageRow{
				{Date: day(2024, 3, 5), Cost: 1.25, Quantity: 2, Department: "Platform", AccountName: "acct", SubscriptionID: "sub-guid", SubscriptionName: "sub",
					MeterCategory: "Storage", MeterSubcategory: "Tables", MeterName: "Reads", ServiceName: "Storage", ServiceTier: "Tables", ChargesBilledSeparately: true},
			},
			market: []billing.MarketplaceCharge{
				{UsageStart: day(2024, 3, 5), UsageEnd: day(2024, 3, 5).Add(24*time.Hour - time.Second), Department: "Platform", AccountName: "acct",
					SubscriptionID: "sub-guid", SubscriptionName: "sub", Publisher: "Microsoft", Offer: "MS-AZR-0017P", Quantity: 2, Rate: 0.5, Cost: 1.25, Recurring: true},
			}},
		{name: "EA marketplace file", schema: EAMarketplace,
			in: "Marketplace report\r\n\r\nUsageStartDate,UsageEndDate,SubscriptionGuid,SubscriptionName,DepartmentName,AccountName,CostCenter,PublisherName,OfferName,PlanName,UnitOfMeasure,ConsumedQuantity,ResourceRate,ExtendedCost,IsRecurringCharge,Tags\r\n" +
				`2019-05-01T00:00:00,2019-05-01T23:59:59,sub-guid,sub,company2,acct,CC-1,SendGrid,SendGrid-Free,free,Monthly,1.000000000000000,0.000000000000000,3.000067456,True,"{  ""billing-service-component"": ""Exasol-Prod""}"` + "\r\n" +
				`05/02/2019,,sub-guid,sub,company2,acct,CC-1,"Barracuda Networks, Inc.",waf,hourly,1 Hour,2,1.5,3,False,` + "\r\n",
			market: []billing.MarketplaceCharge{
				{UsageStart: day(2019, 5, 1), UsageEnd: day(2019, 5, 1).Add(24*time.Hour - time.Second), Department: "company2", AccountName: "acct", CostCenter: "CC-1",
					SubscriptionID: "sub-guid", SubscriptionName: "sub", Publisher: "SendGrid", Offer: "SendGrid-Free", Plan: "free", UnitOfMeasure: "Monthly",
					Quantity: 1, Rate: 0, Cost: 3.000067456, Recurring: true, Tags: map[string]string{"billing-service-component": "Exasol-Prod"}},
				{UsageStart: day(2019, 5, 2), UsageEnd: day(2019, 5, 2).Add(24*time.Hour - time.Second), Department: "company2", AccountName: "acct", CostCenter: "CC-1",
					SubscriptionID: "sub-guid", SubscriptionName: "sub", Publisher: "Barracuda Networks, Inc.", Offer: "waf", Plan: "hourly", UnitOfMeasure: "1 Hour",
					Quantity: 2, Rate: 1.5, Cost: 3},
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{bufferSize, 16} {
				old := bufferSize
				bufferSize = size
				var r io.Reader = iotest.HalfReader(strings.NewReader(tc.in))
				if size < old {
					r = iotest.OneByteReader(strings.NewReader(tc.in))
				}
				res := readWith(Options{Name: "test", MaxRecordBytes: 1 << 20}, r, tc.schema)
				bufferSize = old
				if tc.err == "" && res.err != nil || tc.err != "" && (res.err == nil || !strings.Contains(res.err.Error(), tc.err)) {
					t.Fatalf("buffer %d: error %v, want %q", size, res.err, tc.err)
				}
				if !reflect.DeepEqual(res.usage, tc.usage) {
					t.Errorf("buffer %d: usage\n got %+v\nwant %+v", size, res.usage, tc.usage)
				}
				if !reflect.DeepEqual(res.market, tc.market) {
					t.Errorf("buffer %d: marketplace\n got %+v\nwant %+v", size, res.market, tc.market)
				}
			}
		})
	}
}

func TestTagForms(t *testing.T) {
	tests := []struct {
		in   string // the Tags column, after CSV unquoting
		want map[string]string
	}{
		{``, nil},
		{`   `, nil},
		{`{}`, nil},
		{`{  }`, nil},
		{`{"env":"prod"}`, map[string]string{"env": "prod"}},
		{`{  "env": "prod",  "team": "payments"}`, map[string]string{"env": "prod", "team": "payments"}},
		{`"env": "prod","team": "x"`, map[string]string{"env": "prod", "team": "x"}},
		{` "env" : "prod" , "team":"x" `, map[string]string{"env": "prod", "team": "x"}},
		{`{"k":"say \"hi\"","p":"C:\\temp","u":"caf\u00e9 \ud83d\ude00","s":"a\/b\tc"}`, map[string]string{"k": `say "hi"`, "p": `C:\temp`, "u": "café 😀", "s": "a/b\tc"}},
		{`"k\"ey": "v\\"`, map[string]string{`k"ey`: `v\`}},
		{`{"créé-par":"José"}`, map[string]string{"créé-par": "José"}},
		{`{"lone":"\ud800x"}`, map[string]string{"lone": "\ufffdx"}},
		{`{"n":1.50,"b":true,"z":null,"o":{"a":[1]}}`, map[string]string{"n": "1.5", "b": "true", "z": "", "o": `{"a":[1]}`}},
		{`"n": 1, "s": "x"`, map[string]string{"n": "1", "s": "x"}},
		{`{"dup":"a","dup":"b"}`, map[string]string{"dup": "b"}},
		{`{"bad":"x\q"}`, nil},
		{`{"open":"x"`, nil},
		{`{"a":"b"} trailing`, nil},
		{`"a":"b",`, nil},
		{`["a","b"]`, nil},
		{`"just a string"`, nil},
		{`env=prod`, nil},
		{"{\"ctl\":\"a\x01b\"}", nil},
		{"{\"bad-utf8\":\"a\xffb\"}", map[string]string{"bad-utf8": "a\ufffdb"}},
	}
	var tr tagReader
	for _, tc := range tests {
		tr.arena = tr.arena[:0]
		got := tr.read(tc.in)
		if len(got) == 0 {
			got = nil
		}
		if !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
			t.Errorf("%q: got %v, want %v", tc.in, got, tc.want)
		}
	}
	// Through a whole file: the CSV quoting of the EA and Cost Details forms.
	in := eaHeader + "\n" +
		eaRow("2024-03-05", "1", "a", `"{  ""env"": ""prod"",  ""team"": ""x""}"`, "False") + "\n" +
		eaRow("2024-03-05", "1", "b", `"""env"": ""prod"",""team"": ""x"""`, "False") + "\n" +
		eaRow("2024-03-05", "1", "c", `"{""note"":""a \""quoted\"", value""}"`, "False") + "\n" +
		eaRow("2024-03-05", "1", "d", ``, "False") + "\n"
	res := readString(EAUsage, in)
	if res.err != nil {
		t.Fatal(res.err)
	}
	want := []map[string]string{{"env": "prod", "team": "x"}, {"env": "prod", "team": "x"}, {"note": `a "quoted", value`}, nil}
	for i, w := range want {
		if !maps.Equal(res.usage[i].Tags, w) || (res.usage[i].Tags == nil) != (w == nil) {
			t.Errorf("row %d: tags %v, want %v", i, res.usage[i].Tags, w)
		}
	}
}

// TestCorpus reads every style of the generated corpus and compares each
// record with the one the generator meant, through whole reads, one byte at
// a time, and a buffer small enough to refill inside most records.
func TestCorpus(t *testing.T) {
	for st := style(0); st < nStyles; st++ {
		t.Run(st.String(), func(t *testing.T) {
			data, want := corpus(st, uint64(st)+1, 3000)
			check := func(t *testing.T, res result, want []any) {
				t.Helper()
				if res.err != nil {
					t.Fatal(res.err)
				}
				if got := int(res.stats.Usage + res.stats.Marketplace); got != len(want) || int(res.stats.Records) != len(want) {
					t.Fatalf("%d rows (stats %+v), want %d", got, res.stats, len(want))
				}
				u, m := 0, 0
				for i, w := range want {
					switch w := w.(type) {
					case *billing.UsageRow:
						if !reflect.DeepEqual(&res.usage[u], w) {
							t.Fatalf("row %d:\n got %+v\nwant %+v", i, res.usage[u], *w)
						}
						u++
					case *billing.MarketplaceCharge:
						if !reflect.DeepEqual(&res.market[m], w) {
							t.Fatalf("row %d:\n got %+v\nwant %+v", i, res.market[m], *w)
						}
						m++
					}
				}
				if st.schema() == CostDetails && len(want) > 1000 && (m == 0 || u == 0) {
					t.Errorf("%d usage and %d marketplace rows: the corpus should have both", u, m)
				}
			}
			check(t, readWith(Options{}, bytes.NewReader(data), st.schema()), want)
			small, wantSmall := corpus(st, uint64(st)+100, 300)
			check(t, readWith(Options{}, iotest.OneByteReader(bytes.NewReader(small)), st.schema()), wantSmall)
			defer func(old int) { bufferSize = old }(bufferSize)
			bufferSize = 700
			check(t, readWith(Options{}, iotest.HalfReader(bytes.NewReader(data)), st.schema()), want)
		})
	}
}

func TestReadErrors(t *testing.T) {
	data, _ := corpus(styleCostDetails, 7, 200)
	boom := errors.New("boom")

	// The reader's error, after the rows before it.
	res := readWith(Options{}, iotest.TimeoutReader(iotest.OneByteReader(bytes.NewReader(data))), CostDetails)
	if !errors.Is(res.err, iotest.ErrTimeout) {
		t.Errorf("reader error: %v", res.err)
	}
	res = readWith(Options{}, io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(boom)), CostDetails)
	var e *Error
	if !errors.Is(res.err, boom) || !errors.As(res.err, &e) || e.Line == 0 || len(res.usage) == 0 {
		t.Errorf("reader error: %v after %d rows", res.err, len(res.usage))
	}

	// A callback's error, as it is.
	n := 0
	_, err := Read(bytes.NewReader(data), CostDetails, func(*billing.UsageRow) error {
		if n++; n == 5 {
			return boom
		}
		return nil
	}, nil)
	if err != boom || n != 5 {
		t.Errorf("callback error: %v after %d rows", err, n)
	}

	// A nil callback skips.
	st, err := Read(bytes.NewReader(data), CostDetails, nil, nil)
	if err != nil || st.Skipped != st.Records || st.Records != 200 || st.Usage+st.Marketplace != 0 {
		t.Errorf("nil callbacks: %+v, %v", st, err)
	}

	// A record larger than the limit.
	huge := eaHeader + "\n" + eaRow("2024-03-05", "1", `"`+strings.Repeat("x, ", 100000)+`"`, "", "False") + "\n"
	res = readWith(Options{Name: "huge", MaxRecordBytes: 64 << 10}, strings.NewReader(huge), EAUsage)
	if !errors.Is(res.err, ErrRecordTooLarge) || !strings.Contains(res.err.Error(), `EA usage CSV "huge", line 2: record larger than the limit (65536 bytes)`) {
		t.Errorf("huge record: %v", res.err)
	}
	// ... which a larger limit reads.
	if res = readWith(Options{MaxRecordBytes: 1 << 20}, strings.NewReader(huge), EAUsage); res.err != nil || len(res.usage[0].Department) != 300000 {
		t.Errorf("huge record, larger limit: %v", res.err)
	}
	// Commas without end.
	res = readWith(Options{}, strings.NewReader(strings.Repeat(",", 10000)+"\n"+eaHeader+"\n"), EAUsage)
	if res.err != nil {
		t.Errorf("commas before the header: %v", res.err)
	}
	res = readWith(Options{}, strings.NewReader(eaHeader+"\n"+strings.Repeat(",", 10000)), EAUsage)
	if res.err == nil || !strings.Contains(res.err.Error(), "line 2: wrong number of fields: more than the header's 12") {
		t.Errorf("commas: %v", res.err)
	}
	if _, err := Read(strings.NewReader(""), Schema(9), nil, nil); err == nil {
		t.Error("unknown schema read")
	}
	if e := (&Error{Schema: CostDetails, Err: ErrNoHeader}); e.Error() != "usagecsv: Cost Details CSV: no header row found" {
		t.Errorf("error text %q", e.Error())
	}
}

// TestRowsAreReused documents the contract: the row and its strings are
// the reader's, valid until the callback returns.
func TestRowsAreReused(t *testing.T) {
	data, _ := corpus(styleEA, 3, 10)
	var first *billing.UsageRow
	var keep string
	_, err := Read(bytes.NewReader(data), EAUsage, func(r *billing.UsageRow) error {
		if first == nil {
			first, keep = r, strings.Clone(r.SubscriptionID)
		} else if r != first {
			t.Fatal("a new row per record")
		}
		return nil
	}, nil)
	if err != nil || keep == "" {
		t.Fatal(err)
	}
}

func TestColumnsDocumented(t *testing.T) {
	for _, s := range []Schema{EAUsage, EAMarketplace, CostDetails} {
		cols := s.Columns()
		if len(cols) == 0 {
			t.Fatalf("%v: no columns", s)
		}
		dept := ""
		for _, c := range cols {
			if strings.HasSuffix(c.Field, "Department") {
				dept = c.Names[0]
			}
		}
		want := map[Schema]string{EAUsage: "DepartmentName", EAMarketplace: "DepartmentName", CostDetails: "InvoiceSectionName"}[s]
		if dept != want {
			t.Errorf("%v: department from %q, want %q", s, dept, want)
		}
	}
	if Schema(0).String() != "Schema(0)" {
		t.Error(Schema(0).String())
	}
}

// TestAllocations holds the reader to its allocation budget: < 0.1 per row
// (in fact a handful per file: the header's table).
func TestAllocations(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	for _, st := range []style{styleEA, styleCostDetails} {
		data, rows := corpusBytes(st, 11, 4<<20)
		sum := 0.0
		allocs := testing.AllocsPerRun(3, func() {
			_, err := Read(bytes.NewReader(data), st.schema(), func(r *billing.UsageRow) error { sum += r.Cost; return nil },
				func(m *billing.MarketplaceCharge) error { sum += m.Cost; return nil })
			if err != nil {
				t.Fatal(err)
			}
		})
		if per := allocs / float64(rows); per >= 0.1 {
			t.Errorf("%v: %.0f allocations for %d rows (%.3f a row)", st, allocs, rows, per)
		} else {
			t.Logf("%v: %.0f allocations for %d rows (%.4f a row)", st, allocs, rows, per)
		}
	}
}

// TestMemoryBound streams a file much larger than the reader's buffer and
// checks that the heap stays small: memory does not grow with the file.
func TestMemoryBound(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	const size = 64 << 20
	src := newStreamReader(styleCostDetails, 5, size)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	peak := uint64(0)
	n := 0
	sample := func() {
		if n++; n%20000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	total := 0.0
	st, err := Read(src, CostDetails, func(r *billing.UsageRow) error { total += r.Cost; sample(); return nil },
		func(m *billing.MarketplaceCharge) error { total += m.Cost; sample(); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes < size || int(st.Records) != src.rows {
		t.Fatalf("read %d bytes, %d records; served %d rows", st.Bytes, st.Records, src.rows)
	}
	if d := total - src.cost; d > 1e-6*src.cost || d < -1e-6*src.cost {
		t.Errorf("cost %f, served %f", total, src.cost)
	}
	// The stream's own block is 4 MiB; the reader needs its 256 KiB buffer.
	if growth := int64(peak) - int64(base); growth > 8<<20 {
		t.Errorf("heap in use grew by %d MiB reading %d MiB", growth>>20, size>>20)
	} else {
		t.Logf("heap in use: %.1f MiB before, peak %.1f MiB, reading %d MiB", float64(base)/(1<<20), float64(peak)/(1<<20), size>>20)
	}
}

func ExampleRead() {
	in := "Usage report\r\n\r\n" +
		"Date,Cost,ConsumedQuantity,DepartmentName,AccountName,SubscriptionGuid,SubscriptionName,MeterCategory,MeterSubCategory,MeterName,Tags\r\n" +
		`2024-03-05,1.5,2,Platform,ops,0000-1111,prod,Storage,Tables,Reads,"{""env"":""prod""}"` + "\r\n"
	byDept := map[string]float64{}
	st, err := Read(strings.NewReader(in), EAUsage, func(r *billing.UsageRow) error {
		if _, ok := byDept[r.Department]; !ok {
			byDept[strings.Clone(r.Department)] = 0 // keep a clone, never the row's string
		}
		byDept[r.Department] += r.Cost
		return nil
	}, nil)
	fmt.Println(byDept, st.Usage, err)
	// Output: map[Platform:1.5] 1 <nil>
}

// TestFastNumber holds the number fast path to strconv.ParseFloat.
func TestFastNumber(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200000; i++ {
		var b strings.Builder
		if rng.IntN(4) == 0 {
			b.WriteByte('-')
		}
		for k := rng.IntN(18); k >= 0; k-- {
			b.WriteByte(byte('0' + rng.IntN(10)))
		}
		if rng.IntN(3) > 0 {
			b.WriteByte('.')
			for k := rng.IntN(24); k > 0; k-- {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		s := b.String()
		want, err := strconv.ParseFloat(s, 64)
		got, gerr := parseNumber(s)
		if (err != nil) != (gerr != nil) || err == nil && math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v %v, strconv %v %v", s, got, gerr, want, err)
		}
	}
}
