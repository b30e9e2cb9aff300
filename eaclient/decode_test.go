package eaclient

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFlexFloat(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{`1.5`, 1.5, false}, {`"2.25"`, 2.25, false}, {`""`, 0, false}, {`null`, 0, false},
		{`" 3 "`, 3, false}, {`13180.000000000000000`, 13180, false}, {`"abc"`, 0, true}, {`true`, 0, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var f flexFloat
			err := json.Unmarshal([]byte(tc.in), &f)
			if (err != nil) != tc.wantErr || float64(f) != tc.want {
				t.Errorf("got %v, %v", f, err)
			}
		})
	}
}

func TestFlexString(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		wantErr  bool
	}{
		{`"201507"`, "201507", false}, {`201507`, "201507", false}, {`null`, "", false}, {`{}`, "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var f flexString
			err := json.Unmarshal([]byte(tc.in), &f)
			if (err != nil) != tc.wantErr || string(f) != tc.want {
				t.Errorf("got %q, %v", f, err)
			}
		})
	}
}

func TestFlexBool(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    bool
		wantErr bool
	}{
		{`true`, true, false}, {`false`, false, false}, {`"True"`, true, false}, {`"False"`, false, false},
		{`""`, false, false}, {`null`, false, false}, {`"maybe"`, false, true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var f flexBool
			err := json.Unmarshal([]byte(tc.in), &f)
			if (err != nil) != tc.wantErr || bool(f) != tc.want {
				t.Errorf("got %v, %v", f, err)
			}
		})
	}
}

func TestFlexTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{`"2017-04-01T00:00:00Z"`, time.Date(2017, 4, 1, 0, 0, 0, 0, time.UTC)},
		{`"2018-08-01T00:00:00"`, time.Date(2018, 8, 1, 0, 0, 0, 0, time.UTC)},
		{`"2017-04-27T23:01:43.799Z"`, time.Date(2017, 4, 27, 23, 1, 43, 799e6, time.UTC)},
		{`"2017-08-29T06:56:29.1290704Z"`, time.Date(2017, 8, 29, 6, 56, 29, 129070400, time.UTC)},
		{`"2017-08-29T06:56:29.1290704"`, time.Date(2017, 8, 29, 6, 56, 29, 129070400, time.UTC)},
		{`"2019-05-01T23: 59: 59"`, time.Date(2019, 5, 1, 23, 59, 59, 0, time.UTC)},
		{`"2019-04-01T02:00:00+02:00"`, time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)},
		{`"2019-04-01"`, time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC)},
		{`""`, time.Time{}},
		{`null`, time.Time{}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var f flexTime
			if err := json.Unmarshal([]byte(tc.in), &f); err != nil {
				t.Fatal(err)
			}
			if got := time.Time(f); !got.Equal(tc.want) || got.Location() != time.UTC {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	for _, bad := range []string{`"yesterday"`, `17`} {
		var f flexTime
		if err := json.Unmarshal([]byte(bad), &f); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestFlexTags(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
	}{
		{`"{  \"env\": \"prod\",  \"team\": \"a\"}"`, map[string]string{"env": "prod", "team": "a"}},
		{`{"env":"prod","n":3,"x":null}`, map[string]string{"env": "prod", "n": "3", "x": ""}},
		{`""`, nil}, {`null`, nil}, {`"string"`, nil}, {`"{broken"`, nil}, {`"{}"`, nil},
	} {
		t.Run(tc.in, func(t *testing.T) {
			var f flexTags
			if err := json.Unmarshal([]byte(tc.in), &f); err != nil {
				t.Fatal(err)
			}
			if len(f) != len(tc.want) {
				t.Fatalf("got %v, want %v", f, tc.want)
			}
			for k, v := range tc.want {
				if f[k] != v {
					t.Errorf("got %v, want %v", f, tc.want)
				}
			}
		})
	}
}

func TestDecodeUsagePageKeyOrderAndNulls(t *testing.T) {
	for _, tc := range []struct {
		name, body, next string
		rows             int
	}{
		{"nextLink first", `{"nextLink":"https://h/p2","data":[{"cost":1},{"cost":2}],"id":"x"}`, "https://h/p2", 2},
		{"null data", `{"id":"x","data":null,"nextLink":null}`, "", 0},
		{"no nextLink", `{"data":[]}`, "", 0},
		{"upper-case keys", `{"Data":[{"cost":1}],"NextLink":"n"}`, "n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			next, err := decodeUsagePage(strings.NewReader(tc.body), func(*usageWire) error { n++; return nil })
			if err != nil || next != tc.next || n != tc.rows {
				t.Errorf("next %q rows %d err %v", next, n, err)
			}
		})
	}
	for _, bad := range []string{`[]`, `{"data":{}}`, `{"data":[1]}`, `{"data":[{"cost":"x"}]}`, `{"data":[`} {
		if _, err := decodeUsagePage(strings.NewReader(bad), func(*usageWire) error { return nil }); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

// seeds returns the testdata samples, the fuzzers' starting corpus.
func seeds(t interface{ Fatal(...any) }) [][]byte {
	files, _ := filepath.Glob("testdata/*.json")
	var out [][]byte
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// FuzzDecodeUsagePage: any body either decodes or fails with an error; it
// never panics, and rows decoded never exceed what the body could hold.
func FuzzDecodeUsagePage(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n := 0
		_, _ = decodeUsagePage(strings.NewReader(string(body)), func(w *usageWire) error {
			n++
			return nil
		})
		if n > len(body)/2 {
			t.Fatalf("%d rows from %d bytes", n, len(body))
		}
	})
}

// FuzzDecodeReports runs every list decoder on the same input.
func FuzzDecodeReports(f *testing.F) {
	for _, s := range seeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in := func() *strings.Reader { return strings.NewReader(string(body)) }
		_ = decodeArray(in(), func(*billingPeriodWire) error { return nil })
		_ = decodeArray(in(), func(*balanceSummaryWire) error { return nil })
		_ = decodeArray(in(), func(*marketplaceWire) error { return nil })
		_ = decodeArray(in(), func(*priceWire) error { return nil })
		_ = decodeArray(in(), func(*reservationDetailWire) error { return nil })
		_ = decodeArray(in(), func(*reservationSummaryWire) error { return nil })
		_ = decodeArray(in(), func(*reservationChargeWire) error { return nil })
	})
}

// FuzzParseTime: parsed times are UTC, and a formatted time parses back.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2017-04-01T00:00:00Z", "2018-08-01T00:00:00", "2019-05-01T23: 59: 59", "2017-08-29T06:56:29.1290704Z", "2019-04-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := parseTime(s)
		if err != nil {
			return
		}
		if tm.Location() != time.UTC {
			t.Fatalf("%q parsed to %v, not UTC", s, tm)
		}
		back, err := parseTime(tm.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(tm) {
			t.Fatalf("%q: round trip %v -> %v (%v)", s, tm, back, err)
		}
	})
}
