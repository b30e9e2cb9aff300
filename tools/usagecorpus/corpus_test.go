package usagecorpus

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

func TestPagesAreValidAndDeterministic(t *testing.T) {
	o := Options{Seed: 3, Rows: 2500, PageSize: 500}
	link := func(p int) string { return fmt.Sprint("https://h/u?skiptoken=", p*500) }
	a, b := Pages(o, link), Pages(o, link)
	if len(a) != 5 {
		t.Fatalf("%d pages", len(a))
	}
	versions := map[string]bool{}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("page %d differs between runs", i)
		}
		var page struct {
			Data     []map[string]any `json:"data"`
			NextLink *string          `json:"nextLink"`
		}
		if err := json.Unmarshal(a[i], &page); err != nil {
			t.Fatalf("page %d: %v", i, err)
		}
		if len(page.Data) != 500 {
			t.Errorf("page %d: %d rows", i, len(page.Data))
		}
		if (i < 4) != (page.NextLink != nil && *page.NextLink != "") {
			t.Errorf("page %d: nextLink %v", i, page.NextLink)
		}
		for _, k := range []string{"cost", "Cost", "extendedCost"} {
			if _, ok := page.Data[0][k]; ok {
				versions[k] = true
			}
		}
	}
	if !bytes.Contains(bytes.Join(a, nil), []byte(`\u00`)) || !bytes.Contains(bytes.Join(a, nil), []byte(`\"`)) {
		t.Error("no \\u escapes or escaped JSON in the corpus")
	}
	if len(versions) < 2 {
		t.Errorf("one API version only: %v", versions)
	}
}
