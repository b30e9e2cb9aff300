// Package armclient reads an EA enrollment's billing data through Azure
// Resource Manager (ARM), the replacement of the retired EA Reporting API,
// and returns the domain records of package billing: *Client implements
// billing.Source and billing.CredentialExpirer.
//
// Requests go through an azcore pipeline with a bearer-token policy fed by
// an azidentity credential (see NewCredential: client secret, client
// certificate, workload identity, managed identity). The routes and
// api-versions are the client's own (Config.APIVersions, per resource
// provider). azcore's retry policy is off: the client retries 429, 5xx,
// transport errors and one 401 itself, waiting for the largest of
// Retry-After, retry-after-ms and every x-ms-ratelimit-*-retry-after
// header, within Config.Retry's attempts and time budget. The bearer token
// goes to the configured ARM scheme and host only (a pipeline policy
// refuses any other before the token is attached); nextLink and Location
// URLs on another host are refused; download blobs are fetched with a plain
// HTTP client that never sends an Authorization header.
//
// ARM has no ETags for these reads: a report's revision is a SHA-256 of its
// decoded records, and the same hash answers Result.NotModified (the data
// was downloaded but is unchanged). A closed billing period's balance and
// price sheet are answered NotModified without a request when the caller
// passes back the revision this client returned (Config.ClosedPeriodGrace).
//
// Reports: billing_periods (computed), balance_summary
// (Microsoft.Consumption/balances), reservation_details (daily
// reservationSummaries), reservation_charges (reservationTransactions),
// price_sheet (Microsoft.CostManagement asynchronous download, ZIP of CSVs),
// usage_details and marketplace_charges (the Cost Details report, below).
//
// # Usage details and marketplace charges: the Cost Details report
//
// POST {billing account}/providers/Microsoft.CostManagement/
// generateCostDetailsReport with {"metric":"ActualCost","billingPeriod":
// "yyyyMM"}, poll the Location (honouring Retry-After, at most
// CostDetailsLimits.PollsPerMinute polls of one operation a minute), then
// stream the manifest's blobs one after another, each with its own header,
// straight from the blob host into internal/usagecsv (schema CostDetails):
// no file is held, in memory or on disk. Marketplace rows are those with
// PublisherType Marketplace; the department is InvoiceSectionName ("Name of
// the EA department" in the EA dataset schema; the marketplace migration
// guide's BillingProfileName is not used); Tags (written without braces)
// go into UsageRow.Tags / MarketplaceCharge.Tags. Blob requests carry no
// Authorization header (the link's SAS is its credential), and neither
// logs, errors nor usagecsv's file names contain the link's query: a blob
// is named "cost details billing period 202403 blob 1/3".
//
// A body that breaks off, or ends short of the manifest's byteCount, is
// resumed with a Range request (If-Match its ETag); a host that answers
// the whole blob again has the part already read checked (SHA-256) and
// skipped. A link already past validTill, or refused by the blob host
// (403/404/410), starts the report once more, unless usage rows were
// already handed to the caller (the run then fails and the caller retries).
//
// When the service refuses the month as too large ("The maximum allowed
// date range is 1 months", 413, or 504 "Reduce the date range"), the
// period is asked as a timePeriod of the whole month, then in halves,
// recursively down to single days; the ranges are remembered for the
// period, so the next run asks them at once.
//
// One run feeds both reports. UsageDetails runs the report, streams usage
// rows to its callback and keeps the period's marketplace charges (cloned)
// with the run's revision. MarketplaceCharges answers from a run in flight
// (it waits) or completed less than Config.CostDetailsShare ago (default
// 1h); otherwise it runs the report itself, and a UsageDetails call that
// comes before that run's blobs begin attaches to it and receives its
// usage rows (else usage rows are skipped undecoded). Within the same
// window, UsageDetails answers NotModified without a request when the
// period's last run has the revision passed in.
//
// Revision: a SHA-256 over the SHA-256 of each blob's bytes as streamed
// (a tee), in manifest order; the same revision as the one passed in
// answers NotModified after the rows were streamed (the caller discards
// what it built). A closed billing period (ended more than
// ClosedPeriodGrace ago) is read once; then both reports answer
// NotModified from its revision without a request. An open period is read
// at most once per call.
//
// Submission limits: at most CostDetailsLimits (default 2/min, 10/h,
// 50/day, the documented per-scope limits) submissions per client (one
// billing account); a submission waits for the budget up to
// CostDetailsMaxWait (default 2m), past which the call fails at once as
// KindThrottled naming the limit and when it frees up, without a request.
// A 429/503 from the service is retried after the longest retry header.
// No data: a 204 answer or status NoDataFound is billing.ErrNoData; a
// completed report with no blobs, or blobs with a header only, is an empty
// dataset (no rows, a revision).
//
// # Decisions on the reference's open points
//
//   - api-versions: Billing 2024-04-01, Consumption 2024-08-01,
//     CostManagement 2025-03-01 (the versions the examples were checked
//     against), not 2026-06-01. Knob: Config.APIVersions.
//   - Billing periods: no ARM API; calendar months computed locally,
//     Config.BillingPeriods of them (default 13, the price sheet's reach),
//     ending with the current month (or the enrollment's last month if it
//     ended) and none before the enrollment's start month, from the billing
//     account's enrollmentDetails (cached Config.AccountCacheTTL, default
//     24h; the stale copy is used if a re-read fails). Periods keep
//     calendar-month bounds; they are not cut to the enrollment's dates.
//   - Un-suffixed balances call: never used for a given period; the client
//     always asks billingPeriods/{yyyyMM}/.../balances. Only an empty period
//     uses the un-suffixed route, reading the period from the answer's id.
//   - No balance for a period: 204, 404 or a body without properties is
//     billing.ErrNoData (wrapped in *Error, so the text keeps the service's
//     message).
//   - Balance currency: trimmed ("USD  " → "USD").
//   - Reservation usage dates: usageDate is written as local midnight with a
//     Pacific offset ("2018-09-01T00:00:00-07:00"); the date as written is
//     the usage day (midnight UTC of that date), not the instant converted
//     to UTC.
//   - Reservation transactions: the service answers whole billing months
//     for the range's ends; rows outside the asked range are dropped here.
//     Rows are not de-duplicated by id (the example's purchase and refund
//     share one). tags ([] vs {}) is ignored.
//   - Reservation transactions' role: a 403 names EnrollmentReader and notes
//     that EA purchaser may be needed (unverified which one is).
//   - nextLink with an older api-version is followed as is. A nextLink or
//     Location on another host is refused. Knob: Config.RewriteLinkHosts
//     rewrites it to the configured endpoint instead (for sovereign clouds
//     answering with public links).
//   - Price sheet: the Cost Management download (not the Consumption one
//     whose retirement is announced). Rows are kept by priceType:
//     Consumption and rows without one (reserved-instance and savings-plan
//     rows repeat the meter and would collide in the price-sheet series).
//     Knob: Config.PriceTypes. A bare CSV instead of a ZIP is accepted; the
//     header row is found by its MeterId column. A link the blob host
//     refuses (403/404/410, e.g. expired) or one already past validTill
//     triggers one new download request. Bounds: Config.AsyncTimeout,
//     PollInterval, MaxPollInterval, MaxDownloadBytes, TempDir.
//   - Throttling headers: every x-ms-ratelimit-*-retry-after is honoured
//     (consumption, costmanagement qpu/entity/tenant/client), whichever
//     provider sends it. Remaining-quota headers go to Config.RateLimit.
//   - ETag/If-None-Match: not sent; a 304 is not expected.
//   - Sovereign clouds: endpoints and authorities per Config.Cloud /
//     CredentialOptions.Cloud; the token scope is Endpoint + "/.default"
//     (Config.TokenScope overrides it). Availability of every API in Azure
//     Government is unverified.
//   - Token renewal: azcore and MSAL renew a token within five minutes of
//     its expiry; after a 401 the request is retried once with the token
//     the credential then gives (a token the service revoked early stays
//     cached by MSAL until it expires).
//   - Credential expiry: a certificate's NotAfter; a secret's expiry only
//     when configured (CredentialOptions.SecretExpiry or
//     Config.CredentialKind + Config.CredentialExpiry); none for workload
//     or managed identity.
//   - Config.Observe counts ARM and blob requests (status or "error"); token
//     requests to the authority are not counted.
package armclient
