package usagecsv

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// DefaultMaxRecordBytes is the default bound on a single record (a row and
// its quoted newlines): the buffer grows to hold one record up to this,
// and a larger one is an error (ErrRecordTooLarge).
const DefaultMaxRecordBytes = 16 << 20

// bufferSize is the buffer a read starts with, and keeps unless a record
// is larger; a var so that tests can force refills.
var bufferSize = 256 << 10

// maxPreamble bounds the lines looked at for the header row.
const maxPreamble = 64

// Options tune a read. The zero value reads with the defaults.
type Options struct {
	// Name names the file in errors: the report and period, or a blob's
	// URL without its SAS query (never a secret).
	Name string
	// MaxRecordBytes bounds a single record; 0 means DefaultMaxRecordBytes.
	MaxRecordBytes int
}

// Stats describe a read.
type Stats struct {
	Bytes       int64 // read from the reader
	HeaderLine  int   // the header's line, 1-based (after any title and blank lines)
	Records     int64 // data records after the header
	Usage       int64 // rows passed to onUsage
	Marketplace int64 // charges passed to onMarketplace
	Skipped     int64 // records of a kind whose callback was nil
}

// Errors. A read's errors are *Error values wrapping one of these (or the
// reader's own error); a callback's error is returned as it is.
var (
	// ErrNoHeader: no line in the first 64 names enough of the schema's
	// columns to be its header (an empty input too).
	ErrNoHeader = errors.New("no header row found")
	// ErrMissingColumn: the header lacks a required column.
	ErrMissingColumn = errors.New("missing required column")
	// ErrFieldCount: a record has a different number of fields than the
	// header.
	ErrFieldCount = errors.New("wrong number of fields")
)

// Error is an error in a file: where it is and what is wrong.
type Error struct {
	Schema Schema
	Name   string // Options.Name
	Line   int    // the line the record starts on; 0 if none
	Column string // the header name of the column, if one
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("usagecsv: ")
	b.WriteString(e.Schema.String())
	if e.Name != "" {
		fmt.Fprintf(&b, " %q", e.Name)
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, ", line %d", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ", column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Read reads a CSV file of the schema from r with the default Options; see
// Options.Read.
func Read(r io.Reader, schema Schema, onUsage func(*billing.UsageRow) error, onMarketplace func(*billing.MarketplaceCharge) error) (Stats, error) {
	return Options{}.Read(r, schema, onUsage, onMarketplace)
}

// Read reads a CSV file of the schema from r to its end, calling onUsage
// with each usage row and onMarketplace with each marketplace charge. A
// nil callback skips those records (Stats.Skipped counts them).
//
// The row passed to a callback, its Tags map and every string in it are
// valid only until the callback returns: the next record reuses them, and
// the strings point into the read buffer. A consumer that keeps a string
// clones it (strings.Clone), and one that keeps the tags copies the map.
//
// A callback's error stops the read and is returned as it is. Anything
// wrong with the file is an *Error with its line (and column).
func (o Options) Read(r io.Reader, schema Schema, onUsage func(*billing.UsageRow) error, onMarketplace func(*billing.MarketplaceCharge) error) (Stats, error) {
	if schema.table() == nil {
		return Stats{}, fmt.Errorf("usagecsv: unknown schema %v", schema)
	}
	max := o.MaxRecordBytes
	if max <= 0 {
		max = DefaultMaxRecordBytes
	}
	max = min(max, 1<<30)
	d := decoderPool.Get().(*decoder)
	d.reset(r, min(bufferSize, max), max)
	d.schema, d.name = schema, o.Name
	err := d.run(onUsage, onMarketplace)
	st := d.stats
	st.Bytes = d.nread
	d.release()
	return st, err
}

type decoder struct {
	scanner
	schema  Schema
	name    string
	cols    []colRef         // the columns read, in field order
	names   [nTargets]string // each target's header name
	has     [nTargets]bool   // the header has the target's column
	vals    [nTargets]string // the current record's values
	nHeader int              // the header's field count
	pubIdx  int              // the PublisherType field (CostDetails)
	row     billing.UsageRow // reused
	mc      billing.MarketplaceCharge
	tags    tagReader
	date    dateCache
	dateEnd dateCache
	stats   Stats
}

var decoderPool = sync.Pool{New: func() any { return new(decoder) }}

func (d *decoder) release() {
	d.r = nil
	d.vals = [nTargets]string{}
	d.row = billing.UsageRow{}
	d.mc = billing.MarketplaceCharge{}
	d.cols = d.cols[:0]
	d.stats = Stats{}
	if len(d.buf) > bufferSize || cap(d.tags.arena) > 1<<20 || len(d.tags.m) > 256 || cap(d.fields) > maxFields {
		return // grown for an outsized record: let it go
	}
	clear(d.tags.m)
	d.tags.arena = d.tags.arena[:0]
	decoderPool.Put(d)
}

func (d *decoder) fail(line int, column string, err error) error {
	return &Error{Schema: d.schema, Name: d.name, Line: line, Column: column, Err: err}
}

// scanErr turns an error of the scanner into an *Error.
func (d *decoder) scanErr(err error) error {
	switch err {
	case ErrRecordTooLarge:
		err = fmt.Errorf("%w (%d bytes)", err, d.max)
	case errTooManyFields:
		if d.nHeader > 0 {
			err = fmt.Errorf("%w: more than the header's %d", ErrFieldCount, d.nHeader)
		} else {
			err = fmt.Errorf("%w: more than %d", err, maxFields)
		}
	}
	return d.fail(d.recLine, "", err)
}

var bom = []byte("\ufeff")

func (d *decoder) run(onUsage func(*billing.UsageRow) error, onMarketplace func(*billing.MarketplaceCharge) error) error {
	if err := d.header(); err != nil {
		return err
	}
	d.resetIndex()
	for {
		err := d.next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return d.scanErr(err)
		}
		d.stats.Records++
		if len(d.fields) != d.nHeader {
			return d.fail(d.recLine, "", fmt.Errorf("%w: %d, the header has %d", ErrFieldCount, len(d.fields), d.nHeader))
		}
		if err := d.record(onUsage, onMarketplace); err != nil {
			return err
		}
	}
}

// header finds the header row: the first line that names at least three
// of the schema's columns. Title and blank lines before it are skipped.
func (d *decoder) header() error {
	for d.end-d.pos < len(bom) && !d.eof {
		if err := d.fill(); err != nil {
			return d.scanErr(err)
		}
	}
	if bytes.HasPrefix(d.buf[d.pos:d.end], bom) {
		d.pos += len(bom)
	}
	for lines := 0; lines < maxPreamble; lines++ {
		// One physical line: a header has no quoted newlines.
		k := bytes.IndexByte(d.buf[d.pos:d.end], '\n')
		for k < 0 && !d.eof {
			if err := d.fill(); err != nil {
				return d.scanErr(err)
			}
			k = bytes.IndexByte(d.buf[d.pos:d.end], '\n')
		}
		if d.pos >= d.end {
			break
		}
		lineEnd := d.end
		if k >= 0 {
			lineEnd = d.pos + k + 1
		}
		line := d.line
		err := d.scan(lineEnd, true)
		if err == io.EOF {
			continue // a blank line
		}
		if err != nil {
			// Not a CSV record: a title.
			d.pos, d.line = lineEnd, line+1
			continue
		}
		header := make([]string, len(d.fields))
		for i := range d.fields {
			header[i] = d.field(i)
		}
		cols, names, known, missing := resolve(d.schema, header)
		if known < 3 {
			continue // a title, or a table before the one we want
		}
		if missing != nil {
			return d.fail(d.recLine, "", fmt.Errorf("%w %q (the header has none of: %s)", ErrMissingColumn, missing.Names[0], strings.Join(missing.Names, ", ")))
		}
		d.cols = append(d.cols[:0], cols...)
		d.has = [nTargets]bool{}
		for t := range names {
			d.names[t] = strings.Clone(names[t])
		}
		for _, c := range cols {
			d.has[c.t] = true
			if c.t == tPublisherType {
				d.pubIdx = c.idx
			}
		}
		d.nHeader = len(header)
		d.limit = d.nHeader
		d.stats.HeaderLine = d.recLine
		return nil
	}
	return d.fail(0, "", fmt.Errorf("%w (a row naming columns such as %s)", ErrNoHeader, exampleNames(d.schema)))
}

func exampleNames(s Schema) string {
	var names []string
	for _, c := range s.table() {
		if c.Required {
			names = append(names, c.Names[0])
		}
	}
	return strings.Join(names, ", ")
}

func (d *decoder) record(onUsage func(*billing.UsageRow) error, onMarketplace func(*billing.MarketplaceCharge) error) error {
	market := false
	switch d.schema {
	case EAMarketplace:
		market = true
	case CostDetails:
		p := d.fields[d.pubIdx]
		market = isMarketplace(d.buf[p.s:p.e])
	}
	if market && onMarketplace == nil || !market && onUsage == nil {
		d.stats.Skipped++
		return nil
	}
	buf := d.buf
	for _, c := range d.cols {
		f := &d.fields[c.idx]
		if f.flags&(fQuoted|fFixed) == fQuoted {
			d.unquote(f)
		}
		if f.e > f.s {
			d.vals[c.t] = unsafe.String(&buf[f.s], f.e-f.s)
		} else {
			d.vals[c.t] = ""
		}
	}
	d.tags.arena = d.tags.arena[:0]
	if market {
		if err := d.marketplace(); err != nil {
			return err
		}
		d.stats.Marketplace++
		return onMarketplace(&d.mc)
	}
	if err := d.usage(); err != nil {
		return err
	}
	d.stats.Usage++
	return onUsage(&d.row)
}

// isMarketplace reports PublisherType "Marketplace", in any case. The
// field is read raw: "Marketplace" needs no unquoting.
func isMarketplace(b []byte) bool {
	b = bytes.TrimSpace(b)
	return len(b) == len("Marketplace") && bytes.EqualFold(b, []byte("Marketplace"))
}

func (d *decoder) valueErr(t target, err error) error {
	return d.fail(d.recLine, d.names[t], err)
}

func (d *decoder) usage() error {
	v := &d.vals
	r := &d.row
	var err error
	if r.Date, err = d.date.parse(v[tDate]); err != nil {
		return d.valueErr(tDate, err)
	}
	if r.Cost, err = parseNumber(v[tCost]); err != nil {
		return d.valueErr(tCost, err)
	}
	if r.Quantity, err = parseNumber(v[tQuantity]); err != nil {
		return d.valueErr(tQuantity, err)
	}
	r.Department = v[tDepartment]
	r.AccountName = v[tAccount]
	r.CostCenter = v[tCostCenter]
	r.SubscriptionID = v[tSubID]
	r.SubscriptionName = v[tSubName]
	r.MeterID = v[tMeterID]
	r.MeterCategory = v[tMeterCategory]
	r.MeterSubcategory = v[tMeterSubcategory]
	r.MeterName = v[tMeterName]
	r.MeterRegion = v[tMeterRegion]
	r.UnitOfMeasure = v[tUnit]
	r.ResourceGroup = v[tResourceGroup]
	r.ResourceLocation = v[tResourceLocation]
	r.ServiceName = v[tServiceName]
	r.ServiceTier = v[tServiceTier]
	r.Product = v[tProduct]
	r.ConsumedService = v[tConsumedService]
	r.ChargesBilledSeparately = false
	switch {
	case d.has[tBilledSeparately]:
		if r.ChargesBilledSeparately, err = parseBool(v[tBilledSeparately]); err != nil {
			return d.valueErr(tBilledSeparately, err)
		}
	case d.has[tCreditEligible] && trimSpace(v[tCreditEligible]) != "":
		eligible, err := parseBool(v[tCreditEligible])
		if err != nil {
			return d.valueErr(tCreditEligible, err)
		}
		r.ChargesBilledSeparately = !eligible
	}
	r.Tags = nil
	if d.has[tTags] {
		r.Tags = d.tags.read(v[tTags])
	}
	return nil
}

func (d *decoder) marketplace() error {
	v := &d.vals
	c := &d.mc
	var err error
	if c.UsageStart, err = d.date.parse(v[tDate]); err != nil {
		return d.valueErr(tDate, err)
	}
	c.UsageEnd = time.Time{}
	if d.has[tDateEnd] && trimSpace(v[tDateEnd]) != "" {
		if c.UsageEnd, err = d.dateEnd.parse(v[tDateEnd]); err != nil {
			return d.valueErr(tDateEnd, err)
		}
	} else if !c.UsageStart.IsZero() {
		// A charge covers its day, as the JSON report's usageEndDate says.
		c.UsageEnd = c.UsageStart.Add(24*time.Hour - time.Second)
	}
	if c.Cost, err = parseNumber(v[tCost]); err != nil {
		return d.valueErr(tCost, err)
	}
	if c.Quantity, err = parseNumber(v[tQuantity]); err != nil {
		return d.valueErr(tQuantity, err)
	}
	if c.Rate, err = parseNumber(v[tRate]); err != nil {
		return d.valueErr(tRate, err)
	}
	c.Department = v[tDepartment]
	c.AccountName = v[tAccount]
	c.CostCenter = v[tCostCenter]
	c.SubscriptionID = v[tSubID]
	c.SubscriptionName = v[tSubName]
	c.Publisher = v[tPublisher]
	c.Offer = v[tOffer]
	c.Plan = v[tPlan]
	c.UnitOfMeasure = v[tUnit]
	c.Recurring = false
	switch {
	case d.has[tRecurring]:
		if c.Recurring, err = parseBool(v[tRecurring]); err != nil {
			return d.valueErr(tRecurring, err)
		}
	case d.has[tFrequency]:
		c.Recurring = strings.EqualFold(trimSpace(v[tFrequency]), "Recurring")
	}
	c.Tags = nil
	if d.has[tTags] {
		c.Tags = d.tags.read(v[tTags])
	}
	return nil
}
