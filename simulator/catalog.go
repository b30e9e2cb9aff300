package simulator

import "strings"

// The synthetic enterprise: what a mid-size company on an EA looks like.
// Rates are list-price-like pay-as-you-go figures in the enrollment currency.

type meter struct {
	resourceLocation                              string // set at init from location
	id, category, subcategory, name, unit, region string
	serviceName, serviceTier, consumedService     string
	product, partNumber, location                 string
	rate                                          float64 // price per unit
	weight                                        float64 // share of spend
}

func init() {
	for i := range meters {
		meters[i].resourceLocation = strings.ToLower(strings.ReplaceAll(meters[i].location, " ", ""))
	}
}

var meters = []meter{
	{"", "a1b2c3d4-0001-4c1e-9d1a-3f2b4c5d6e01", "Virtual Machines", "Dv3/DSv3 Series", "D4 v3/D4s v3", "1 Hour", "EU West", "Virtual Machines", "Dv3/DSv3 Series", "Microsoft.Compute", "Virtual Machines Dv3/DSv3 Series - D4 v3/D4s v3 - EU West", "AAA-12345", "EU West", 0.192, 22},
	{"", "a1b2c3d4-0002-4c1e-9d1a-3f2b4c5d6e02", "Virtual Machines", "Esv5 Series", "E8s v5", "1 Hour", "EU West", "Virtual Machines", "Esv5 Series", "Microsoft.Compute", "Virtual Machines Esv5 Series - E8s v5 - EU West", "AAA-23456", "EU West", 0.504, 14},
	{"", "a1b2c3d4-0003-4c1e-9d1a-3f2b4c5d6e03", "Virtual Machines", "BS Series", "B2s", "1 Hour", "US East", "Virtual Machines", "BS Series", "Microsoft.Compute", "Virtual Machines BS Series - B2s - US East", "AAA-34567", "US East", 0.0416, 4},
	{"", "a1b2c3d4-0004-4c1e-9d1a-3f2b4c5d6e04", "Virtual Machines", "NCasT4 v3 Series", "NC4as T4 v3", "1 Hour", "US East", "Virtual Machines", "NCasT4 v3 Series", "Microsoft.Compute", "Virtual Machines NCasT4 v3 Series - NC4as T4 v3 - US East", "AAA-45678", "US East", 0.526, 6},
	{"", "a1b2c3d4-0005-4c1e-9d1a-3f2b4c5d6e05", "Storage", "Premium SSD Managed Disks", "P30 LRS Disk", "1/Month", "EU West", "Storage", "Premium SSD Managed Disks", "Microsoft.Compute", "Premium SSD Managed Disks - P30 LRS - EU West", "BBB-12345", "EU West", 135.17, 7},
	{"", "a1b2c3d4-0006-4c1e-9d1a-3f2b4c5d6e06", "Storage", "Standard SSD Managed Disks", "E10 LRS Disk", "1/Month", "EU West", "Storage", "Standard SSD Managed Disks", "Microsoft.Compute", "Standard SSD Managed Disks - E10 LRS - EU West", "BBB-23456", "EU West", 9.6, 2},
	{"", "a1b2c3d4-0007-4c1e-9d1a-3f2b4c5d6e07", "Storage", "Blob Storage", "Hot LRS Data Stored", "1 GB/Month", "EU West", "Storage", "Blob Storage", "Microsoft.Storage", "Blob Storage - Hot LRS - EU West", "BBB-34567", "EU West", 0.0196, 5},
	{"", "a1b2c3d4-0008-4c1e-9d1a-3f2b4c5d6e08", "Storage", "Tables", "Batch Write Operations", "10K", "EU North", "Storage", "Tables", "Microsoft.Storage", "Tables - Batch Write Operations - EU North", "BBB-45678", "EU North", 0.00036, 0.2},
	{"", "a1b2c3d4-0009-4c1e-9d1a-3f2b4c5d6e09", "Bandwidth", "Inter-Region", "Intra Continent Data Transfer Out", "1 GB", "Zone 1", "Bandwidth", "Inter-Region", "Microsoft.Network", "Bandwidth - Inter-Region Data Transfer Out - Zone 1", "CCC-12345", "Zone 1", 0.02, 2},
	{"", "a1b2c3d4-0010-4c1e-9d1a-3f2b4c5d6e10", "Bandwidth", "Rtn Preference: MGN", "Standard Data Transfer Out", "1 GB", "Zone 1", "Bandwidth", "Rtn Preference: MGN", "Microsoft.Network", "Rtn Preference: MGN - Data Transfer Out - Zone 1", "CCC-23456", "Zone 1", 0.087, 3},
	{"", "a1b2c3d4-0011-4c1e-9d1a-3f2b4c5d6e11", "SQL Database", "General Purpose - Compute Gen5", "vCore", "1 Hour", "EU West", "SQL Database", "General Purpose - Compute Gen5", "Microsoft.Sql", "SQL Database General Purpose - Compute Gen5 - vCore - EU West", "DDD-12345", "EU West", 0.2535, 9},
	{"", "a1b2c3d4-0012-4c1e-9d1a-3f2b4c5d6e12", "Azure Cosmos DB", "Azure Cosmos DB", "100 RU/s", "1 Hour", "EU West", "Azure Cosmos DB", "Azure Cosmos DB", "Microsoft.DocumentDB", "Azure Cosmos DB - RU/s - EU West", "DDD-23456", "EU West", 0.008, 5},
	{"", "a1b2c3d4-0013-4c1e-9d1a-3f2b4c5d6e13", "Azure App Service", "Premium v3 Plan", "P1 v3", "1 Hour", "EU West", "Azure App Service", "Premium v3 Plan", "Microsoft.Web", "Azure App Service Premium v3 Plan - P1 v3 - EU West", "EEE-12345", "EU West", 0.169, 5},
	{"", "a1b2c3d4-0014-4c1e-9d1a-3f2b4c5d6e14", "Log Analytics", "Analytics Logs", "Data Ingestion", "1 GB", "EU West", "Log Analytics", "Analytics Logs", "Microsoft.OperationalInsights", "Log Analytics - Analytics Logs Data Ingestion - EU West", "FFF-12345", "EU West", 2.99, 5},
	{"", "a1b2c3d4-0015-4c1e-9d1a-3f2b4c5d6e15", "Azure Kubernetes Service", "Standard", "Uptime SLA", "1 Hour", "EU West", "Azure Kubernetes Service", "Standard", "Microsoft.ContainerService", "Azure Kubernetes Service - Uptime SLA - EU West", "FFF-23456", "EU West", 0.1, 1},
	{"", "a1b2c3d4-0016-4c1e-9d1a-3f2b4c5d6e16", "Virtual Network", "IP Addresses", "Standard IPv4 Static Public IP", "1 Hour", "EU West", "Virtual Network", "IP Addresses", "Microsoft.Network", "IP Addresses - Standard IPv4 Static Public IP", "GGG-12345", "EU West", 0.005, 0.5},
	{"", "a1b2c3d4-0017-4c1e-9d1a-3f2b4c5d6e17", "Load Balancer", "Standard", "Data Processed", "1 GB", "EU West", "Load Balancer", "Standard", "Microsoft.Network", "Load Balancer - Standard Data Processed", "GGG-23456", "EU West", 0.005, 0.5},
	{"", "a1b2c3d4-0018-4c1e-9d1a-3f2b4c5d6e18", "Key Vault", "Standard", "Operations", "10K", "EU West", "Key Vault", "Standard", "Microsoft.KeyVault", "Key Vault - Standard Operations", "GGG-34567", "EU West", 0.03, 0.3},
	{"", "a1b2c3d4-0019-4c1e-9d1a-3f2b4c5d6e19", "Azure Synapse Analytics", "Serverless SQL Pool", "Data Processed", "1 TB", "EU West", "Azure Synapse Analytics", "Serverless SQL Pool", "Microsoft.Synapse", "Azure Synapse Analytics - Serverless SQL Pool Data Processed", "HHH-12345", "EU West", 5, 3},
	{"", "a1b2c3d4-0020-4c1e-9d1a-3f2b4c5d6e20", "Azure Monitor", "Alerts", "Metric Alerts Monitored", "1/Month", "Global", "Azure Monitor", "Alerts", "Microsoft.Insights", "Azure Monitor - Metric Alerts", "HHH-23456", "Global", 0.1, 0.5},
}

var departments = []struct{ name, costCenter string }{
	{"Platform", "CC-1100"},
	{"Data & Analytics", "CC-1200"},
	{"Retail Web", "CC-2100"},
	{"Mobile", "CC-2200"},
	{"Finance IT", "CC-3100"},
	{"Research", "CC-4100"},
	{"Security", "CC-1300"},
	{"Shared Services", "CC-9000"},
}

var environments = []string{"prod", "prod", "prod", "staging", "dev", "test"}

var applications = []string{"checkout", "catalog", "search", "ledger", "ml-training", "etl", "identity", "observability", "web", "reports"}

var offers = []struct {
	publisher, offer, plan, unit string
	monthly                      float64 // recurring monthly fee, 0 for usage-based
	rate                         float64 // per unit for usage-based
}{
	{"SendGrid", "SendGrid Email Delivery", "Pro 100K", "Monthly", 89.95, 0},
	{"Datadog", "Datadog - An Azure Native ISV Service", "Pro", "1 Host/Hour", 0, 0.021},
	{"Elastic", "Elastic Cloud (Elasticsearch)", "Pay as you go", "1 Unit", 0, 0.45},
	{"Redis", "Azure Cache for Redis Enterprise", "Enterprise E10", "1 Hour", 0, 0.634},
	{"Fortinet", "FortiGate Next-Generation Firewall", "BYOL", "1 Hour", 0, 0.0},
	{"Confluent", "Apache Kafka on Confluent Cloud", "Commit", "Monthly", 1250, 0},
}

var reservations = []struct {
	orderName, sku, region, term, frequency string
	quantity                                float64
	utilisation                             float64 // typical share of reserved hours used
	price                                   float64 // total price of the order
}{
	{"Platform-D4v3-EUW", "Standard_D4_v3", "westeurope", "P1Y", "Recurring", 10, 0.97, 11460},
	{"Data-E8sv5-EUW", "Standard_E8s_v5", "westeurope", "P3Y", "OneTime", 4, 0.88, 36700},
	{"Web-F8sv2-EUW", "Standard_F8s_v2", "westeurope", "P1Y", "OneTime", 4, 0.52, 7924},
	{"Research-NC4asT4-USE", "Standard_NC4as_T4_v3", "eastus", "P1Y", "Recurring", 2, 0.74, 6230},
}
