package eaclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// usageWire is one usage row as the API sends it. Only the fields the
// domain type carries are decoded; the rest are skipped.
type usageWire struct {
	Cost         *flexFloat `json:"cost"`         // "Cost" in v2 (matched case-insensitively)
	ExtendedCost *flexFloat `json:"extendedCost"` // v1 preview
	Date         flexTime   `json:"date"`

	ConsumedQuantity        flexFloat `json:"consumedQuantity"`
	DepartmentName          string    `json:"departmentName"`
	AccountName             string    `json:"accountName"`
	CostCenter              string    `json:"costCenter"`
	SubscriptionGUID        string    `json:"subscriptionGuid"`
	SubscriptionName        string    `json:"subscriptionName"`
	MeterID                 string    `json:"meterId"`
	MeterCategory           string    `json:"meterCategory"`
	MeterSubCategory        string    `json:"meterSubCategory"`
	MeterName               string    `json:"meterName"`
	MeterRegion             string    `json:"meterRegion"`
	UnitOfMeasure           string    `json:"unitOfMeasure"`
	ResourceGroup           string    `json:"resourceGroup"`
	ResourceLocation        string    `json:"resourceLocation"`
	ServiceName             string    `json:"serviceName"`
	ServiceTier             string    `json:"serviceTier"`
	Product                 string    `json:"product"`
	ConsumedService         string    `json:"consumedService"`
	ChargesBilledSeparately flexBool  `json:"chargesBilledSeparately"`
	Tags                    flexTags  `json:"tags"`
}

func (w *usageWire) toRow(r *billing.UsageRow) {
	cost := w.Cost
	if cost == nil {
		cost = w.ExtendedCost
	}
	*r = billing.UsageRow{
		Date:                    time.Time(w.Date),
		Quantity:                float64(w.ConsumedQuantity),
		Department:              w.DepartmentName,
		AccountName:             w.AccountName,
		CostCenter:              w.CostCenter,
		SubscriptionID:          w.SubscriptionGUID,
		SubscriptionName:        w.SubscriptionName,
		MeterID:                 w.MeterID,
		MeterCategory:           w.MeterCategory,
		MeterSubcategory:        w.MeterSubCategory,
		MeterName:               w.MeterName,
		MeterRegion:             w.MeterRegion,
		UnitOfMeasure:           w.UnitOfMeasure,
		ResourceGroup:           w.ResourceGroup,
		ResourceLocation:        w.ResourceLocation,
		ServiceName:             w.ServiceName,
		ServiceTier:             w.ServiceTier,
		Product:                 w.Product,
		ConsumedService:         w.ConsumedService,
		ChargesBilledSeparately: bool(w.ChargesBilledSeparately),
		Tags:                    w.Tags,
	}
	if cost != nil {
		r.Cost = float64(*cost)
	}
}

// UsageDetails streams the usage rows selected by q to fn, page by page,
// following nextLink. Memory does not grow with the number of rows: fn gets
// a row that is reused for the next one, and whose strings point into the
// decoder's buffer: they are valid only until fn returns, so fn must clone
// (strings.Clone) any string it keeps. An error from fn stops the download
// and is returned as is.
//
// The ETag is that of the first page; a 304 on it means no page changed.
// nextLink is followed only on the base URL's scheme and host, so the key
// is never sent elsewhere; a link that comes round again is an error.
func (c *Client) UsageDetails(ctx context.Context, q Query, etag string, fn func(*billing.UsageRow) error) (Meta, error) {
	rest, params := q.route("usagedetails", "usagedetailsbycustomdate")
	u := c.endpoint("v3", rest, params)
	var (
		meta Meta
		seen = map[string]bool{}
	)
	for page := 0; ; page++ {
		if page >= c.cfg.MaxPages {
			return Meta{Requests: meta.Requests}, &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("more than %d pages", c.cfg.MaxPages)}
		}
		seen[u.String()] = true
		pageETag := ""
		if page == 0 {
			pageETag = etag
		}
		var next string
		notModified, err := c.get(ctx, ReportUsageDetails, u, pageETag, c.cfg.MaxPageBytes, &meta, func(r response) error {
			if page == 0 {
				meta.ETag = r.etag
			}
			var err error
			next, err = newUsageScanner(r.body, int(c.cfg.MaxPageBytes), q.Want).page(func(row *billing.UsageRow) error {
				meta.Rows++
				return fn(row)
			})
			return err
		})
		if err != nil {
			return Meta{Requests: meta.Requests}, err
		}
		if notModified {
			if page == 0 {
				meta.NotModified = true
				return meta, nil
			}
			// A 304 on a later page (no If-None-Match was sent) is a
			// broken server.
			return Meta{Requests: meta.Requests}, &Error{Report: ReportUsageDetails, Kind: KindProtocol, Status: 304, Message: "Not Modified for a nextLink page"}
		}
		meta.Pages++
		if strings.TrimSpace(next) == "" {
			return meta, nil
		}
		nu, err := c.base.Parse(strings.TrimSpace(next))
		if err != nil {
			return Meta{Requests: meta.Requests}, &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: "malformed nextLink", Err: err}
		}
		if !sameOrigin(nu, c.base) {
			return Meta{Requests: meta.Requests}, &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("refusing nextLink to foreign host %q (configured %s://%s)", nu.Host, c.base.Scheme, c.base.Host)}
		}
		if seen[nu.String()] {
			return Meta{Requests: meta.Requests}, &Error{Report: ReportUsageDetails, Kind: KindProtocol, Message: fmt.Sprintf("nextLink loops back to a page already read (page %d)", page+2)}
		}
		u = nu
	}
}

// DecodeUsagePageReference decodes a usage page with encoding/json into
// structs, the straightforward way. The client uses the faster
// DecodeUsagePage; this one is kept as the reference the fast decoder is
// tested against, and as the baseline of its benchmarks.
func DecodeUsagePageReference(r io.Reader, fn func(*billing.UsageRow) error) (next string, err error) {
	var row billing.UsageRow
	return decodeUsagePage(r, func(w *usageWire) error {
		w.toRow(&row)
		return fn(&row)
	})
}

// decodeUsagePage streams one {id, data, nextLink} envelope, in any key
// order, and returns its nextLink.
func decodeUsagePage(r io.Reader, fn func(*usageWire) error) (next string, err error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return "", err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "", bodyErr(err)
		}
		key, _ := tok.(string)
		switch {
		case strings.EqualFold(key, "data"):
			tok, err := dec.Token()
			if err != nil {
				return "", bodyErr(err)
			}
			if tok == nil {
				continue
			}
			if tok != json.Delim('[') {
				return "", fmt.Errorf("usage page: want data to be an array, got %s", tokenString(tok))
			}
			for dec.More() {
				var w usageWire
				if err := dec.Decode(&w); err != nil {
					return "", bodyErr(err)
				}
				if err := fn(&w); err != nil {
					return "", err
				}
			}
			if _, err := dec.Token(); err != nil {
				return "", bodyErr(err)
			}
		case strings.EqualFold(key, "nextLink"):
			var s *string
			if err := dec.Decode(&s); err != nil {
				return "", bodyErr(err)
			}
			if s != nil {
				next = *s
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", bodyErr(err)
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return "", bodyErr(err)
	}
	return next, trailing(dec)
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return bodyErr(err)
	}
	if tok != want {
		return fmt.Errorf("want a JSON %s, got %s", map[json.Delim]string{'{': "object", '[': "array"}[want], tokenString(tok))
	}
	return nil
}
