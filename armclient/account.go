package armclient

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// Account is what the client knows of the enrollment from its
// Microsoft.Billing billing account.
type Account struct {
	DisplayName   string
	AgreementType string
	// Start and End of the enrollment; zero when not given.
	Start, End   time.Time
	Currency     string
	BillingCycle string
	Status       string
	Departments  []Department
}

// Department is an EA department: Name is its id (the resource name),
// which joins with the Cost Details CSV's InvoiceSectionId; DisplayName
// joins with InvoiceSectionName and Query's DepartmentName.
type Department struct {
	Name        string
	DisplayName string
	CostCenter  string
	Status      string
}

type accountInfo = Account

type billingAccountWire struct {
	Name       string `json:"name"`
	Properties *struct {
		DisplayName       string `json:"displayName"`
		AgreementType     string `json:"agreementType"`
		EnrollmentDetails *struct {
			StartDate    wireTime `json:"startDate"`
			EndDate      wireTime `json:"endDate"`
			Currency     string   `json:"currency"`
			BillingCycle string   `json:"billingCycle"`
			Status       string   `json:"status"`
		} `json:"enrollmentDetails"`
		// An array in some versions, {"value":[...]} in others.
		Departments json.RawMessage `json:"departments"`
	} `json:"properties"`
}

type departmentWire struct {
	Name       string `json:"name"`
	Properties struct {
		DisplayName string `json:"displayName"`
		CostCenter  string `json:"costCenter"`
		Status      string `json:"status"`
	} `json:"properties"`
}

func (d departmentWire) department() Department {
	return Department{Name: d.Name, DisplayName: d.Properties.DisplayName, CostCenter: d.Properties.CostCenter, Status: d.Properties.Status}
}

func decodeDepartments(raw json.RawMessage) []Department {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var list []departmentWire
	if err := json.Unmarshal(raw, &list); err != nil {
		var wrapped struct {
			Value []departmentWire `json:"value"`
		}
		if json.Unmarshal(raw, &wrapped) != nil {
			return nil
		}
		list = wrapped.Value
	}
	out := make([]Department, 0, len(list))
	for _, d := range list {
		out = append(out, d.department())
	}
	return out
}

// Account returns the enrollment's billing account (with enrollmentDetails
// and departments), read at most once per AccountCacheTTL. When a re-read
// fails, the last good one is returned.
func (c *Client) Account(ctx context.Context) (Account, error) {
	c.mu.Lock()
	cached, at := c.acct, c.acctAt
	c.mu.Unlock()
	if cached != nil && c.now().Sub(at) < c.cfg.AccountCacheTTL {
		return *cached, nil
	}
	a, err := c.fetchAccount(ctx)
	if err != nil {
		if cached != nil {
			c.cfg.Logger.Warn("re-reading the billing account failed; using the cached one", "err", err)
			return *cached, nil
		}
		return Account{}, err
	}
	c.mu.Lock()
	c.acct, c.acctAt = &a, c.now()
	c.mu.Unlock()
	return a, nil
}

func (c *Client) fetchAccount(ctx context.Context) (Account, error) {
	const report = ReportBillingPeriods
	u := c.endpoint(c.accountPath(), "api-version="+url.QueryEscape(c.cfg.APIVersions.Billing)+"&$expand="+url.QueryEscape("enrollmentDetails,departments"))
	var w billingAccountWire
	found, err := c.getJSON(ctx, report, u, &w)
	if err != nil {
		return Account{}, err
	}
	if !found || w.Properties == nil {
		return Account{}, &Error{Report: report, Kind: KindDecode, Message: "billing account without properties"}
	}
	p := w.Properties
	a := Account{DisplayName: p.DisplayName, AgreementType: p.AgreementType, Departments: decodeDepartments(p.Departments)}
	if d := p.EnrollmentDetails; d != nil {
		a.Start, a.End = d.StartDate.UTC(), d.EndDate.UTC()
		a.Currency = strings.TrimSpace(d.Currency)
		a.BillingCycle, a.Status = d.BillingCycle, d.Status
	}
	if a.AgreementType != "" && !strings.EqualFold(a.AgreementType, "EnterpriseAgreement") {
		c.cfg.Logger.Warn("billing account is not an Enterprise Agreement", "agreement_type", a.AgreementType)
	}
	return a, nil
}

// BillingPeriods returns the calendar-month billing periods, newest first:
// BillingPeriods of them ending with the current month, or with the
// enrollment's last month if it has ended, and none before the month the
// enrollment started. ARM has no billing-periods API for EA.
func (c *Client) BillingPeriods(ctx context.Context, revision string) ([]billing.Period, billing.Result, error) {
	a, err := c.Account(ctx)
	if err != nil {
		return nil, billing.Result{}, err
	}
	periods := computePeriods(c.calendar(), a.Start, a.End, c.cfg.BillingPeriods)
	h := newRevisionHash(ReportBillingPeriods)
	for _, p := range periods {
		h.add(p)
	}
	res := billing.Result{Revision: h.sum(), Rows: len(periods)}
	if revision != "" && revision == res.Revision {
		res.NotModified = true
		return nil, res, nil
	}
	return periods, res, nil
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

func computePeriods(now, start, end time.Time, n int) []billing.Period {
	last := monthStart(now)
	if !end.IsZero() && end.Before(now) {
		last = monthStart(end)
	}
	var first time.Time
	if !start.IsZero() {
		first = monthStart(start)
	}
	out := make([]billing.Period, 0, n)
	for m := last; len(out) < n; m = m.AddDate(0, -1, 0) {
		if !first.IsZero() && m.Before(first) {
			break
		}
		out = append(out, billing.Period{ID: billing.PeriodOf(m), Start: m, End: m.AddDate(0, 1, 0).Add(-time.Second)})
	}
	return out
}

var periodIDPattern = regexp.MustCompile(`^[0-9]{6}$`)

func checkPeriod(report, id string) error {
	if !periodIDPattern.MatchString(id) {
		return &Error{Report: report, Kind: KindBadRequest, Message: fmt.Sprintf("billing period %q is not yyyyMM", id)}
	}
	if _, _, err := billing.PeriodBounds(id); err != nil {
		return &Error{Report: report, Kind: KindBadRequest, Message: fmt.Sprintf("billing period %q is not yyyyMM", id)}
	}
	return nil
}

// PeriodClosed reports whether the billing period (yyyyMM) ended more than
// ClosedPeriodGrace ago. Microsoft says closed periods do not change
// unless you are told so; a caller may cache them.
func (c *Client) PeriodClosed(period string) bool {
	if c.cfg.ClosedPeriodGrace < 0 {
		return false
	}
	_, next, err := billing.PeriodBounds(period)
	if err != nil {
		return false
	}
	return c.calendar().After(next.Add(c.cfg.ClosedPeriodGrace))
}

// closedShortcut answers NotModified without a request when revision is the
// one this client returned for a closed period of the report.
func (c *Client) closedShortcut(report, period, revision string) (billing.Result, bool) {
	if revision == "" || !c.PeriodClosed(period) {
		return billing.Result{}, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closedRv[report+"/"+period] == revision {
		return billing.Result{Revision: revision, NotModified: true}, true
	}
	return billing.Result{}, false
}

func (c *Client) rememberClosed(report, period, revision string) {
	if !c.PeriodClosed(period) {
		return
	}
	c.mu.Lock()
	c.closedRv[report+"/"+period] = revision
	c.mu.Unlock()
}
