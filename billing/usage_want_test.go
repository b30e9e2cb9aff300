package billing

import "testing"

// TestDimensionFields checks that each dimension's Field names the member
// its Usage reads: a row with only that member set reads back non-empty.
func TestDimensionFields(t *testing.T) {
	for _, d := range Dimensions {
		t.Run(d.Name, func(t *testing.T) {
			seen := map[UsageField]string{}
			for _, o := range Dimensions {
				if prev, ok := seen[o.Field]; ok && o.Field != 0 {
					t.Fatalf("%s and %s share a field", prev, o.Name)
				}
				seen[o.Field] = o.Name
			}
			r := rowWith(d.Field, "x")
			if got := d.Usage(&r); got != "x" {
				t.Errorf("a row with only %s's field set reads %q", d.Name, got)
			}
		})
	}
}

// rowWith returns a row whose string member f is v.
func rowWith(f UsageField, v string) UsageRow {
	var r UsageRow
	for _, m := range []struct {
		f UsageField
		p *string
	}{
		{FieldDepartment, &r.Department}, {FieldAccountName, &r.AccountName}, {FieldCostCenter, &r.CostCenter},
		{FieldSubscriptionID, &r.SubscriptionID}, {FieldSubscriptionName, &r.SubscriptionName}, {FieldMeterID, &r.MeterID},
		{FieldMeterCategory, &r.MeterCategory}, {FieldMeterSubcategory, &r.MeterSubcategory}, {FieldMeterName, &r.MeterName},
		{FieldMeterRegion, &r.MeterRegion}, {FieldUnitOfMeasure, &r.UnitOfMeasure}, {FieldResourceGroup, &r.ResourceGroup},
		{FieldResourceLocation, &r.ResourceLocation}, {FieldServiceName, &r.ServiceName}, {FieldServiceTier, &r.ServiceTier},
		{FieldProduct, &r.Product}, {FieldConsumedService, &r.ConsumedService},
	} {
		if m.f == f {
			*m.p = v
		}
	}
	return r
}

func TestUsageWant(t *testing.T) {
	if !(UsageWant{}).Has(FieldTags) || !(UsageWant{}).Has(FieldCost) {
		t.Error("the zero UsageWant wants everything")
	}
	w := UsageWant{Fields: FieldCost | FieldDate, TagKeys: []string{"env"}}
	if !w.Has(FieldCost) || w.Has(FieldTags) || w.Has(FieldMeterName) {
		t.Errorf("Has on %b", w.Fields)
	}
	r := UsageRow{Tags: map[string]string{"env": "prod"}}
	if got := r.Tag(0, "env"); got != "prod" {
		t.Errorf("Tag from the map = %q", got)
	}
	r.TagValues = []string{"test"}
	if got := r.Tag(0, "env"); got != "test" {
		t.Errorf("Tag from TagValues = %q", got)
	}
}
