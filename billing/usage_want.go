package billing

// UsageField names a member of UsageRow, in a UsageWant.
type UsageField uint32

// The members of UsageRow a consumer can ask for.
const (
	FieldDate UsageField = 1 << iota
	FieldCost
	FieldQuantity
	FieldDepartment
	FieldAccountName
	FieldCostCenter
	FieldSubscriptionID
	FieldSubscriptionName
	FieldMeterID
	FieldMeterCategory
	FieldMeterSubcategory
	FieldMeterName
	FieldMeterRegion
	FieldUnitOfMeasure
	FieldResourceGroup
	FieldResourceLocation
	FieldServiceName
	FieldServiceTier
	FieldProduct
	FieldConsumedService
	FieldChargesBilledSeparately
	FieldTags

	// AllUsageFields is every member.
	AllUsageFields = FieldTags<<1 - 1
)

// UsageWant says what of a usage row its consumer reads, so that a source
// can skip decoding the rest: a month of usage is millions of rows, and a
// label layout reads a handful of their forty-odd fields. Honouring it is
// up to the source; a source that does not fills every member. The zero
// UsageWant wants everything.
type UsageWant struct {
	// Fields are the members read; zero means every member. A source may
	// leave the others zero.
	Fields UsageField
	// TagKeys, when Fields does not include FieldTags, are the only tags
	// read. A source that honours it sets the row's TagValues (the value of
	// each key, "" when the row lacks it) instead of building Tags; read
	// them with UsageRow.Tag, which serves either.
	TagKeys []string
}

// Has reports whether the consumer reads member f.
func (w UsageWant) Has(f UsageField) bool { return w.Fields == 0 || w.Fields&f != 0 }

// Tag returns the value of the tag key, the i-th of the UsageWant's
// TagKeys: from TagValues when the source filled them, else from Tags.
func (r *UsageRow) Tag(i int, key string) string {
	if r.TagValues != nil {
		return r.TagValues[i]
	}
	return r.Tags[key]
}
