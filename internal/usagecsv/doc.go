// Package usagecsv reads the usage and marketplace CSV files of an
// Enterprise Agreement as a stream: the EA Reporting API's usage-details
// download and report blob, an EA marketplace-charges file, and the blobs
// of the Cost Management Cost Details report (ActualCost) of an EA billing
// account. One reader serves all three; a Schema selects the column table.
//
// # Use
//
//	st, err := usagecsv.Options{Name: "cost details 202403 blob 1/2"}.Read(
//		resp.Body, usagecsv.CostDetails, onUsage, onMarketplace)
//
// Read calls onUsage with each usage row and onMarketplace with each
// marketplace charge, and returns Stats and the first error. The row, its
// Tags map and every string in it are the reader's: valid until the
// callback returns, then reused (the strings point into the read buffer).
// A consumer keeps clones (strings.Clone, maps.Clone), as billing.UsageRow
// documents for every streaming source. A consumer that keys a map by a
// row's strings must not assign to an existing key with them either (Go
// stores the new key's string): look up, then update through a pointer.
//
// # What files contain
//
//   - a UTF-8 byte-order mark, CRLF or LF line ends;
//   - a title line and blank lines before the header (the EA download):
//     the header is the first line that names three or more of the
//     schema's columns, within the first 64 lines;
//   - headers localised as "Localised (EnglishName)" ("Coût (Cost)"):
//     names match by the English name in parentheses, ignoring case,
//     spaces, '-', '_' and '.'; a plain name matches the same way, so the
//     camelCase of older Cost Details datasets matches too;
//   - quoted fields with "" escapes, commas and newlines (CRLF inside
//     quotes reads as "\n"), split exactly as encoding/csv splits them;
//   - Tags as JSON: {"k":"v"}, the EA "{  " style, or without braces
//     ("k": "v","k2": "v2", Cost Details); AdditionalInfo and other
//     columns the schema does not name are skipped without decoding;
//   - booleans True/False (any case, also 1/0, yes/no, empty = false);
//   - numbers in the invariant culture: 0.000295194820065,
//     1.000000000000000, 1.2E-05, -3; an empty number is 0; a decimal
//     comma, thousands separators, NaN or hexadecimal are errors;
//   - dates yyyy-MM-dd (EA download), MM/dd/yyyy or M/d/yyyy (Cost Details,
//     EA portal files; the month always first), RFC 3339 and ISO timestamps
//     with or without a zone (UTC when none), and MM/dd/yyyy with a time.
//
// Columns are found by header name, never by position. A header without a
// required column is an error naming the column and the file; columns the
// table does not name are ignored. A record with a different number of
// fields than the header is an error (ErrFieldCount), as is a malformed
// quote (ErrQuote, ErrBareQuote); errors are *Error with the line and, for
// a value, the column.
//
// # Column tables
//
// Schema.Columns returns them; in short (first listed name preferred):
//
//	field                     EAUsage                    EAMarketplace               CostDetails
//	Department                DepartmentName             DepartmentName              InvoiceSectionName (InvoiceSection, DepartmentName)
//	AccountName               AccountName                AccountName                 AccountName (EnrollmentAccountName)
//	CostCenter                CostCenter                 CostCenter                  CostCenter
//	SubscriptionID            SubscriptionGuid           SubscriptionGuid            SubscriptionId (SubscriptionGuid)
//	SubscriptionName          SubscriptionName           SubscriptionName            SubscriptionName
//	Date / UsageStart         Date                       UsageStartDate (UsageDate)  Date
//	UsageEnd                  -                          UsageEndDate, else 23:59:59 that day's 23:59:59
//	Cost                      Cost (ExtendedCost)        ExtendedCost (Cost)         CostInBillingCurrency (Cost, PreTaxCost)
//	Quantity                  ConsumedQuantity           ConsumedQuantity            Quantity
//	Rate (marketplace)        -                          ResourceRate                EffectivePrice (ResourceRate, UnitPrice)
//	MeterID .. MeterRegion    MeterId, MeterCategory, MeterSubCategory, MeterName, MeterRegion (usage rows)
//	UnitOfMeasure             UnitOfMeasure              UnitOfMeasure               UnitOfMeasure
//	ResourceGroup/Location    ResourceGroup, ResourceLocation                        (same)
//	ServiceName               ServiceName                -                           ServiceName, else MeterCategory
//	ServiceTier               ServiceTier                -                           ServiceTier, else MeterSubCategory
//	Product                   Product                    -                           ProductName
//	ConsumedService           ConsumedService            -                           ConsumedService
//	ChargesBilledSeparately   ChargesBilledSeparately    -                           not IsAzureCreditEligible
//	Publisher/Offer/Plan      -                          PublisherName, OfferName, PlanName   PublisherName, OfferId (OfferName), PlanName
//	Recurring                 -                          IsRecurringCharge           Frequency == "Recurring"
//	Tags                      Tags                       Tags                        Tags
//
// The department is DepartmentName in the EA files and InvoiceSectionName
// in Cost Details ("Name of the EA department"; the marketplace migration
// guide's BillingProfileName contradicts the usage guide and the schema,
// and is not used). The obsolete numeric SubscriptionId of the EA files is
// not the subscription's GUID and is not read. The service name and tier
// of Cost Details follow Microsoft's legacy-to-new mapping (serviceName to
// MeterCategory, serviceTier to MeterSubCategory).
//
// A Cost Details row is a marketplace charge when its PublisherType is
// "Marketplace" (any case), else usage. EAUsage rows are all usage,
// EAMarketplace rows all marketplace charges.
//
// # Design
//
// The reader never holds a file. It reads into one buffer (256 KiB) that it
// refills, moving the unfinished record to the front; the buffer grows only
// when a single record does not fit, up to Options.MaxRecordBytes (16 MiB by
// default), past which the read fails (ErrRecordTooLarge). The heap a read
// uses does not grow with the file (BenchmarkStream reads 200 MB in a few
// MiB), and the decoder, buffer included, is pooled between reads.
//
// Records are split in two steps (index.go): the buffer is classified 64
// bytes at a time into masks of quotes, commas and newlines (SSE2 on amd64,
// SWAR words elsewhere), a prefix XOR of the quote mask gives the bytes
// inside quotes, and the delimiters outside quotes go to a list; records
// are then cut from the list with a few instructions a field and no
// unpredictable branch a field. Quoting mistakes, and the last record of an
// input without a final newline, are handed to an exact byte-at-a-time
// scanner (scan.go) that decides as encoding/csv does. Fields are handed
// out as strings aliasing the buffer; a quoted field with "" escapes is
// unescaped in place, and only when its column is read. Numbers take a
// fast path when exact (digits below 2^53 over a power of ten: the value
// strconv.ParseFloat returns), dates are cached (rows come day by day),
// tags of plain strings go into a reused map with keys and values aliasing
// the buffer. A read allocates a few hundred objects for its header and
// nothing per row.
//
// The differential test and FuzzRead hold the split to encoding/csv on
// random input; TestCorpus holds the decoded rows to a generator's records
// over every file style (gen_test.go).
package usagecsv
