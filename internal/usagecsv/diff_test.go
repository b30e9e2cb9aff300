package usagecsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// scanAll splits data into records with the scanner, as Read does after
// the header: records up to the first error.
func scanAll(r io.Reader, size int) ([][]string, error) {
	var s scanner
	s.reset(r, size, 1<<20)
	s.limit = 1 << 20
	var out [][]string
	for {
		err := s.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		rec := make([]string, len(s.fields))
		for i := range s.fields {
			rec[i] = strings.Clone(s.field(i))
		}
		out = append(out, rec)
	}
}

// csvAll splits data with encoding/csv, with any number of fields per
// record: records up to the first error.
func csvAll(data []byte) ([][]string, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var out [][]string
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, rec)
	}
}

// agree checks that the scanner splits data as encoding/csv does: the same
// records, and an error exactly when encoding/csv has one (of the same
// kind: a quote error or a bare quote).
func agree(t *testing.T, data []byte) {
	t.Helper()
	want, wantErr := csvAll(data)
	for _, size := range []int{1 << 16, 8, 3} {
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			got, err := scanAll(r, size)
			if (err != nil) != (wantErr != nil) {
				t.Fatalf("%q (buffer %d): error %v, encoding/csv %v", data, size, err, wantErr)
			}
			if wantErr != nil {
				var pe *csv.ParseError
				if errors.As(wantErr, &pe) && pe.Err.Error() != err.Error() {
					t.Fatalf("%q (buffer %d): error %v, encoding/csv %v", data, size, err, wantErr)
				}
				// encoding/csv reports the records before the bad one.
				if len(got) != len(want) {
					t.Fatalf("%q (buffer %d): %d records before the error, encoding/csv %d", data, size, len(got), len(want))
				}
			}
			if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
				t.Fatalf("%q (buffer %d):\n got %q\nwant %q", data, size, got, want)
			}
		}
	}
}

// TestDifferentialEncodingCSV holds the scanner to encoding/csv on random
// inputs made of the bytes that matter to CSV (and some that do not).
func TestDifferentialEncodingCSV(t *testing.T) {
	alphabet := []string{"a", "b", ",", ",", `"`, `"`, `""`, "\n", "\r", "\r\n", " ", "é", "{", ":"}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	for i := 0; i < n; i++ {
		var b strings.Builder
		for k := rng.IntN(40); k > 0; k-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		agree(t, []byte(b.String()))
	}
	// Well-formed records, quoted at random: these never fail.
	for i := 0; i < n/4; i++ {
		var b strings.Builder
		for r := rng.IntN(5); r >= 0; r-- {
			for f := rng.IntN(6); f >= 0; f-- {
				v := ""
				for k := rng.IntN(8); k > 0; k-- {
					v += alphabet[rng.IntN(len(alphabet))]
				}
				if strings.ContainsAny(v, "\",\r\n") || rng.IntN(3) == 0 {
					v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
				}
				b.WriteString(v)
				if f > 0 {
					b.WriteByte(',')
				}
			}
			b.WriteString([]string{"\n", "\r\n", "\n\n"}[rng.IntN(3)])
		}
		agree(t, []byte(b.String()))
	}
	// And the generated files.
	for st := style(0); st < nStyles; st++ {
		data, _ := corpus(st, 9, 300)
		agree(t, bytes.TrimPrefix(data, bom))
	}
}

// FuzzRead: the scanner splits records as encoding/csv does, and Read never
// panics, with any schema, buffer or reader.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"", "a,b\n", "\"a\"\"b\",c\r\n", "\"a\nb\",c", "a\"b", "\"a\"b", "\r", "\n\n", "a,\r\n,b\r", "\"\"\"\"", "\"a\r\nb\"\r\n",
		eaHeader + "\n" + eaRow("2024-03-05", "1.5", `"x, ""y"""`, `"{""a"":""b""}"`, "True") + "\n",
		cdHeader + "\nPlatform,acct,s,s,03/05/2024,Storage,Tables,Reads,2,0.5,1.25,\"\"\"env\"\": \"\"prod\"\"\",MS,Marketplace,P,Recurring,,True\n",
	} {
		f.Add([]byte(s))
	}
	for st := style(0); st < nStyles; st++ {
		data, _ := corpus(st, 1, 3)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<16 {
			return
		}
		agree(t, data)
		for _, s := range []Schema{EAUsage, EAMarketplace, CostDetails} {
			var rows int
			onUsage := func(r *billing.UsageRow) error { rows++; _ = r.Tags["x"]; return nil }
			onMarket := func(m *billing.MarketplaceCharge) error { rows++; return nil }
			st, err := Options{MaxRecordBytes: 4096}.Read(bytes.NewReader(data), s, onUsage, onMarket)
			if err == nil && int64(rows) != st.Records {
				t.Fatalf("%v: %d rows, %d records", s, rows, st.Records)
			}
			// The same through a one-byte reader and a tiny buffer.
			old := bufferSize
			bufferSize = 5
			st2, err2 := Options{MaxRecordBytes: 4096}.Read(iotest.OneByteReader(bytes.NewReader(data)), s, onUsage, onMarket)
			bufferSize = old
			if (err == nil) != (err2 == nil) || err == nil && st.Records != st2.Records {
				t.Fatalf("%v: %v (%d records) whole, %v (%d records) byte by byte", s, err, st.Records, err2, st2.Records)
			}
		}
	})
}

// TestClassify holds the block classifier (SSE2 on amd64) to the portable
// one, and both to a byte loop.
func TestClassify(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []byte{'"', ',', '\n', '\r', 'a', 0, 0x80, 0xa2, 0xac, 0x8a, 0xff, '"' | 0x80}
	var b [64]byte
	for i := 0; i < 20000; i++ {
		for k := range b {
			if rng.IntN(2) == 0 {
				b[k] = alphabet[rng.IntN(len(alphabet))]
			} else {
				b[k] = byte(rng.Uint32())
			}
		}
		var wq, wc, wn uint64
		for k, c := range b {
			switch c {
			case '"':
				wq |= 1 << k
			case ',':
				wc |= 1 << k
			case '\n':
				wn |= 1 << k
			}
		}
		q, c, n := classify(&b)
		sq, sc, sn := classifySWAR(&b)
		if q != wq || c != wc || n != wn || sq != wq || sc != wc || sn != wn {
			t.Fatalf("%q: classify %x %x %x, SWAR %x %x %x, want %x %x %x", b, q, c, n, sq, sc, sn, wq, wc, wn)
		}
	}
}
