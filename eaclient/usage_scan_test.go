package eaclient

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/simulator"
	"github.com/azure-ea-exporter/azure_ea_exporter/tools/usagecorpus"
)

type decoded struct {
	rows []billing.UsageRow
	next string
	err  error
}

// decodeWith runs a decoder and deep-copies what it hands out.
func decodeWith(dec func(io.Reader, func(*billing.UsageRow) error) (string, error), r io.Reader) decoded {
	var d decoded
	d.next, d.err = dec(r, func(row *billing.UsageRow) error {
		c := *row
		c.Tags = nil
		c.TagValues = nil
		for _, v := range row.TagValues {
			c.TagValues = append(c.TagValues, strings.Clone(v))
		}
		if len(row.Tags) > 0 {
			c.Tags = maps.Clone(row.Tags)
			for k, v := range c.Tags {
				delete(c.Tags, k)
				c.Tags[strings.Clone(k)] = strings.Clone(v)
			}
		}
		v := reflect.ValueOf(&c).Elem()
		for i := 0; i < v.NumField(); i++ {
			if f := v.Field(i); f.Kind() == reflect.String {
				f.SetString(strings.Clone(f.String()))
			}
		}
		d.rows = append(d.rows, c)
		return nil
	})
	return d
}

// agree checks that the scanner decodes input exactly as the reference:
// the same rows and nextLink, or an error from both.
func agree(t *testing.T, input []byte, readers ...func(io.Reader) io.Reader) {
	t.Helper()
	want := decodeWith(DecodeUsagePageReference, bytes.NewReader(input))
	if len(readers) == 0 {
		readers = []func(io.Reader) io.Reader{func(r io.Reader) io.Reader { return r }}
	}
	for _, wrap := range readers {
		agreeWant(t, input, want, wrap)
		got := decodeWith(DecodeUsagePage, wrap(bytes.NewReader(input)))
		if (want.err != nil) != (got.err != nil) {
			t.Fatalf("reference err = %v, scanner err = %v\ninput: %.300q", want.err, got.err, input)
		}
		if want.err != nil {
			continue
		}
		if got.next != want.next {
			t.Fatalf("nextLink %q, reference %q", got.next, want.next)
		}
		if len(got.rows) != len(want.rows) {
			t.Fatalf("%d rows, reference %d", len(got.rows), len(want.rows))
		}
		for i := range want.rows {
			if !reflect.DeepEqual(got.rows[i], want.rows[i]) {
				t.Fatalf("row %d:\n got %+v\nwant %+v\ninput: %.300q", i, got.rows[i], want.rows[i], input)
			}
		}
	}
}

// agreeWant checks the scanner decoding for a consumer that reads only
// some fields (DecodeUsagePageFor): where the reference decodes the input,
// the scanner with each want gives the same values of every wanted field
// and tag. Where the reference fails, the scanner may not: a field nobody
// reads is checked as JSON only, as encoding/json checks a field its struct
// lacks; but input that is not JSON fails whatever the want.
func agreeWant(t *testing.T, input []byte, want decoded, wrap func(io.Reader) io.Reader) {
	t.Helper()
	for _, w := range testWants {
		got := decodeWith(func(r io.Reader, fn func(*billing.UsageRow) error) (string, error) {
			return DecodeUsagePageFor(r, w, fn)
		}, wrap(bytes.NewReader(input)))
		if want.err != nil {
			if got.err == nil && !json.Valid(input) {
				t.Fatalf("want %+v: no error on input that is not JSON (reference: %v)\ninput: %.300q", w, want.err, input)
			}
			continue
		}
		if got.err != nil {
			t.Fatalf("want %+v: %v; the reference decodes it\ninput: %.300q", w, got.err, input)
		}
		if got.next != want.next || len(got.rows) != len(want.rows) {
			t.Fatalf("want %+v: %d rows, next %q; reference %d, %q", w, len(got.rows), got.next, len(want.rows), want.next)
		}
		for i := range want.rows {
			if g, r := project(got.rows[i], w), project(want.rows[i], w); !reflect.DeepEqual(g, r) {
				t.Fatalf("want %+v, row %d:\n got %+v\nwant %+v\ninput: %.300q", w, i, g, r, input)
			}
		}
	}
}

// testWants are the wants agreeWant tries: the collector's default layout
// with tag labels, one field, tags alone, and every tag as a map.
var testWants = []billing.UsageWant{
	{Fields: billing.FieldCost | billing.FieldDate | billing.FieldQuantity | billing.FieldUnitOfMeasure | billing.FieldDepartment |
		billing.FieldSubscriptionID | billing.FieldSubscriptionName | billing.FieldMeterCategory | billing.FieldMeterSubcategory | billing.FieldMeterName,
		TagKeys: []string{"env", "CostCenter", "a", "owner", "x", "team", "c", `k"q`, "José", "hidden-link:/subscriptions/x"}},
	{Fields: billing.FieldCost},
	{Fields: billing.FieldDate, TagKeys: []string{"a", "env"}},
	{Fields: billing.FieldMeterName | billing.FieldTags | billing.FieldChargesBilledSeparately, TagKeys: []string{"ignored with FieldTags"}},
}

// project keeps what w wants of r: the wanted members, the tags map when
// FieldTags is wanted, and the TagKeys' values (through Tag) otherwise.
func project(r billing.UsageRow, w billing.UsageWant) billing.UsageRow {
	var p billing.UsageRow
	for _, m := range []struct {
		f        billing.UsageField
		dst, src *string
	}{
		{billing.FieldDepartment, &p.Department, &r.Department}, {billing.FieldAccountName, &p.AccountName, &r.AccountName},
		{billing.FieldCostCenter, &p.CostCenter, &r.CostCenter}, {billing.FieldSubscriptionID, &p.SubscriptionID, &r.SubscriptionID},
		{billing.FieldSubscriptionName, &p.SubscriptionName, &r.SubscriptionName}, {billing.FieldMeterID, &p.MeterID, &r.MeterID},
		{billing.FieldMeterCategory, &p.MeterCategory, &r.MeterCategory}, {billing.FieldMeterSubcategory, &p.MeterSubcategory, &r.MeterSubcategory},
		{billing.FieldMeterName, &p.MeterName, &r.MeterName}, {billing.FieldMeterRegion, &p.MeterRegion, &r.MeterRegion},
		{billing.FieldUnitOfMeasure, &p.UnitOfMeasure, &r.UnitOfMeasure}, {billing.FieldResourceGroup, &p.ResourceGroup, &r.ResourceGroup},
		{billing.FieldResourceLocation, &p.ResourceLocation, &r.ResourceLocation}, {billing.FieldServiceName, &p.ServiceName, &r.ServiceName},
		{billing.FieldServiceTier, &p.ServiceTier, &r.ServiceTier}, {billing.FieldProduct, &p.Product, &r.Product},
		{billing.FieldConsumedService, &p.ConsumedService, &r.ConsumedService},
	} {
		if w.Has(m.f) {
			*m.dst = *m.src
		}
	}
	if w.Has(billing.FieldDate) {
		p.Date = r.Date
	}
	if w.Has(billing.FieldCost) {
		p.Cost = r.Cost
	}
	if w.Has(billing.FieldQuantity) {
		p.Quantity = r.Quantity
	}
	if w.Has(billing.FieldChargesBilledSeparately) {
		p.ChargesBilledSeparately = r.ChargesBilledSeparately
	}
	if w.Has(billing.FieldTags) {
		p.Tags = r.Tags
	} else {
		for i, k := range w.TagKeys {
			p.TagValues = append(p.TagValues, r.Tag(i, k))
		}
	}
	return p
}

var chunkings = []func(io.Reader) io.Reader{
	func(r io.Reader) io.Reader { return r },
	iotest.OneByteReader,
	iotest.HalfReader,
	iotest.DataErrReader,
}

// withSmallBuffer makes the scanner start with a tiny buffer, so that rows
// straddle refills and the buffer grows.
func withSmallBuffer(t *testing.T) {
	old := scanBufSize
	scanBufSize = 16
	t.Cleanup(func() { scanBufSize = old })
}

func TestScannerMatchesReferenceOnSamples(t *testing.T) {
	withSmallBuffer(t)
	files, _ := filepath.Glob("testdata/usage_*.json")
	if len(files) < 3 {
		t.Fatal("usage samples missing")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			agree(t, b, chunkings...)
		})
	}
}

func TestScannerMatchesReferenceOnSimulator(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	sim := simulator.New(simulator.Options{UsageRowsPerDay: 40, PageSize: 500, Now: func() time.Time { return now }})
	ts := httptest.NewServer(sim)
	defer ts.Close()
	for _, v := range []string{"v1", "v2", "v3"} {
		t.Run(v, func(t *testing.T) {
			req, _ := http.NewRequest("GET", ts.URL+"/"+v+"/enrollments/100/billingPeriods/202610/usagedetails?skiptoken=500", nil)
			req.Header.Set("Authorization", "bearer "+sim.APIKey())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			withSmallBuffer(t)
			agree(t, b, chunkings...)
			// Every truncation of a page is an error for both.
			for _, n := range []int{1, 10, len(b) / 3, len(b) / 2, len(b) - 2, len(b) - 1} {
				agree(t, b[:n])
			}
		})
	}
}

// generatedPages are small pages of the benchmark corpus: every API
// version's key case and order, escaped JSON, \uXXXX escapes, numbers in
// every notation, nulls, compact and indented.
func generatedPages(rows, pageSize int) [][]byte {
	return usagecorpus.Pages(usagecorpus.Options{Seed: 7, Rows: rows, PageSize: pageSize, Versions: [4]int{1, 1, 1, 1}, Compact: 50},
		func(p int) string { return fmt.Sprintf("https://h/v3/enrollments/100/usagedetails?skiptoken=%d", p) })
}

func TestScannerMatchesReferenceOnGeneratedCorpus(t *testing.T) {
	pages := generatedPages(2400, 300)
	for i, p := range pages {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if i == 0 {
				withSmallBuffer(t)
			}
			agree(t, p, chunkings...)
			for _, n := range []int{len(p) / 3, len(p) - 1} {
				agree(t, p[:n])
			}
		})
	}
	// Pages decoded one after another by the same pooled scanner, whose key
	// predictions carry over from a page of another version.
	for range 2 {
		for _, p := range pages {
			agree(t, p)
		}
	}
}

// Quirks and edge cases, each held to the reference decoder.
var quirkPages = []string{
	// Key prediction: order, spacing and case change from row to row;
	// prefixes of other keys; duplicates; a row ending early.
	`{"data":[{"cost":1,"meterName":"a"},{"cost":2,"meterName":"b"},{"meterName":"c","cost":3},{"cost":4},{"cost":5,"meterName":"d","extra":1},{"cost" :6,"meterName":"e"},{"Cost":7, "meterName":"f"},{"cost":8,"costCenter":"g"},{"cost":9,"cost":null},{"cost":10,"meterName":5}]}`,
	`{"data":[{"meterName":"a","tags":""},{"meterName":"b","tags":"{\"a\":\"1\"}"},{"meterName":"c"},{"meterName":"d","tags":"{\"a\":\"1\"}","tags":""},{},{"meterName":"e"}]}`,
	// Escaped tags: \u escapes, escapes that change the inner JSON, other
	// escapes, bad UTF-8, white space, trailing garbage.
	`{"data":[{"tags":"{  \"owner\": \"Jos\u00e9\",  \"x\": \"\ud83d\ude00\ud83d\"}"},{"tags":"{\"a\u0022b\": \"c\"}"},{"tags":"{\"a\": \"\u005c\"}"},{"tags":"{\"a\": \"\u0001\"}"},{"tags":"{\"a\":\n\"b\"}"},{"tags":"{\"a\": \"b\\\"c\"}"},{"tags":"{\"a\": \"\xff\"}"},{"tags":"{ \"a\" : \"b\" , \"c\":\"d\" } "},{"tags":"{\"a\":\"b\"}}"},{"tags":"{\"a\":\"b\" \"c\"}"},{"tags":"{\"a\"\"b\"}"},{"tags":"{\"a\":1}"},{"tags":"{\"a\":\"b\",}"},{"tags":"{\"a\""},{"tags":"{\"a"},{"tags":"{  }"}]}`,
	// Wanted tags read in one pass (readTags): escaped and duplicate
	// keys, \u escapes in wanted values, spaces, empty objects, the outer
	// string ending early, non-string values, a key only in another case.
	`{"data":[{"tags":"{\"\u0065nv\": \"pr\u00f6d\", \"env\": \"second\"}"},{"tags":"  {  }  "},{"tags":"{\"env\":\"a\",\"ENV\":\"b\"}"},{"tags":"{\"env\": \"x\"","cost":1},{"tags":"{\"env\": 5, \"a\": \"b\"}"},{"tags":"{\"owner\": \"Jos\u00e9 Garc\u00eda\", \"a\": \"\ud83d\ude00\"}"},{"tags":"{\"a\": \"\ud800\"}"},{"tags":"{\"Jos\u00e9\": \"k\"}"},{"tags":"{\"a\":\"1\"}  x"},{"tags":" {\"team\" : \"t\" ,\"c\":\"d\"}"}]}`,
	// Numbers and booleans on their fast paths and off them.
	`{"data":[{"cost":"0.5","consumedQuantity":" 2 "},{"cost":"","consumedQuantity":"1e400"},{"cost":"\u0031","consumedQuantity":"x"}]}`,
	`{"data":[{"cost":"inf"},{"cost":"0x1p-2"},{"consumedQuantity":true},{"consumedQuantity":[1]},{"consumedQuantity":null},{"extendedCost":"1","cost":null}]}`,
	`{"data":[{"chargesBilledSeparately":" TRUE "},{"chargesBilledSeparately":"Yes"},{"chargesBilledSeparately":"NO"},{"chargesBilledSeparately":"0"},{"chargesBilledSeparately":"null"},{"chargesBilledSeparately":"\u0054rue"},{"chargesBilledSeparately":"truely"}]}`,
	`{"data":[{"chargesBilledSeparately":"tru\u0065"}]}`,
	"{\"data\":[{\"date\":\"2026-02-29T00:00:00\"},{\"date\":\"2024-02-29T00:00:00\"}]}",
	`{"data":[{"cost":1.5,"departmentName":"Caf\u00e9 \ud83d\ude00 \ud83d lone","meterName":"a\"b\\c\/d\n"}],"nextLink":"https://h/x?a=1\u0026b=2"}`,
	`{"data":[{"COST":2,"DepartmentName":"x","METERNAME":"m","ſubscriptionGuid":"long-s","\u0063ost":3}]}`,
	`{"data":[{"cost":null,"extendedCost":4},{"extendedCost":5,"cost":"6"},{"cost":"","Cost":" 7 "},{"cost":1,"cost":null}]}`,
	`{"data":[{"cost":1e400}]}`,
	`{"data":[{"cost":"abc"}]}`,
	`{"data":[{"cost":-0,"consumedQuantity":1E+2},{"consumedQuantity":0.5e-3}]}`,
	`{"data":[{"cost":01}]}`,
	`{"data":[{"cost":1.}]}`,
	`{"data":[{"cost":+1}]}`,
	`{"data":[{"chargesBilledSeparately":"True"},{"chargesBilledSeparately":"false"},{"chargesBilledSeparately":1},{"chargesBilledSeparately":null},{"chargesBilledSeparately":"maybe"}]}`,
	`{"data":[{"chargesBilledSeparately":{}}]}`,
	`{"data":[{"date":"2018-08-01T00:00:00"},{"date":"2017-04-27T23:01:43.799Z"},{"date":"2019-05-01T23: 59: 59"},{"date":null},{"date":"2019-02-29T00:00:00"},{"date":"2017-08-29T06:56:29.1290704Z"},{"date":"2017-08-29T06:56:29.12907041Z"},{"date":"2019-04-01T02:00:00+02:00"},{"date":""}]}`,
	`{"data":[{"date":17}]}`,
	`{"data":[{"date":"2018-13-01T00:00:00"}]}`,
	`{"data":[{"tags":"{  \"env\": \"prod\",  \"team\": \"a\"}"},{"tags":""},{"tags":"{}"},{"tags":"string"},{"tags":"{broken"},{"tags":{"env":"obj","n":3,"x":null,"b":true,"o":{"z":1}}},{"tags":null},{"tags":"{\"a\":\"1\",\"a\":\"2\"}"},{"tags":"{\"k\\\"q\":\"v\"}"},{"tags":"{\"n\":1}"},{"tags":"[1]"},{"tags":"  "},{"tags":"{\"a\":\"b\"} x"}]}`,
	`{"data":[{"tags":7}]}`,
	`{"data":[{"departmentName":5}]}`,
	`{"data":[{"departmentName":null,"meterName":"m"}]}`,
	`{"data":[{"unknown":{"deep":[1,2,{"a":[[[]]]}],"s":"x"},"other":[true,false,null,-1.5e3],"cost":2}]}`,
	`{"data":[{"unknown":{"a" 1}}]}`,
	`{"data":[{"unknown":[1,]}]}`,
	`{"data":[{"unknown":tru}]}`,
	`{"data":[null,{"cost":1}]}`,
	`{"data":[1]}`,
	`{"data":null,"nextLink":null}`,
	`{"data":{}}`,
	`{"nextLink":5,"data":[]}`,
	`{"id":"x","data":[],"nextLink":"n","extra":{"a":[1,{"b":"c"}]}}`,
	` { "data" : [ { "cost" : 1 } , { "cost" : 2 } ] , "nextLink" : "" } `,
	`{"data":[{"cost":1}]} {}`,
	`{"data":[{"cost":1}]}x`,
	`[]`,
	`{"data":[{"meterName":"bad utf8 \xff\xfe end"}]}`,
	`{"data":[{"meterName":"ctl` + "\x01" + `"}]}`,
	`{"data":[{"meterName":"bad escape \x"}]}`,
	`{"data":[{"meterName":"bad \u12G4"}]}`,
	`{"data":[{"cost":1,}]}`,
	`{"data":[{"cost":1}],}`,
	`{"da\u0074a":[{"cost":1}]}`,
	`{"DATA":[{"cost":1}],"NEXTLINK":"up"}`,
	`{}`,
	``,
	`{"data":[{"cost":1}]`,
}

func TestScannerMatchesReferenceOnQuirks(t *testing.T) {
	withSmallBuffer(t)
	for i, p := range quirkPages {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			agree(t, []byte(p), chunkings...)
		})
	}
}

// FuzzScannerMatchesReference: on any input the fast decoder agrees with
// the reference decoder.
func FuzzScannerMatchesReference(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	for _, p := range quirkPages {
		f.Add([]byte(p))
	}
	for _, p := range generatedPages(8, 2) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		agree(t, b, func(r io.Reader) io.Reader { return r }, iotest.OneByteReader)
	})
}

// TestExactFloat holds the fast paths to strconv.ParseFloat, bit for bit,
// on the notations the API writes, on the edges of the exact path (2^53,
// 10^±22, signed zeros, long fractions) and on 200,000 numbers of up to
// nineteen digits for the Eisel-Lemire path.
func TestExactFloat(t *testing.T) {
	cases := []string{
		"0", "-0", "0.0", "-0.000", "1", "-1", "190763", "0.000005105738884", "1.807029164748106",
		"20.770450169518462", "0.087", "8.7E-02", "8.7e+02", "1e22", "1e23", "1e-22", "1e-23",
		"9007199254740991", "9007199254740992", "9007199254740993", "4503599627370497",
		"0.1", "0.2", "0.3", "123456789012345.6", "1.7976931348623157e308", "5e-324", "1e-400",
		"0.0000000000000000000000001", "100000000000000000000000", "12.50", "-0.0012345678901234",
		"3.14159265358979", "1E0", "1e-0", "2.5E+1", "0.000000000000000000000000000001e30",
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20000 {
		var b []byte
		if rng.IntN(4) == 0 {
			b = append(b, '-')
		}
		b = strconv.AppendUint(b, uint64(rng.IntN(1000)), 10)
		if rng.IntN(3) > 0 {
			b = append(b, '.')
			for range 1 + rng.IntN(18) {
				b = append(b, byte('0'+rng.IntN(10)))
			}
		}
		if rng.IntN(4) == 0 {
			b = append(b, "eE"[rng.IntN(2)])
			b = append(b, "+-"[rng.IntN(2)])
			b = strconv.AppendInt(b, int64(rng.IntN(30)), 10)
		}
		cases = append(cases, string(b))
	}
	// Seventeen to nineteen significant digits, as .NET writes amounts:
	// the Eisel-Lemire path.
	for range 200000 {
		b := strconv.AppendUint(nil, rng.Uint64()%10_000_000_000_000_000_000, 10)
		p := rng.IntN(len(b) + 1)
		num := string(b[:p]) + "." + string(b[p:])
		if p == 0 {
			num = "0" + num
		}
		if p == len(b) {
			num += "0"
		}
		if rng.IntN(8) == 0 {
			num += "e-" + strconv.Itoa(rng.IntN(25))
		}
		cases = append(cases, num)
	}
	fast := 0
	for _, c := range cases {
		got, ok := exactFloat([]byte(c))
		if !ok {
			continue
		}
		fast++
		want, err := strconv.ParseFloat(c, 64)
		if err != nil || math.Float64bits(got) != math.Float64bits(want) {
			t.Errorf("exactFloat(%s) = %v (%x); ParseFloat = %v (%x), %v", c, got, math.Float64bits(got), want, math.Float64bits(want), err)
		}
	}
	if fast < len(cases)/3 {
		t.Errorf("only %d of %d numbers took the fast path", fast, len(cases))
	}
}
