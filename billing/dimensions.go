package billing

// Dimension is a label a usage row (and, for some, a marketplace charge)
// can be broken down by. This table is the one place that says which
// dimensions exist and how each reads its value: the configuration
// validates usage_details.dimensions against it and the collector
// aggregates with it, so the two cannot disagree.
type Dimension struct {
	// Name is the label name and the configuration's name for it.
	Name string
	// Usage reads the value from a usage row.
	Usage func(*UsageRow) string
	// Marketplace reads the value from a marketplace charge; nil when a
	// marketplace charge does not carry the dimension.
	Marketplace func(*MarketplaceCharge) string
	// Field is the UsageRow member Usage reads, for a UsageWant.
	Field UsageField
}

// Dimensions lists every usage dimension, in the order the configuration
// documents them.
var Dimensions = []Dimension{
	{"department", func(r *UsageRow) string { return r.Department }, func(c *MarketplaceCharge) string { return c.Department }, FieldDepartment},
	{"subscription_id", func(r *UsageRow) string { return r.SubscriptionID }, func(c *MarketplaceCharge) string { return c.SubscriptionID }, FieldSubscriptionID},
	{"subscription_name", func(r *UsageRow) string { return r.SubscriptionName }, func(c *MarketplaceCharge) string { return c.SubscriptionName }, FieldSubscriptionName},
	{"meter_category", func(r *UsageRow) string { return r.MeterCategory }, nil, FieldMeterCategory},
	{"meter_subcategory", func(r *UsageRow) string { return r.MeterSubcategory }, nil, FieldMeterSubcategory},
	{"meter_name", func(r *UsageRow) string { return r.MeterName }, nil, FieldMeterName},
	{"meter_id", func(r *UsageRow) string { return r.MeterID }, nil, FieldMeterID},
	{"meter_region", func(r *UsageRow) string { return r.MeterRegion }, nil, FieldMeterRegion},
	{"resource_group", func(r *UsageRow) string { return r.ResourceGroup }, nil, FieldResourceGroup},
	{"resource_location", func(r *UsageRow) string { return r.ResourceLocation }, nil, FieldResourceLocation},
	{"service_name", func(r *UsageRow) string { return r.ServiceName }, nil, FieldServiceName},
	{"service_tier", func(r *UsageRow) string { return r.ServiceTier }, nil, FieldServiceTier},
	{"product", func(r *UsageRow) string { return r.Product }, nil, FieldProduct},
	{"consumed_service", func(r *UsageRow) string { return r.ConsumedService }, nil, FieldConsumedService},
	{"cost_center", func(r *UsageRow) string { return r.CostCenter }, func(c *MarketplaceCharge) string { return c.CostCenter }, FieldCostCenter},
	{"account_name", func(r *UsageRow) string { return r.AccountName }, func(c *MarketplaceCharge) string { return c.AccountName }, FieldAccountName},
	{"unit_of_measure", func(r *UsageRow) string { return r.UnitOfMeasure }, nil, FieldUnitOfMeasure},
}

// DefaultDimensions is the default of usage_details.dimensions.
var DefaultDimensions = []string{"department", "subscription_id", "subscription_name", "meter_category", "meter_subcategory", "meter_name"}

// DimensionByName returns the named dimension.
func DimensionByName(name string) (Dimension, bool) {
	for _, d := range Dimensions {
		if d.Name == name {
			return d, true
		}
	}
	return Dimension{}, false
}

// DimensionNames returns the names of every dimension.
func DimensionNames() []string {
	out := make([]string, len(Dimensions))
	for i, d := range Dimensions {
		out[i] = d.Name
	}
	return out
}

// MarketplaceDimensionNames returns the dimensions a marketplace charge
// carries too; a budget that matches on any other counts no marketplace
// cost.
func MarketplaceDimensionNames() []string {
	var out []string
	for _, d := range Dimensions {
		if d.Marketplace != nil {
			out = append(out, d.Name)
		}
	}
	return out
}
