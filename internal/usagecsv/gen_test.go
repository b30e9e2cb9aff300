package usagecsv

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// A deterministic generator of realistic files, for the tests and the
// benchmarks: EA usage downloads (English and localised headers), an EA
// marketplace file and Cost Details blobs (the documented PascalCase
// columns, an older camelCase dataset in another order, RFC 3339 dates),
// with what real rows have: long resource ids, tags JSON with escapes and
// non-ASCII text in three forms, quoted commas and quotes in names, some
// quoted newlines, numbers in the invariant culture's notations (15
// decimals, exponents, refunds), CRLF or LF, a byte-order mark. Each row
// comes with the record it must decode to.

type style int

const (
	styleEA                 style = iota // EA download: BOM, title, blank line, CRLF, yyyy-MM-dd
	styleEALocalised                     // the same with the French header and MM/dd/yyyy
	styleEAMarketplace                   // EA marketplace charges
	styleCostDetails                     // Cost Details, dataset 2024-08-01: LF, MM/dd/yyyy
	styleCostDetailsCamel                // an older dataset: BOM, camelCase, alphabetical, yyyy-MM-dd
	styleCostDetailsRFC3339              // CRLF, RFC 3339 timestamps
	nStyles
)

func (s style) schema() Schema {
	switch s {
	case styleEA, styleEALocalised:
		return EAUsage
	case styleEAMarketplace:
		return EAMarketplace
	}
	return CostDetails
}

func (s style) String() string {
	return [...]string{"EA", "EALocalised", "EAMarketplace", "CostDetails", "CostDetailsCamel", "CostDetailsRFC3339"}[s]
}

// eaColumns are the 40 columns of the EA v3 CSV, in order (reference §4).
var eaColumns = strings.Split("AccountId,AccountName,AccountOwnerEmail,AdditionalInfo,ConsumedQuantity,ConsumedService,ConsumedServiceId,Cost,CostCenter,Date,DepartmentId,DepartmentName,InstanceId,MeterCategory,MeterId,MeterName,MeterRegion,MeterSubCategory,Product,ProductId,ResourceGroup,ResourceLocation,ResourceLocationId,ResourceRate,ServiceAdministratorId,ServiceInfo1,ServiceInfo2,StoreServiceIdentifier,SubscriptionGuid,SubscriptionId,SubscriptionName,Tags,UnitOfMeasure,PartNumber,ResourceGuid,OfferId,ChargesBilledSeparately,Location,ServiceName,ServiceTier", ",")

// eaFrenchHeader is the localised header of the captured download
// (reference §4), verbatim.
const eaFrenchHeader = "ID du compte (AccountId),Nom du compte (AccountName),Adresse e-mail du propriétaire du compte (AccountOwnerEmail),Informations supplémentaires (AdditionalInfo),Quantité consommée (ConsumedQuantity),Service consommé (ConsumedService),ID du service consommé (ConsumedServiceId),Coût (Cost),Centre de coûts (CostCenter),Date (Date),ID du service (DepartmentId),Nom du service (DepartmentName),ID d'instance (InstanceId),Catégorie du compteur (MeterCategory),ID du compteur (MeterId),Nom du compteur (MeterName),Région du compteur (MeterRegion),Sous-catégorie du compteur (MeterSubCategory),Produit (Product),ID du produit (ProductId),Groupe de ressources (ResourceGroup),Emplacement des ressources (ResourceLocation),ID d'emplacement des ressources (ResourceLocationId),Taux de ressources (ResourceRate),ID de l'administrateur de service (ServiceAdministratorId),Informations de service 1 (ServiceInfo1),Informations de service 2 (ServiceInfo2),Identificateur du service Store (StoreServiceIdentifier),Guid d'abonnement (SubscriptionGuid),ID d'abonnement (SubscriptionId),Nom de l'abonnement (SubscriptionName),Balises (Tags),Unité de mesure (UnitOfMeasure),PartNumber (PartNumber),ResourceGuid (ResourceGuid),OfferId (OfferId),ChargesBilledSeparately (ChargesBilledSeparately),Emplacement (Location),ServiceName (ServiceName),ServiceTier (ServiceTier)"

// eaMarketplaceColumnNames: the marketplace report's fields as CSV columns.
var eaMarketplaceColumnNames = strings.Split("SubscriptionGuid,SubscriptionName,MeterId,UsageStartDate,UsageEndDate,OfferName,ResourceGroup,InstanceId,AdditionalInfo,Tags,OrderNumber,UnitOfMeasure,CostCenter,AccountId,AccountName,AccountOwnerId,DepartmentId,DepartmentName,PublisherName,PlanName,ConsumedQuantity,ResourceRate,ExtendedCost,IsRecurringCharge", ",")

// cdColumns are the EA Cost Details columns, dataset 2024-08-01 (reference
// §3b), in order.
var cdColumns = strings.Split("InvoiceSectionName,AccountName,AccountOwnerId,SubscriptionId,SubscriptionName,ResourceGroup,ResourceLocation,Date,ProductName,MeterCategory,MeterSubCategory,MeterId,MeterName,MeterRegion,UnitOfMeasure,Quantity,EffectivePrice,CostInBillingCurrency,CostCenter,ConsumedService,ResourceId,Tags,OfferId,AdditionalInfo,ServiceInfo1,ServiceInfo2,ResourceName,ReservationId,ReservationName,UnitPrice,ProductOrderId,ProductOrderName,Term,PublisherType,PublisherName,ChargeType,Frequency,PricingModel,AvailabilityZone,BillingAccountId,BillingAccountName,BillingCurrencyCode,BillingPeriodStartDate,BillingPeriodEndDate,BillingProfileId,BillingProfileName,InvoiceSectionId,IsAzureCreditEligible,PartNumber,PayGPrice,PlanName,ServiceFamily,CostAllocationRuleName,benefitId,benefitName,AccountId,ResourceLocationNormalized", ",")

type genMeter struct {
	id, category, subcategory, name, region, unit, service, product, rtype, tier string
}

var genMeters = []genMeter{
	{"a1b2c3d4-0001-4c1e-9d1a-3f2b4c5d6e01", "Virtual Machines", "Dv3/DSv3 Series", "D4 v3/D4s v3", "EU West", "1 Hour", "Microsoft.Compute", "Virtual Machines Dv3/DSv3 Series - D4 v3/D4s v3 - EU West", "virtualMachines", "Dv3/DSv3 Series"},
	{"a1b2c3d4-0002-4c1e-9d1a-3f2b4c5d6e02", "Virtual Machines", "Esv5 Series", "E8s v5", "EU West", "1 Hour", "Microsoft.Compute", "Virtual Machines Esv5 Series - E8s v5 - EU West", "virtualMachines", "Esv5 Series"},
	{"a1b2c3d4-0005-4c1e-9d1a-3f2b4c5d6e05", "Storage", "Premium SSD Managed Disks", "P30 LRS Disk", "EU West", "1/Month", "Microsoft.Compute", "Premium SSD Managed Disks - P30 LRS - EU West", "disks", "Premium SSD Managed Disks"},
	{"a1b2c3d4-0007-4c1e-9d1a-3f2b4c5d6e07", "Storage", "Blob Storage", "Hot LRS Data Stored", "EU West", "1 GB/Month", "Microsoft.Storage", "Blob Storage - Hot LRS - EU West", "storageAccounts", "Blob Storage"},
	{"b9e5e77c-a0b3-4a2c-9b8b-57fa54f31c52", "Storage", "Tables", "Batch Write Operations", "EU North", "100000000", "Microsoft.Storage", "Tables - Batch Write Operations", "storageAccounts", "Tables"},
	{"a1b2c3d4-0009-4c1e-9d1a-3f2b4c5d6e09", "Bandwidth", "Inter-Region", "Intra Continent Data Transfer Out", "Zone 1", "1 GB", "Microsoft.Network", "Bandwidth - Inter-Region Data Transfer Out - Zone 1", "publicIPAddresses", "Inter-Region"},
	{"a1b2c3d4-0011-4c1e-9d1a-3f2b4c5d6e11", "SQL Database", "General Purpose - Compute Gen5", "vCore", "EU West", "1 Hour", "Microsoft.Sql", "SQL Database General Purpose - Compute Gen5 - vCore - EU West", "servers/databases", "General Purpose - Compute Gen5"},
	{"c0f5cb45-6fb1-41c9-8545-72ad400d9da4", "Azure App Service", "", "F1", "EU North", "1 Hour", "Microsoft.Web", "Azure App Service Free Plan - F1", "sites", "Free and Shared"},
	{"a1b2c3d4-0014-4c1e-9d1a-3f2b4c5d6e14", "Log Analytics", "Analytics Logs", "Data Ingestion", "EU West", "1 GB", "Microsoft.OperationalInsights", "Log Analytics - Analytics Logs Data Ingestion - EU West", "workspaces", "Analytics Logs"},
	{"a1b2c3d4-0015-4c1e-9d1a-3f2b4c5d6e15", "Azure Kubernetes Service", "Standard", "Uptime SLA", "EU West", "1 Hour", "Microsoft.ContainerService", "Azure Kubernetes Service - Uptime SLA - EU West", "managedClusters", "Standard"},
}

var genDepartments = []struct{ name, costCenter string }{
	{"Platform", "CC-1100"},
	{"Data, Analytics & AI", "CC-1200"}, // a comma: quoted
	{`Retail "Web"`, "CC-2100"},         // quotes: "" escapes
	{"Sécurité", "CC-1300"},             // non-ASCII
	{"Finance IT", "1234567-0000325200"},
	{"Shared Services", ""},
}

var genOffers = []struct{ publisher, offer, plan, unit string }{
	{"SendGrid", "SendGrid-Free", "free", "Monthly"},
	{"Barracuda Networks, Inc.", "barracuda-waf", "hourly", "1 Hour"},
	{"Kemp", "Virtual LoadMaster™ (VLM) for Azure", "vlm-500", "10 Hours"},
}

type genSub struct{ guid, name, dept, account, costCenter string }

type generator struct {
	st   style
	rng  *rand.Rand
	subs []genSub
	rows int
	cols []string
	nl   string
	day  time.Time
	// dates formats the date of a row in the style's form.
	rec map[string]string
	w   bytes.Buffer
}

func newGenerator(st style, seed uint64) *generator {
	g := &generator{st: st, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), rec: map[string]string{}}
	for i := 0; i < 40; i++ {
		dept := genDepartments[i%len(genDepartments)]
		name := fmt.Sprintf("%s-sub-%02d", strings.ToLower(strings.Fields(dept.name)[0]), i)
		if i%13 == 5 {
			name = "Legacy, \"classic\" subscription " + strconv.Itoa(i)
		}
		if i%17 == 3 {
			name = "Migrated\nsubscription " + strconv.Itoa(i) // a quoted newline
		}
		g.subs = append(g.subs, genSub{
			guid:       fmt.Sprintf("%08x-%04x-4%03x-9%03x-%012x", g.rng.Uint32(), g.rng.Uint32()&0xffff, g.rng.Uint32()&0xfff, g.rng.Uint32()&0xfff, g.rng.Uint64()&0xffffffffffff),
			name:       name,
			dept:       dept.name,
			account:    fmt.Sprintf("account_%d@contoso.example", i%7),
			costCenter: dept.costCenter,
		})
	}
	g.nl = "\n"
	switch st {
	case styleEA, styleEALocalised, styleEAMarketplace, styleCostDetailsRFC3339:
		g.nl = "\r\n"
	}
	switch st {
	case styleEA, styleEALocalised:
		g.cols = eaColumns
	case styleEAMarketplace:
		g.cols = eaMarketplaceColumnNames
	case styleCostDetails, styleCostDetailsRFC3339:
		g.cols = cdColumns
	case styleCostDetailsCamel:
		for _, c := range cdColumns {
			g.cols = append(g.cols, strings.ToLower(c[:1])+c[1:])
		}
		sort.Strings(g.cols)
	}
	g.day = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	return g
}

// preamble is what comes before the first row: BOM, title, header.
func (g *generator) preamble() []byte {
	var b bytes.Buffer
	switch g.st {
	case styleEA:
		b.WriteString("\ufeffUsageDetail Report for Billing Period - 202403" + g.nl + g.nl)
		b.WriteString(strings.Join(g.cols, ","))
	case styleEALocalised:
		b.WriteString("\ufeffRapport UsageDetail pour la période de facturation - (UsageDetail Report for Billing Period -) 202403" + g.nl + g.nl)
		b.WriteString(eaFrenchHeader)
	case styleEAMarketplace:
		b.WriteString("Marketplace Charges Report for Billing Period - 202403" + g.nl + g.nl)
		b.WriteString(strings.Join(g.cols, ","))
	case styleCostDetailsCamel:
		b.WriteString("\ufeff")
		b.WriteString(strings.Join(g.cols, ","))
	default:
		b.WriteString(strings.Join(g.cols, ","))
	}
	b.WriteString(g.nl)
	return b.Bytes()
}

func (g *generator) pick(n int) int { return g.rng.IntN(n) }

// number writes about v in one of the notations the files use (amounts
// are decimals: up to 15 places, reference §4) and returns the text and the
// value it stands for.
func (g *generator) number(v float64) (string, float64) {
	var s string
	places := g.pick(16)
	m := int64(v * math.Pow10(places%8))
	dec := func(m int64, places int) string {
		t := strconv.FormatInt(m, 10)
		for len(t) <= places {
			t = "0" + t
		}
		if places == 0 {
			return t
		}
		return t[:len(t)-places] + "." + t[len(t)-places:]
	}
	switch k := g.pick(20); {
	case k < 8:
		s = dec(m, places%8) + strings.Repeat("0", 15-places%8) // 15 places: "1.500000000000000"
		if places%8 == 0 {
			s = dec(m, 0) + "." + strings.Repeat("0", 15)
		}
	case k < 14:
		s = dec(m, places) // "0.000295194820065"
	case k < 16:
		s = strconv.FormatFloat(v/1e6, 'E', 1+g.pick(6), 64) // 1.2E-05
	case k < 17:
		s = strconv.FormatFloat(v/1e7, 'e', -1, 64) // 3.5e-07
	case k < 18:
		s = strconv.Itoa(int(v))
	case k < 19:
		s = "-" + dec(m, places%8) // a refund
	default:
		s = "0"
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return s, f
}

var tagKeys = []string{"env", "team", "CostCenter", "owner", "app", "Data Classification", "créé-par", "hidden-title"}
var tagValues = []string{"prod", "staging", "dev", "payments", `say "hi"`, `C:\temp\x`, "café ☕", "a, b and c", "x\ty", "https://contoso.example/a?b=c&d=e", ""}

// tags returns the Tags text in one of the JSON forms, and the map it
// stands for.
func (g *generator) tags() (string, map[string]string) {
	n := g.pick(7) - 1 // -1: no tags at all
	if n < 0 {
		return "", nil
	}
	m := map[string]string{}
	var parts []string
	compact := g.pick(3) == 0
	for i := 0; i < n; i++ {
		k := tagKeys[g.pick(len(tagKeys))]
		if _, dup := m[k]; dup {
			continue
		}
		v := tagValues[g.pick(len(tagValues))]
		if g.pick(10) == 0 {
			v = fmt.Sprintf("%s-%d", v, g.pick(1000))
		}
		m[k] = v
		kj, _ := json.Marshal(k)
		vj, _ := json.Marshal(v)
		if g.pick(5) == 0 {
			vj = []byte(asciiJSON(v)) // \u00e9 escapes
		}
		if compact {
			parts = append(parts, string(kj)+":"+string(vj))
		} else {
			parts = append(parts, string(kj)+": "+string(vj))
		}
	}
	if len(m) == 0 {
		return "{}", nil
	}
	body := strings.Join(parts, ",")
	switch {
	case g.st.schema() == CostDetails && g.pick(2) == 0:
		return body, m // without the braces
	case compact:
		return "{" + body + "}", m
	}
	return "{  " + strings.Join(parts, ",  ") + "}", m
}

// asciiJSON is v as a JSON string with every non-ASCII rune escaped.
func asciiJSON(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range v {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r < 0x80:
			b.WriteRune(r)
		case r > 0xffff:
			r1, r2 := (r-0x10000)>>10+0xd800, (r-0x10000)&0x3ff+0xdc00
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&b, `\u%04X`, r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func (g *generator) date(t time.Time) string {
	switch g.st {
	case styleEA, styleCostDetailsCamel:
		return t.Format("2006-01-02")
	case styleCostDetailsRFC3339:
		return t.Format(time.RFC3339)
	}
	return t.Format("01/02/2006")
}

// row renders the next row and returns it with the record it stands for
// (a *billing.UsageRow or a *billing.MarketplaceCharge).
func (g *generator) row() ([]byte, any) {
	g.rows++
	if g.rows%1500 == 0 && g.day.Day() < 28 {
		g.day = g.day.AddDate(0, 0, 1)
	}
	clear(g.rec)
	rec := g.rec
	sub := g.subs[g.pick(len(g.subs))]
	rec["AccountName"] = sub.account
	rec["AccountOwnerEmail"] = sub.account
	rec["AccountOwnerId"] = sub.account
	rec["AccountId"] = strconv.Itoa(190000 + g.pick(50))
	rec["DepartmentName"] = sub.dept
	rec["InvoiceSectionName"] = sub.dept
	rec["DepartmentId"] = strconv.Itoa(79300 + g.pick(8))
	rec["InvoiceSectionId"] = rec["DepartmentId"]
	rec["CostCenter"] = sub.costCenter
	rec["SubscriptionGuid"] = sub.guid
	rec["SubscriptionName"] = sub.name
	tagsText, tags := g.tags()
	rec["Tags"] = tagsText
	info := `{  "ServiceType": "Standard_D4s_v3",  "ImageType": "Canonical",  "VCPUs": 4,  "UsageType": "ComputeHR"}`
	if g.pick(50) == 0 {
		info = "{\"Note\": \"first line\nsecond line\"}" // a quoted newline in an unread column
	}
	rec["AdditionalInfo"] = info
	cd := g.st.schema() == CostDetails
	if g.st == styleEAMarketplace || cd && g.pick(30) == 0 {
		return g.marketRow(sub, tags)
	}
	m := genMeters[g.pick(len(genMeters))]
	rg := fmt.Sprintf("rg-%s-%d", strings.ToLower(strings.Fields(sub.dept)[0]), g.pick(9))
	name := fmt.Sprintf("%s-%s-%06d-%x", strings.ToLower(strings.ReplaceAll(m.category, " ", "-")), rg, g.pick(1e6), g.rng.Uint64())
	rid := "/subscriptions/" + sub.guid + "/resourceGroups/" + rg + "/providers/" + m.service + "/" + m.rtype + "/" + name
	qText, q := g.number(float64(g.pick(100000)) / 997)
	cText, c := g.number(float64(g.pick(1000000)) / 10007)
	rec["ConsumedQuantity"], rec["Quantity"] = qText, qText
	rec["Cost"], rec["CostInBillingCurrency"] = cText, cText
	rec["ResourceRate"] = "0.192"
	rec["EffectivePrice"], rec["UnitPrice"], rec["PayGPrice"] = "0.192", "0.192", "0.2"
	rec["ConsumedService"] = m.service
	rec["ConsumedServiceId"] = strconv.Itoa(g.pick(200))
	rec["Date"] = g.date(g.day)
	rec["InstanceId"], rec["ResourceId"] = rid, rid
	rec["ResourceName"] = name
	rec["MeterCategory"], rec["MeterSubCategory"], rec["MeterName"], rec["MeterRegion"], rec["MeterId"] = m.category, m.subcategory, m.name, m.region, m.id
	rec["Product"], rec["ProductName"] = m.product, m.product
	rec["ProductId"] = strconv.Itoa(1000000 + g.pick(9999))
	rec["ResourceGroup"] = rg
	rec["ResourceLocation"] = "westeurope"
	rec["ResourceLocationNormalized"] = "westeurope"
	rec["ResourceLocationId"] = "19"
	rec["UnitOfMeasure"] = m.unit
	rec["PartNumber"] = "N9H-00758"
	rec["ResourceGuid"] = m.id
	rec["OfferId"] = "MS-AZR-0017P"
	rec["Location"] = m.region
	rec["ServiceName"], rec["ServiceTier"] = m.category, m.tier
	rec["ServiceFamily"] = "Compute"
	rec["SubscriptionId"] = "0"
	if cd {
		rec["SubscriptionId"] = sub.guid
	}
	rec["PublisherType"], rec["PublisherName"] = "Azure", "Microsoft"
	rec["ChargeType"], rec["Frequency"], rec["PricingModel"] = "Usage", "UsageBased", "OnDemand"
	rec["BillingAccountId"], rec["BillingAccountName"], rec["BillingProfileId"], rec["BillingProfileName"] = "1234567", "Contoso", "1234567", "Contoso"
	rec["BillingCurrencyCode"] = "EUR"
	rec["BillingPeriodStartDate"], rec["BillingPeriodEndDate"] = g.date(time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)), g.date(time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC))
	billed := g.pick(40) == 0
	rec["ChargesBilledSeparately"] = strconv.FormatBool(billed)
	rec["ChargesBilledSeparately"] = strings.ToUpper(rec["ChargesBilledSeparately"][:1]) + rec["ChargesBilledSeparately"][1:] // True/False
	rec["IsAzureCreditEligible"] = map[bool]string{true: "False", false: "True"}[billed]
	want := &billing.UsageRow{
		Date: g.day, Cost: c, Quantity: q,
		Department: sub.dept, AccountName: sub.account, CostCenter: sub.costCenter,
		SubscriptionID: sub.guid, SubscriptionName: sub.name,
		MeterID: m.id, MeterCategory: m.category, MeterSubcategory: m.subcategory, MeterName: m.name, MeterRegion: m.region,
		UnitOfMeasure: m.unit, ResourceGroup: rg, ResourceLocation: "westeurope",
		ServiceName: m.category, ServiceTier: m.tier, Product: m.product, ConsumedService: m.service,
		ChargesBilledSeparately: billed, Tags: tags,
	}
	if cd {
		want.ServiceTier = m.subcategory // Cost Details has no ServiceTier: MeterSubCategory
	}
	return g.render(), want
}

func (g *generator) marketRow(sub genSub, tags map[string]string) ([]byte, any) {
	rec := g.rec
	o := genOffers[g.pick(len(genOffers))]
	qText, q := g.number(float64(1 + g.pick(30)))
	cText, c := g.number(float64(g.pick(100000)) / 101)
	rText, r := g.number(float64(g.pick(1000)) / 7)
	recurring := g.pick(3) == 0
	end := g.day.Add(24*time.Hour - time.Second)
	if g.st == styleEAMarketplace {
		rec["UsageStartDate"] = g.day.Format("01/02/2006")
		rec["UsageEndDate"] = end.Format("01/02/2006 15:04:05")
		rec["OfferName"] = o.offer
		rec["ConsumedQuantity"], rec["ResourceRate"], rec["ExtendedCost"] = qText, rText, cText
		rec["IsRecurringCharge"] = map[bool]string{true: "True", false: "False"}[recurring]
		rec["AccountOwnerId"] = sub.account
		rec["OrderNumber"] = fmt.Sprintf("%x", g.rng.Uint64())
	} else {
		rec["Date"] = g.date(g.day)
		rec["Quantity"], rec["EffectivePrice"], rec["UnitPrice"], rec["CostInBillingCurrency"] = qText, rText, rText, cText
		rec["OfferId"] = o.offer
		rec["ProductName"] = o.offer + " - " + o.plan
		rec["Frequency"] = map[bool]string{true: "Recurring", false: "UsageBased"}[recurring]
		rec["PublisherType"] = "Marketplace"
		rec["SubscriptionId"] = sub.guid
		rec["IsAzureCreditEligible"] = "False"
		rec["ChargeType"] = "Usage"
	}
	rec["PublisherName"], rec["PlanName"], rec["UnitOfMeasure"] = o.publisher, o.plan, o.unit
	want := &billing.MarketplaceCharge{
		UsageStart: g.day, UsageEnd: end,
		Department: sub.dept, AccountName: sub.account, CostCenter: sub.costCenter,
		SubscriptionID: sub.guid, SubscriptionName: sub.name,
		Publisher: o.publisher, Offer: o.offer, Plan: o.plan, UnitOfMeasure: o.unit,
		Quantity: q, Rate: r, Cost: c, Recurring: recurring, Tags: tags,
	}
	return g.render(), want
}

// render writes g.rec in the header's order: Tags and AdditionalInfo
// always quoted (as the files do), other fields when they must be.
func (g *generator) render() []byte {
	g.w.Reset()
	for i, col := range g.cols {
		if i > 0 {
			g.w.WriteByte(',')
		}
		key := col
		if g.st == styleCostDetailsCamel {
			key = strings.ToUpper(col[:1]) + col[1:]
		}
		v := g.rec[key]
		if g.nl == "\r\n" {
			v = strings.ReplaceAll(v, "\n", "\r\n") // a CRLF file's quoted newlines are CRLF too
		}
		if key == "Tags" && v != "" || key == "AdditionalInfo" || strings.ContainsAny(v, ",\"\r\n") {
			g.w.WriteByte('"')
			g.w.WriteString(strings.ReplaceAll(v, `"`, `""`))
			g.w.WriteByte('"')
		} else {
			g.w.WriteString(v)
		}
	}
	g.w.WriteString(g.nl)
	return g.w.Bytes()
}

// corpus generates a file of n rows and the records they stand for.
func corpus(st style, seed uint64, n int) ([]byte, []any) {
	g := newGenerator(st, seed)
	out := g.preamble()
	want := make([]any, 0, n)
	for i := 0; i < n; i++ {
		b, w := g.row()
		out = append(out, b...)
		want = append(want, w)
	}
	return out, want
}

// corpusBytes generates a file of about size bytes.
func corpusBytes(st style, seed uint64, size int) (data []byte, rows int) {
	g := newGenerator(st, seed)
	out := g.preamble()
	for len(out) < size {
		b, _ := g.row()
		out = append(out, b...)
		rows++
	}
	return out, rows
}

// streamReader serves a file of total bytes without holding it: the
// preamble, then a block of pre-rendered rows over and over (so that
// serving costs next to nothing beside the decoder), with the last row
// complete. It counts the rows and their costs.
type streamReader struct {
	pre, block []byte
	blockRows  int
	blockCost  float64
	total      int64
	served     int64
	off        int
	inPre      bool
	rows       int
	cost       float64
}

func newStreamReader(st style, seed uint64, total int64) *streamReader {
	g := newGenerator(st, seed)
	s := &streamReader{pre: g.preamble(), total: total, inPre: true}
	for len(s.block) < 4<<20 {
		b, w := g.row()
		s.block = append(s.block, b...)
		s.blockRows++
		switch w := w.(type) {
		case *billing.UsageRow:
			s.blockCost += w.Cost
		case *billing.MarketplaceCharge:
			s.blockCost += w.Cost
		}
	}
	return s
}

func (s *streamReader) Read(p []byte) (int, error) {
	if s.inPre {
		n := copy(p, s.pre[s.off:])
		s.off += n
		s.served += int64(n)
		if s.off == len(s.pre) {
			s.inPre, s.off = false, 0
		}
		return n, nil
	}
	if s.off == 0 {
		if s.served >= s.total {
			return 0, io.EOF
		}
		s.rows += s.blockRows
		s.cost += s.blockCost
	}
	n := copy(p, s.block[s.off:])
	s.off += n
	s.served += int64(n)
	if s.off == len(s.block) {
		s.off = 0
	}
	return n, nil
}
