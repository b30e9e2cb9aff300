// Command usagecorpus serves the generated usage corpus (package
// usagecorpus) over HTTP from memory, as a fake EA API for whole-process
// refresh benchmarks, and measures a plain encoding/json struct client on
// the same listing.
//
//	usagecorpus serve --listen 127.0.0.1:0 --rows 300000 [--addr-file F]
//	usagecorpus jsonclient --url http://127.0.0.1:PORT/v3/enrollments/100/billingPeriods/202611/usagedetails
//
// serve answers every .../usagedetails path (any version, enrollment and
// period) with the listing: --rows rows in --page-size pages, following
// nextLink (?skiptoken=N). Pages repeat after --distinct of them, so that a
// listing of millions of rows does not need gigabytes of memory.
// jsonclient downloads the listing with eaclient.DecodeUsagePageReference
// (encoding/json into structs), sums the cost per label set, and prints
// rows, MB, wall and CPU seconds, MB per CPU-second and peak RSS.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/eaclient"
	"github.com/azure-ea-exporter/azure_ea_exporter/tools/usagecorpus"
)

const marker = "@@NEXT@@"

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: usagecorpus serve|jsonclient [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		serve(os.Args[2:])
	case "jsonclient":
		jsonClient(os.Args[2:])
	default:
		fmt.Fprintln(os.Stderr, "usage: usagecorpus serve|jsonclient [flags]")
		os.Exit(2)
	}
}

func serve(args []string) {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	addrFile := fs.String("addr-file", "", "write the address listened on to this file")
	rows := fs.Int("rows", 300000, "rows in the listing")
	pageSize := fs.Int("page-size", 1000, "rows per page")
	distinct := fs.Int("distinct", 50, "distinct pages, served round robin")
	seed := fs.Uint64("seed", 1, "seed of the corpus")
	gz := fs.Bool("gzip", false, "answer gzip (level 6) to clients that accept it")
	_ = fs.Parse(args)

	o := usagecorpus.Options{Seed: *seed, Rows: *rows, PageSize: *pageSize}
	n := o.NumPages()
	type page struct{ head, tail []byte }
	pages := make([]page, min(n, *distinct))
	for i := range pages {
		// A full page; the last page of the listing is cut short below.
		full := o
		full.Rows = (i + 1) * *pageSize
		b := usagecorpus.Page(full, i, marker)
		k := bytes.Index(b, []byte(marker))
		pages[i] = page{b[:k], b[k+len(marker):]}
	}
	last := usagecorpus.Page(o, n-1, "")
	// Gzipped, a page is three gzip members (a multi-member stream, which
	// every gzip reader reads whole): its head and tail compressed once,
	// and the nextLink between them compressed per request.
	var gzPages []page
	var gzLast []byte
	if *gz {
		for _, p := range pages {
			gzPages = append(gzPages, page{gzipped(p.head), gzipped(p.tail)})
		}
		gzLast = gzipped(last)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	base := "http://" + ln.Addr().String()
	if *addrFile != "" {
		_ = os.WriteFile(*addrFile, []byte(ln.Addr().String()), 0o644)
	}
	fmt.Fprintf(os.Stderr, "serving %d rows in %d pages on %s\n", *rows, n, base)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(strings.ToLower(r.URL.Path), "/usagedetails") {
			http.NotFound(w, r)
			return
		}
		tok, _ := strconv.Atoi(r.URL.Query().Get("skiptoken"))
		i := tok / *pageSize
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("ETag", `"corpus-1"`)
		if *gz && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			w.Header().Set("Content-Encoding", "gzip")
			if i >= n-1 {
				_, _ = w.Write(gzLast)
				return
			}
			p := gzPages[i%len(gzPages)]
			next := fmt.Sprintf("%s%s?skiptoken=%d", base, r.URL.Path, (i+1)**pageSize)
			_, _ = w.Write(p.head)
			_, _ = w.Write(gzipped([]byte(next)))
			_, _ = w.Write(p.tail)
			return
		}
		if i >= n-1 {
			w.Header().Set("Content-Length", strconv.Itoa(len(last)))
			_, _ = w.Write(last)
			return
		}
		p := pages[i%len(pages)]
		next := fmt.Sprintf("%s%s?skiptoken=%d", base, r.URL.Path, (i+1)**pageSize)
		w.Header().Set("Content-Length", strconv.Itoa(len(p.head)+len(next)+len(p.tail)))
		_, _ = w.Write(p.head)
		_, _ = w.Write([]byte(next))
		_, _ = w.Write(p.tail)
	})
	fmt.Fprintln(os.Stderr, http.Serve(ln, h))
	os.Exit(1)
}

// gzipped is b as one gzip member, at the default level.
func gzipped(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func jsonClient(args []string) {
	fs := flag.NewFlagSet("jsonclient", flag.ExitOnError)
	u := fs.String("url", "", "first page")
	_ = fs.Parse(args)
	start := time.Now()
	cpu0 := cpuTime()
	sets := map[string]float64{}
	rows, size := 0, int64(0)
	agg := func(r *billing.UsageRow) error {
		rows++
		sets[r.SubscriptionID+"\xff"+r.ResourceGroup+"\xff"+r.MeterCategory+"\xff"+r.MeterSubcategory+"\xff"+r.Tags["CostCenter"]+"\xff"+r.Tags["env"]] += r.Cost
		return nil
	}
	for next := *u; next != ""; {
		resp, err := http.Get(next)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		cr := &countReader{r: resp.Body}
		next, err = eaclient.DecodeUsagePageReference(cr, agg)
		resp.Body.Close()
		size += cr.n
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	wall, cpu := time.Since(start), cpuTime()-cpu0
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("rows=%d label_sets=%d mb=%.0f wall_s=%.2f cpu_s=%.2f mb_per_cpu_s=%.0f rss_mib=%.1f\n",
		rows, len(sets), float64(size)/1e6, wall.Seconds(), cpu.Seconds(), float64(size)/1e6/cpu.Seconds(), float64(ru.Maxrss)/1024)
}

type countReader struct {
	r interface{ Read([]byte) (int, error) }
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
