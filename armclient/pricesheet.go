package armclient

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/internal/bodylimit"
)

// PriceSheet returns the price sheet of a billing period (the current one
// when period is empty) through the Cost Management asynchronous download:
// POST .../billingPeriods/{period}/providers/Microsoft.CostManagement/
// pricesheets/default/download, poll the Location, then fetch the ZIP of
// CSVs (or a bare CSV) from the blob host without the bearer token. When
// the blob host refuses the link (403/404/410, e.g. expired), the download
// is requested once more for a fresh link. Rows are kept by Config.PriceTypes.
func (c *Client) PriceSheet(ctx context.Context, period, revision string) ([]billing.Price, billing.Result, error) {
	const report = ReportPriceSheet
	if period == "" {
		period = billing.PeriodOf(c.calendar())
	}
	if err := checkPeriod(report, period); err != nil {
		return nil, billing.Result{}, err
	}
	if res, ok := c.closedShortcut(report, period, revision); ok {
		return nil, res, nil
	}
	deadline := c.now().Add(c.cfg.AsyncTimeout)
	ctx, cancel := context.WithTimeout(ctx, c.cfg.AsyncTimeout)
	defer cancel()
	u := c.endpoint(c.accountPath()+"/billingPeriods/"+period+"/providers/Microsoft.CostManagement/pricesheets/default/download",
		"api-version="+url.QueryEscape(c.cfg.APIVersions.CostManagement))

	var out []billing.Price
	read := 0
	for try := 1; ; try++ {
		links, err := c.runAsync(ctx, report, u, nil, deadline)
		if err != nil {
			return nil, billing.Result{}, err
		}
		if !links.validTill.IsZero() && c.now().After(links.validTill) && try == 1 {
			continue // already expired: ask again
		}
		out, read, err = c.readPriceFiles(ctx, report, period, links.urls)
		if err == nil {
			break
		}
		if errors.Is(err, errLinkRefused) && try == 1 {
			c.cfg.Logger.Debug("download link refused; requesting a fresh one", "report", report, "err", err)
			continue
		}
		return nil, billing.Result{}, err
	}
	out, res, err := finish(report, out, read, revision)
	if err == nil {
		c.rememberClosed(report, period, res.Revision)
	}
	return out, res, err
}

func (c *Client) readPriceFiles(ctx context.Context, report, period string, links []string) ([]billing.Price, int, error) {
	var out []billing.Price
	read := 0
	for _, link := range links {
		f, size, err := c.download(ctx, report, link)
		if err != nil {
			return nil, 0, err
		}
		err = func() error {
			defer func() {
				f.Close()
				os.Remove(f.Name())
			}()
			return c.eachCSV(f, size, func(r io.Reader, name string) error {
				n, err := c.parsePriceCSV(r, period, &out)
				read += n
				if err != nil {
					return &Error{Report: report, Kind: KindDecode, Message: name, Err: err}
				}
				return nil
			})
		}()
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				err = &Error{Report: report, Kind: KindDecode, Err: err}
			}
			return nil, 0, err
		}
	}
	return out, read, nil
}

// eachCSV streams the CSV entries of a ZIP file, or the file itself when it
// is not a ZIP.
func (c *Client) eachCSV(f *os.File, size int64, each func(r io.Reader, name string) error) error {
	var magic [4]byte
	n, _ := io.ReadFull(f, magic[:])
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n < 4 || !bytes.Equal(magic[:], []byte("PK\x03\x04")) {
		return each(f, "download")
	}
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("reading the ZIP: %w", err)
	}
	files := slices.Clone(zr.File)
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	seen := 0
	for _, zf := range files {
		if zf.FileInfo().IsDir() || !strings.EqualFold(pathExt(zf.Name), ".csv") {
			continue
		}
		if zf.UncompressedSize64 > uint64(c.cfg.MaxDownloadBytes)*4 {
			return fmt.Errorf("ZIP entry %q: %d bytes uncompressed is over the limit", zf.Name, zf.UncompressedSize64)
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("ZIP entry %q: %w", zf.Name, err)
		}
		err = each(&bodylimit.Reader{R: rc, N: c.cfg.MaxDownloadBytes * 4}, zf.Name)
		rc.Close()
		if err != nil {
			return err
		}
		seen++
	}
	if seen == 0 {
		return errors.New("the ZIP holds no CSV file")
	}
	return nil
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i:]
	}
	return ""
}

// parsePriceCSV appends the rows of one price-sheet CSV, located by header
// name (case-insensitive; the header may follow a few preamble lines).
func (c *Client) parsePriceCSV(r io.Reader, period string, out *[]billing.Price) (rows int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if b, _ := br.Peek(3); bytes.Equal(b, []byte("\xef\xbb\xbf")) {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	col := map[string]int{}
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return 0, errors.New("no header row with a MeterId column")
		}
		if err != nil {
			return 0, err
		}
		if i > 20 {
			return 0, errors.New("no header row with a MeterId column in the first 20 lines")
		}
		if slices.ContainsFunc(rec, func(s string) bool { return strings.EqualFold(strings.TrimSpace(s), "MeterId") }) {
			for j, name := range rec {
				k := strings.ToLower(strings.TrimSpace(name))
				if _, dup := col[k]; !dup {
					col[k] = j
				}
			}
			break
		}
	}
	get := func(rec []string, name string) string {
		if j, ok := col[name]; ok && j < len(rec) {
			return strings.TrimSpace(rec[j])
		}
		return ""
	}
	num := func(rec []string, name string) (float64, error) {
		s := get(rec, name)
		if s == "" {
			return 0, nil
		}
		return strconv.ParseFloat(s, 64)
	}
	keep := func(priceType string) bool {
		if priceType == "" {
			return true
		}
		return slices.ContainsFunc(c.cfg.PriceTypes, func(t string) bool { return strings.EqualFold(t, priceType) })
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		rows++
		if !keep(get(rec, "pricetype")) {
			continue
		}
		line, _ := cr.FieldPos(0)
		up, err := num(rec, "unitprice")
		if err != nil {
			return rows, fmt.Errorf("line %d: UnitPrice: %w", line, err)
		}
		iq, err := num(rec, "includedquantity")
		if err != nil {
			return rows, fmt.Errorf("line %d: IncludedQuantity: %w", line, err)
		}
		*out = append(*out, billing.Price{
			PeriodID:         period,
			MeterID:          strings.Clone(get(rec, "meterid")),
			MeterName:        strings.Clone(get(rec, "metername")),
			PartNumber:       strings.Clone(get(rec, "partnumber")),
			UnitOfMeasure:    strings.Clone(get(rec, "unitofmeasure")),
			UnitPrice:        up,
			IncludedQuantity: iq,
			Currency:         strings.Clone(get(rec, "currencycode")),
		})
	}
}
