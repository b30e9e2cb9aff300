// Package usagecorpus generates usage-details pages shaped like the EA
// Reporting API's own, for benchmarks: a corpus that is not the simulator's
// rendering. It is deterministic (seeded) and independent of the simulator.
//
// Rows vary as real ones do (see the verbatim samples in the API reference):
//
//   - key case and order by API version: v3 (every v3 field, in the
//     documented order), v2 ("Cost"), v1 preview (extendedCost, and cost
//     too in its first revision, with reportId in the envelope);
//   - additionalInfo and tags as JSON inside a JSON string (escaped quotes,
//     "{  \"" style), long, with \uXXXX escapes and raw UTF-8;
//   - long instance ids (ARM resource ids);
//   - numbers in the notations the reference shows and .NET writes: plain
//     integers, 15 fixed decimals, short decimals, exponents (1E-05),
//     negative refunds, numeric strings;
//   - empty and null fields;
//   - compact pages and indented ones (CRLF or LF).
package usagecorpus

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Options describe a corpus.
type Options struct {
	Seed     uint64
	Rows     int // rows over all pages
	PageSize int // rows per page (default 1000, as the API pages)
	// Versions weights the API versions of pages: v3, v2, v1, v1 preview
	// (first revision). Zero: 70/15/10/5.
	Versions [4]int
	// Compact is the percentage of pages written without white space
	// (default 80; -1 for none).
	Compact int
}

func (o *Options) defaults() {
	if o.PageSize <= 0 {
		o.PageSize = 1000
	}
	if o.Versions == [4]int{} {
		o.Versions = [4]int{70, 15, 10, 5}
	}
	if o.Compact == 0 {
		o.Compact = 80
	}
}

// NumPages is the number of pages of the corpus.
func (o Options) NumPages() int {
	o.defaults()
	return (o.Rows + o.PageSize - 1) / o.PageSize
}

// Pages renders the whole corpus; link(i) is the nextLink of page i (the
// last page gets none).
func Pages(o Options, link func(page int) string) [][]byte {
	o.defaults()
	n := o.NumPages()
	out := make([][]byte, n)
	for i := range n {
		next := ""
		if i < n-1 && link != nil {
			next = link(i + 1)
		}
		out[i] = Page(o, i, next)
	}
	return out
}

// catalogue of the corpus: the same for every seed, so that aggregating
// gives a realistic number of label sets.
type meter struct {
	category, sub, name, unit, service, tier, consumed, part, product, info string
	rate                                                                    float64
}

var meters = []meter{
	{"Virtual Machines", "Dv3/DSv3 Series", "D4s v3", "1 Hour", "Virtual Machines", "Dv3/DSv3 Series", "Microsoft.Compute", "AAA-12345", "Virtual Machines Dv3/DSv3 Series - D4s v3 - EU West", `{  "UsageType": "ComputeHR",  "ImageType": "Canonical",  "ServiceType": "Standard_D4s_v3",  "VMName": "%s",  "VMProperties": "Microsoft.Compute/virtualMachines",  "VCPUs": 4,  "AHB": false}`, 0.192},
	{"Virtual Machines", "BS Series", "B2ms", "1 Hour", "Virtual Machines", "BS Series", "Microsoft.Compute", "AAA-23456", "Virtual Machines BS Series - B2ms - US East", `{  "UsageType": "ComputeHR",  "ImageType": null,  "ServiceType": "Standard_B2ms",  "VMName": "%s",  "VCPUs": 2}`, 0.0832},
	{"Storage", "Locally Redundant", "Premium Storage - Page Blob/P10 (Units)", "Units", "Storage", "Premium Page Blobs", "Microsoft.Storage", "ABC-12345", "Locally Redundant Storage Premium Storage - Page Blob/P10 - US West", `{  "DiskName": "%s_OsDisk_1_a3f8",  "SKU": "P10",  "Tier": "Premium"}`, 19.71},
	{"Storage", "Tables", "Batch Write Operations", "10K", "Storage", "Standard", "Microsoft.Storage", "ABC-23456", "Tables - Batch Write Operations - EU North", ``, 0.00036},
	{"Storage", "General Block Blob", "LRS Data Stored", "1 GB/Month", "Storage", "General Block Blob", "Microsoft.Storage", "ABC-34567", "General Block Blob - LRS Data Stored - EU West", ``, 0.024},
	{"Bandwidth", "", "Data Transfer Out (GB)", "1 GB", "Bandwidth", "", "Microsoft.Compute", "BND-00001", "Data Transfer Out - Zone 1", ``, 0.087},
	{"Azure App Service", "Standard Plan", "S1", "1 Hour", "Azure App Service", "Standard Plan", "Microsoft.Web", "APS-10001", "Azure App Service Standard Plan - S1 - EU North", `{  "AppServicePlanUri": "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Web/serverfarms/NorthEuropePlan"}`, 0.1},
	{"SQL Database", "Single Standard", "S2 DTUs", "1/Day", "SQL Database", "Single Standard", "Microsoft.Sql", "SQL-20002", "SQL Database Single Standard - S2 DTUs - EU West", `{  "ServerName": "sql-%s",  "DatabaseName": "db\u0027main",  "Edition": "Standard"}`, 2.4194},
	{"Azure Cosmos DB", "", "100 RU/s", "100/Hour", "Azure Cosmos DB", "", "Microsoft.DocumentDB", "CDB-30003", "Azure Cosmos DB - 100 RU/s - EU West", `{  "ConsumptionType": "Provisioned",  "AccountName": "cosmos-%s",  "Region": "West Europe"}`, 0.008},
	{"Networking", "Load Balancer", "Standard Data Processed", "1 GB", "Load Balancer", "Standard", "Microsoft.Network", "NET-40004", "Load Balancer - Standard Data Processed", ``, 0.005},
	{"Log Analytics", "", "Data Ingestion", "1 GB", "Log Analytics", "Pay-as-you-go", "Microsoft.OperationalInsights", "LOG-50005", "Log Analytics - Data Ingestion - Pay-as-you-go", `{  "WorkspaceName": "law-%s",  "Solution": "Security \u0026 Audit"}`, 2.76},
	{"Azure Kubernetes Service", "Uptime SLA", "Standard Uptime SLA", "1 Hour", "Azure Kubernetes Service", "Standard", "Microsoft.ContainerService", "AKS-60006", "Azure Kubernetes Service - Standard Uptime SLA", `{  "ClusterName": "aks-%s",  "NodePool": "system",  "Note": "\u003cmanaged\u003e"}`, 0.1},
	{"Virtual Network", "Private Link", "Standard Private Endpoint", "1 Hour", "Virtual Network", "Private Link", "Microsoft.Network", "VNT-70007", "Virtual Network Private Link - Standard Private Endpoint", ``, 0.01},
	{"Key Vault", "", "Operations", "10K", "Key Vault", "Standard", "Microsoft.KeyVault", "KVT-80008", "Key Vault - Operations", ``, 0.03},
	{"Azure Monitor", "", "Alerts Metric Monitored", "1/Month", "Azure Monitor", "", "Microsoft.Insights", "MON-90009", "Azure Monitor - Alerts Metric Monitored", `{  "AlertRule": "cpu \u003e 90%% on %s"}`, 0.1},
	{"Functions", "", "Standard Execution Time", "10 GB Seconds", "Functions", "Consumption", "Microsoft.Web", "FNC-11110", "Functions - Standard Execution Time", ``, 0.000016},
}

var (
	regions     = []string{"EU West", "EU North", "US East", "US West", "US West 2", "AP Southeast", "JA East", "UK South", "CH North", ""}
	locations   = []string{"westeurope", "northeurope", "eastus", "westus", "westus2", "southeastasia", "japaneast", "uksouth", "switzerlandnorth"}
	departments = []string{"Platform", `Data \u0026 Analytics`, "Département Finance", "Research", "Retail", "Shared Services", "東京 Engineering", "Security"}
	envs        = []string{"prod", "staging", "dev", "test", "sandbox"}
	owners      = []string{`Jos\u00e9 Garc\u00eda`, `Ren\u00e9e M\u00fcller`, "Li Wei", "Anna Svensson", `Bj\u00f6rn \u00c5berg`, `O\u0027Neil`}
)

type subscription struct {
	guid, name, dept, account, email, costCenter string
	accountID, deptID                            int
	groups                                       []string
}

func subscriptions(seed uint64) []subscription {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	subs := make([]subscription, 120)
	for i := range subs {
		d := r.IntN(len(departments))
		s := &subs[i]
		s.guid = guid(r)
		s.name = fmt.Sprintf("%s-%03d-%s", strings.Fields(departments[d])[0], i, envs[i%len(envs)])
		s.dept = departments[d]
		s.account = fmt.Sprintf("azure_%s-company%d", strings.ToLower(envs[i%len(envs)]), d)
		s.email = fmt.Sprintf("owner%d@company%d.example.com", i%37, d)
		s.costCenter = fmt.Sprintf("%07d-%010d", 1000000+d*13, 325200+i%9)
		s.accountID = 190000 + i*7
		s.deptID = 79000 + d
		for g := range 2 + r.IntN(4) {
			s.groups = append(s.groups, fmt.Sprintf("rg-%s-%s-%02d", strings.ToLower(strings.Fields(departments[d])[0]), envs[g%len(envs)], g))
		}
	}
	return subs
}

func guid(r *rand.Rand) string {
	const hex = "0123456789abcdef"
	var b [36]byte
	for i := range b {
		switch i {
		case 8, 13, 18, 23:
			b[i] = '-'
		default:
			b[i] = hex[r.IntN(16)]
		}
	}
	return string(b[:])
}

// Page renders page i of the corpus with the given nextLink.
func Page(o Options, i int, next string) []byte {
	o.defaults()
	subs := subscriptions(o.Seed)
	r := rand.New(rand.NewPCG(o.Seed, uint64(i)+1))
	rows := min(o.PageSize, o.Rows-i*o.PageSize)
	version := pick(r, o.Versions[:])
	w := &writer{compact: r.IntN(100) < o.Compact, nl: "\n"}
	if r.IntN(2) == 0 {
		w.nl = "\r\n"
	}
	w.b = make([]byte, 0, rows*1500+256)
	w.open('{')
	if version == 3 {
		w.str("reportId", fmt.Sprintf("usage-report-%d-%d", o.Seed, i))
	} else {
		w.str("id", fmt.Sprintf("enrollments/100/billingperiods/202611/usagedetails?page=%d", i))
	}
	w.key("data")
	w.open('[')
	for k := range rows {
		if k > 0 {
			w.comma()
		}
		w.indent()
		row(w, r, subs, version, i*o.PageSize+k)
	}
	w.close(']')
	if version == 2 || version == 3 {
		// v1 preview pages miss the comma before nextLink in the docs;
		// the corpus is valid JSON, so it is written, but last.
		w.str("nextLink", next)
	} else if next == "" && r.IntN(2) == 0 {
		w.key("nextLink")
		w.raw("null")
	} else {
		w.str("nextLink", next)
	}
	w.close('}')
	w.raw(w.nl)
	return w.b
}

func pick(r *rand.Rand, weights []int) int {
	t := 0
	for _, w := range weights {
		t += w
	}
	n := r.IntN(t)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return 0
}

// row writes one usage row of the given version (0 v3, 1 v2, 2 v1, 3 v1
// preview first revision).
func row(w *writer, r *rand.Rand, subs []subscription, version, n int) {
	s := &subs[r.IntN(len(subs))]
	m := &meters[r.IntN(len(meters))]
	rg := s.groups[r.IntN(len(s.groups))]
	day := 1 + n%28
	res := fmt.Sprintf("%s-%s-%02d", strings.ToLower(strings.ReplaceAll(strings.ReplaceAll(m.category, " ", ""), "/", "")), rg, r.IntN(40))
	instance := fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s", s.guid, rg, m.consumed, resourceType(m.consumed), res)
	qty := quantity(r)
	cost := qty * m.rate
	if r.IntN(50) == 0 {
		cost = -cost // a refund
	}
	loc := locations[r.IntN(len(locations))]
	w.open('{')
	field := func(name string, f func()) {
		w.key(name)
		f()
	}
	str := func(name, v string) { field(name, func() { w.quoted(v) }) }
	maybe := func(name, v string) { // empty or null now and then
		switch r.IntN(40) {
		case 0:
			field(name, func() { w.raw("null") })
		case 1:
			str(name, "")
		default:
			str(name, v)
		}
	}
	date := func() {
		switch version {
		case 0:
			str("date", fmt.Sprintf("2026-11-%02dT00:00:00", day))
		case 1, 2, 3:
			if r.IntN(3) == 0 {
				str("date", fmt.Sprintf("2026-11-%02dT%02d:%02d:%02d.%03dZ", day, r.IntN(24), r.IntN(60), r.IntN(60), r.IntN(1000)))
			} else {
				str("date", fmt.Sprintf("2026-11-%02dT00:00:00Z", day))
			}
		}
	}
	info := ""
	if m.info != "" && r.IntN(8) != 0 {
		info = m.info
		if strings.Contains(info, "%s/resourceGroups/%s") {
			info = fmt.Sprintf(info, s.guid, rg)
		} else if strings.Contains(info, "%s") {
			info = fmt.Sprintf(info, res)
		}
	}
	tags := tagsOf(r, s, rg)
	common := func() {
		field("accountId", func() { w.int(s.accountID) })
		field("productId", func() { w.int(1000 + r.IntN(9000)) })
		field("resourceLocationId", func() { w.int(10 + r.IntN(90)) })
		field("consumedServiceId", func() { w.int(1 + r.IntN(99)) })
		field("departmentId", func() { w.int(s.deptID) })
		str("accountOwnerEmail", s.email)
		str("accountName", s.account)
		str("serviceAdministratorId", strconv.Itoa(100+r.IntN(900)))
		field("subscriptionId", func() { w.int(r.IntN(2) * (5000000 + r.IntN(1000000))) })
		str("subscriptionGuid", s.guid)
		str("subscriptionName", s.name)
		date()
		str("product", m.product)
		str("meterId", guid(r))
		str("meterCategory", m.category)
		maybe("meterSubCategory", m.sub)
		str("meterRegion", regions[r.IntN(len(regions))])
		str("meterName", m.name)
	}
	tail := func() {
		str("resourceLocation", loc)
		str("consumedService", m.consumed)
		str("instanceId", instance)
		maybe("serviceInfo1", "")
		maybe("serviceInfo2", "")
		if info == "" {
			maybe("additionalInfo", "")
		} else {
			str("additionalInfo", info)
		}
		if tags == "" && r.IntN(4) == 0 {
			field("tags", func() { w.raw("null") })
		} else {
			str("tags", tags)
		}
		maybe("storeServiceIdentifier", "")
		str("departmentName", s.dept)
		maybe("costCenter", s.costCenter)
		str("unitOfMeasure", m.unit)
		str("resourceGroup", rg)
	}
	switch version {
	case 0: // v3, every field, in the documented order
		str("serviceName", m.service)
		maybe("serviceTier", m.tier)
		str("location", loc)
		field("chargesBilledSeparately", func() {
			switch r.IntN(10) {
			case 0:
				w.raw("true")
			case 1:
				w.quoted("False")
			default:
				w.raw("false")
			}
		})
		str("partNumber", m.part)
		str("resourceGuid", guid(r))
		str("offerId", "MS-AZR-0017P")
		field("cost", func() { w.number(r, cost) })
		common()
		field("consumedQuantity", func() { w.number(r, qty) })
		field("resourceRate", func() { w.number(r, m.rate) })
		tail()
	case 1: // v2: "Cost"
		common()
		field("consumedQuantity", func() { w.number(r, qty) })
		field("resourceRate", func() { w.number(r, m.rate) })
		field("Cost", func() { w.number(r, cost) })
		tail()
	case 2: // v1 preview, later revision: extendedCost only
		common()
		field("consumedQuantity", func() { w.number(r, qty) })
		field("resourceRate", func() { w.number(r, m.rate) })
		field("extendedCost", func() { w.number(r, cost) })
		tail()
	case 3: // v1 preview, first revision: enrollmentNumber, cost and extendedCost
		str("enrollmentNumber", "100")
		field("cost", func() { w.number(r, cost) })
		common()
		field("consumedQuantity", func() { w.number(r, qty) })
		field("resourceRate", func() { w.number(r, m.rate) })
		field("extendedCost", func() { w.number(r, cost) })
		tail()
	}
	w.close('}')
}

func resourceType(provider string) string {
	switch provider {
	case "Microsoft.Compute":
		return "virtualMachines"
	case "Microsoft.Storage":
		return "storageAccounts"
	case "Microsoft.Web":
		return "sites"
	case "Microsoft.Sql":
		return "servers"
	case "Microsoft.Network":
		return "loadBalancers"
	}
	return "resources"
}

func quantity(r *rand.Rand) float64 {
	switch r.IntN(4) {
	case 0:
		return float64(1 + r.IntN(24))
	case 1:
		return r.Float64() * 1e-4
	default:
		return r.Float64() * 100
	}
}

// tagsOf is a row's tags: JSON in a string, two-space style, sometimes with
// \u escapes (written as the API writes them, at the outer level) or
// empty.
func tagsOf(r *rand.Rand, s *subscription, rg string) string {
	if r.IntN(6) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("{")
	n := 0
	add := func(k, v string) {
		if n > 0 {
			b.WriteString(",")
		}
		n++
		b.WriteString(`  "`)
		b.WriteString(k)
		b.WriteString(`": "`)
		b.WriteString(v)
		b.WriteString(`"`)
	}
	if s.accountID%5 != 0 || r.IntN(50) == 0 {
		add("CostCenter", s.costCenter[:7])
	}
	env := envs[len(s.name)%len(envs)] // mostly the subscription's own
	if r.IntN(20) == 0 {
		env = envs[r.IntN(len(envs))]
	}
	add("env", env)
	if r.IntN(2) == 0 {
		add("owner", owners[r.IntN(len(owners))])
	}
	if r.IntN(3) == 0 {
		add("billing-service-component", "Exasol-Prod")
	}
	if r.IntN(3) == 0 {
		add("hidden-link:/subscriptions/"+s.guid+"/resourceGroups/"+rg, "Resource")
	}
	if r.IntN(4) == 0 {
		add("created-by", `terraform \u0026 ci`)
	}
	b.WriteString("}")
	return b.String()
}

// writer writes JSON compact or indented.
type writer struct {
	b       []byte
	compact bool
	nl      string
	depth   int
	first   bool
}

func (w *writer) raw(s string) { w.b = append(w.b, s...) }

func (w *writer) indent() {
	if w.compact {
		return
	}
	w.raw(w.nl)
	for range w.depth {
		w.raw("    ")
	}
}

func (w *writer) open(c byte) {
	w.b = append(w.b, c)
	w.depth++
	w.first = true
}

func (w *writer) close(c byte) {
	w.depth--
	w.indent()
	w.b = append(w.b, c)
	w.first = false
}

func (w *writer) comma() { w.b = append(w.b, ',') }

func (w *writer) key(name string) {
	if !w.first {
		w.comma()
	}
	w.first = false
	w.indent()
	w.b = append(w.b, '"')
	w.b = append(w.b, name...)
	w.b = append(w.b, '"', ':')
	if !w.compact {
		w.b = append(w.b, ' ')
	}
}

func (w *writer) str(name, v string) { w.key(name); w.quoted(v) }

// quoted writes s as a JSON string. s is written as is except for quotes
// and backslashes: \uXXXX sequences in s are kept as escapes, so that the
// corpus carries them.
func (w *writer) quoted(s string) {
	w.b = append(w.b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			w.b = append(w.b, '\\', '"')
		case c == '\\' && i+1 < len(s) && s[i+1] == 'u':
			w.b = append(w.b, c)
		case c == '\\':
			w.b = append(w.b, '\\', '\\')
		case c < 0x20:
			w.b = append(w.b, fmt.Sprintf(`\u%04x`, c)...)
		default:
			w.b = append(w.b, c)
		}
	}
	w.b = append(w.b, '"')
}

func (w *writer) int(v int) { w.b = strconv.AppendInt(w.b, int64(v), 10) }

// number writes v in one of the notations the API uses.
func (w *writer) number(r *rand.Rand, v float64) {
	switch k := r.IntN(20); {
	case v == 0 || k == 0:
		w.b = strconv.AppendFloat(w.b, v, 'f', 15, 64) // 0.000000000000000
	case k == 1:
		w.b = strconv.AppendFloat(w.b, v, 'E', -1, 64) // 1.2345E-05
	case k == 2:
		w.b = append(w.b, '"')
		w.b = strconv.AppendFloat(w.b, v, 'f', -1, 64) // a numeric string
		w.b = append(w.b, '"')
	case k == 3:
		w.b = strconv.AppendFloat(w.b, v, 'e', 6, 64)
	case k < 8:
		w.b = strconv.AppendFloat(w.b, v, 'f', 15, 64)
	case v == float64(int64(v)) && k < 10:
		w.b = strconv.AppendFloat(w.b, v, 'f', 1, 64) // 1.0
	default:
		w.b = strconv.AppendFloat(w.b, v, 'g', -1, 64) // shortest, e-notation when tiny
	}
}
