package armclient

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// BenchmarkCostDetailsStream measures the ARM CSV path end to end against
// the fakes: submit, poll, then two blobs of ~25 MB each streamed over TLS
// through the SHA-256 tee and the CSV reader to a usage callback.
func BenchmarkCostDetailsStream(b *testing.B) {
	t := &testing.T{} // the fakes want a *testing.T; their servers outlive the benchmark
	e := newFakeEnv(t)
	var blob bytes.Buffer
	blob.WriteString(costCSV1[:bytes.IndexByte([]byte(costCSV1), '\n')+1])
	for i := 0; blob.Len() < 25<<20; i++ {
		fmt.Fprintf(&blob, "Dept %d,Acct %d,sub-%d,Sub %d,03/%02d/2026,Virtual Machines,Dv3,m-%d,D2 v3,US East,1 Hour,24,0.1,2.4,CC1,rg-%d,eastus,\"\"\"env\"\": \"\"prod\"\",\"\"app\"\": \"\"web%d\"\"\",\"{\"\"ServiceType\"\":\"\"Standard_D2\"\"}\",Azure,Microsoft,MS-AZR-0017P,,UsageBased,True\r\n",
			i%7, i%5, i%40, i%40, 1+i%28, i%300, i%90, i%12)
	}
	f := &costFake{blobs: map[string]string{"/armreports/op1/part_0.csv": blob.String(), "/armreports/op1/part_1.csv": blob.String()}}
	f.install(t, e)
	c, _, _ := e.client(t, func(cfg *Config, _ *CredentialOptions) {
		cfg.CostDetailsLimits = CostDetailsLimits{PerMinute: -1, PerHour: -1, PerDay: -1, PollsPerMinute: -1}
		cfg.CostDetailsShare = -1
	})
	b.SetBytes(int64(2 * blob.Len()))
	b.ResetTimer()
	for range b.N {
		var n int
		if _, err := c.UsageDetails(context.Background(), "202603", "", billing.UsageWant{}, func(r *billing.UsageRow) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
