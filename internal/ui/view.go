package ui

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/collector"
)

// credentialWarning is how near a credential's expiry is highlighted.
const credentialWarning = 14 * 24 * time.Hour

// overall is the line an operator reads first.
type overall struct {
	Text   string
	Detail string
	Class  string // good, warn, bad
	// Up, Failing, Waiting and Total count the reports that are polled
	// (enabled and supported by their source).
	Up, Failing, Waiting, Total int
	Unsupported, Disabled       int
}

func overallOf(st []collector.EnrollmentStatus) overall {
	var o overall
	for _, e := range st {
		for _, r := range e.Reports {
			switch {
			case !r.Enabled:
				o.Disabled++
				continue
			case r.Unsupported:
				o.Unsupported++
				continue
			}
			o.Total++
			switch {
			case r.Attempts == 0:
				o.Waiting++
			case r.Up:
				o.Up++
			default:
				o.Failing++
			}
		}
	}
	switch {
	case o.Total == 0:
		o.Text, o.Class = "no reports enabled", "warn"
	case o.Failing > 0:
		o.Text, o.Class = fmt.Sprintf("%d %s failing", o.Failing, plural(o.Failing, "report", "reports")), "bad"
		o.Detail = fmt.Sprintf("%d/%d reports up", o.Up, o.Total)
	default:
		o.Text, o.Class = fmt.Sprintf("%d/%d reports up", o.Up, o.Total), "good"
		if o.Waiting > 0 {
			o.Class = "warn"
		}
	}
	var more []string
	if o.Failing > 0 && o.Waiting > 0 || o.Failing == 0 && o.Waiting > 0 {
		more = append(more, fmt.Sprintf("%d waiting for their first refresh", o.Waiting))
	}
	if o.Unsupported > 0 {
		more = append(more, fmt.Sprintf("%d not offered by their source", o.Unsupported))
	}
	if o.Disabled > 0 {
		more = append(more, fmt.Sprintf("%d disabled", o.Disabled))
	}
	if len(more) > 0 {
		if o.Detail != "" {
			o.Detail += "; "
		}
		o.Detail += strings.Join(more, ", ")
	}
	return o
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// enrollmentView is one enrollment as the status page shows it.
type enrollmentView struct {
	Number         string
	Currency       string
	Period         string
	PreviousPeriod string
	Periods        []string

	Balance    *balanceView
	Spend      figure
	Previous   figure
	Budgets    []budgetView
	DaysLeft   figure
	Through    figure
	Credential figure
	Chart      *chart

	Overall overall
	Reports []collector.ReportStatus
}

// figure is one value of the summary: its text, a note beside it, the
// class that colours it and, for tests and scripts, the raw value.
type figure struct {
	Text, Note, Class string
	Value             string
}

type balanceView struct {
	Beginning, Ending, Utilized figure
	Overage, TotalOverage       figure
	InOverage                   bool
}

type budgetView struct {
	Name                  string
	Spent, Amount         string
	Percent               string
	Verdict, Class        string
	Bar                   float64 // 0 to 100, the bar's width
	SpentValue, AmountVal string
}

func enrollmentOf(e collector.EnrollmentStatus, now time.Time) enrollmentView {
	s := e.Summary
	cur := s.Currency
	v := enrollmentView{
		Number: e.Number, Currency: cur, Period: s.Period, PreviousPeriod: s.PreviousPeriod,
		Periods: e.Periods, Reports: e.Reports,
		Overall: overallOf([]collector.EnrollmentStatus{e}),
	}
	if b := s.Balance; b != nil {
		bv := &balanceView{
			Beginning: moneyFigure(cur, b.BeginningBalance),
			Ending:    moneyFigure(cur, b.EndingBalance),
			Utilized:  moneyFigure(cur, b.Utilized),
			Overage:   moneyFigure(cur, b.ServiceOverage),
			InOverage: b.ServiceOverage > 0,
		}
		if b.TotalOverage != b.ServiceOverage {
			bv.TotalOverage = moneyFigure(cur, b.TotalOverage)
		}
		if bv.InOverage {
			bv.Overage.Class = "bad"
		} else {
			bv.Overage.Class = "good"
		}
		v.Balance = bv
	}

	v.Spend = figure{Text: "not read yet", Class: "muted"}
	if s.HasSpend {
		v.Spend = moneyFigure(cur, s.Spend)
	}
	if s.PreviousPeriod != "" {
		v.Previous = figure{Text: "not read yet", Class: "muted"}
		if s.HasPreviousSpend {
			v.Previous = moneyFigure(cur, s.PreviousSpend)
			if s.HasSpend && s.PreviousSpend > 0 {
				v.Spend.Note = fmt.Sprintf("%s of %s's total", percent(s.Spend/s.PreviousSpend), s.PreviousPeriod)
			}
		}
	}

	for _, b := range s.Budgets {
		v.Budgets = append(v.Budgets, budgetOf(cur, b))
	}

	switch {
	case s.Balance == nil:
		v.DaysLeft = figure{Text: "unknown: no balance summary yet", Class: "muted"}
	case s.Balance.EndingBalance <= 0:
		v.DaysLeft = figure{Text: "none: the commitment is used up", Class: "bad", Value: "0"}
		if s.Balance.BeginningBalance <= 0 {
			v.DaysLeft.Text = "none: no commitment this period"
		}
	case s.BurnPerDay <= 0:
		v.DaysLeft = figure{Text: "no spend yet", Class: "muted"}
	default:
		days := s.CommitmentDaysLeft
		v.DaysLeft = figure{Text: fmt.Sprintf("%s days", group(strconv.FormatFloat(math.Floor(days), 'f', 0, 64))),
			Note: "at " + money(cur, s.BurnPerDay) + " a day", Value: strconv.FormatFloat(days, 'f', 1, 64)}
		if days < 30 {
			v.DaysLeft.Class = "warn"
		}
	}

	if s.DataThrough.IsZero() {
		v.Through = figure{Text: "no usage data yet", Class: "muted"}
	} else {
		d := s.DataThrough.UTC()
		v.Through = figure{Text: d.Format("2006-01-02"), Value: d.Format("2006-01-02")}
		days := int(now.UTC().Truncate(24*time.Hour).Sub(d.Truncate(24*time.Hour)).Hours() / 24)
		switch {
		case days <= 0:
			v.Through.Note = "today"
		case days == 1:
			v.Through.Note = "yesterday"
		default:
			v.Through.Note = fmt.Sprintf("%d days ago", days)
		}
		if days > 4 {
			v.Through.Class = "warn"
		}
	}

	if e.CredentialExpiry.IsZero() {
		v.Credential = figure{Text: "expiry not known", Class: "muted"}
		if e.CredentialKind != "" {
			v.Credential.Text = e.CredentialKind + ": expiry not known"
		}
	} else {
		exp := e.CredentialExpiry
		kind := e.CredentialKind
		if kind == "" {
			kind = "credential"
		}
		left := exp.Sub(now)
		v.Credential = figure{Value: exp.UTC().Format(time.RFC3339)}
		switch {
		case left <= 0:
			v.Credential.Text = fmt.Sprintf("%s EXPIRED %s", kind, exp.UTC().Format("2006-01-02 15:04 MST"))
			v.Credential.Note, v.Credential.Class = ago(now, exp), "bad"
		default:
			v.Credential.Text = fmt.Sprintf("%s expires %s", kind, exp.UTC().Format("2006-01-02 15:04 MST"))
			v.Credential.Note = ago(now, exp)
			if left < credentialWarning {
				v.Credential.Class = "warn"
			}
		}
	}

	v.Chart = burnDown(s, cur)
	return v
}

func budgetOf(cur string, b collector.BudgetStatus) budgetView {
	bv := budgetView{Name: b.Name, Amount: money(cur, b.Amount), AmountVal: strconv.FormatFloat(b.Amount, 'f', -1, 64)}
	if !b.HasSpent {
		bv.Spent, bv.Verdict, bv.Class = "not read yet", "", "muted"
		return bv
	}
	bv.Spent = money(cur, b.Spent)
	bv.SpentValue = strconv.FormatFloat(b.Spent, 'f', -1, 64)
	if b.Amount > 0 {
		r := b.Spent / b.Amount
		bv.Percent = percent(r)
		bv.Bar = math.Min(100, math.Max(0, r*100))
	}
	switch {
	case b.Spent > b.Amount:
		bv.Verdict, bv.Class = "over by "+money(cur, b.Spent-b.Amount), "bad"
	default:
		bv.Verdict, bv.Class = "under by "+money(cur, b.Amount-b.Spent), "good"
		if b.Amount > 0 && b.Spent/b.Amount >= 0.9 {
			bv.Class = "warn"
		}
	}
	return bv
}

// percent prints a ratio as a whole percentage, "0.4%" below 1%.
func percent(r float64) string {
	p := r * 100
	if p > 0 && p < 1 {
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
	return strconv.FormatFloat(math.Round(p), 'f', 0, 64) + "%"
}

func moneyFigure(cur string, v float64) figure {
	return figure{Text: money(cur, v), Value: strconv.FormatFloat(v, 'f', -1, 64)}
}

// money prints an amount with its currency, two decimals and thousands
// separators: "EUR 1,683.43", "USD -12.00".
func money(cur string, v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	if v < 0 && s != "0.00" {
		s = "-" + group(s)
	} else {
		s = group(s)
	}
	if cur == "" {
		return s
	}
	return cur + " " + s
}

// group puts thousands separators into the integer part of a non-negative
// decimal number.
func group(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteByte('.')
		b.WriteString(frac)
	}
	return b.String()
}

// chart is the burn-down of the current period as inline SVG: the
// commitment left each day (beginning balance less the cumulative usage
// cost) against the days of the period.
type chart struct {
	W, H                   int
	Left, Right, Top, Base float64 // the plot area
	Zero                   float64 // y of 0
	Line                   string  // polyline points of the commitment left
	Even                   string  // the even burn: beginning to 0 at the period's end
	Last                   point
	LastAnchor             string  // text-anchor of LastLabel
	LastLabelY             float64 // baseline of LastLabel: above the point, or below it near the top
	Overage                bool    // the line goes below 0
	OverageTop             float64
	TopLabel, LastLabel    string
	StartLabel, EndLabel   string
	Caption                string
	Empty                  string // shown instead of a line
}

type point struct{ X, Y float64 }

func burnDown(s collector.Summary, cur string) *chart {
	start, next, err := billing.PeriodBounds(s.Period)
	if err != nil {
		return nil
	}
	c := &chart{W: 480, H: 200, Left: 8, Right: 472, Top: 22, Base: 176}
	c.StartLabel = start.Format("Jan 2")
	c.EndLabel = next.AddDate(0, 0, -1).Format("Jan 2")
	if s.Balance == nil {
		c.Empty = "no balance summary yet"
		return c
	}
	begin := s.Balance.BeginningBalance
	daily := append([]collector.DailyCost(nil), s.Daily...)
	sort.Slice(daily, func(i, j int) bool { return daily[i].Day.Before(daily[j].Day) })
	periodDays := next.Sub(start).Hours() / 24

	// Cumulative usage cost at the end of each day with data.
	type step struct{ day, left float64 }
	steps := []step{{0, begin}}
	var cum float64
	for _, d := range daily {
		day := d.Day.UTC().Sub(start).Hours() / 24
		if day < 0 || day >= periodDays {
			continue
		}
		cum += d.Cost
		steps = append(steps, step{day + 1, begin - cum})
	}
	hi, lo := math.Max(begin, 0), math.Min(0, begin-cum)
	if hi == lo {
		hi = lo + 1
	}
	x := func(day float64) float64 { return c.Left + (c.Right-c.Left)*day/periodDays }
	y := func(v float64) float64 { return c.Top + (c.Base-c.Top)*(hi-v)/(hi-lo) }
	c.Zero = y(0)
	var pts []string
	for _, st := range steps {
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(st.day), y(st.left)))
	}
	c.Line = strings.Join(pts, " ")
	last := steps[len(steps)-1]
	c.Last = point{x(last.day), y(last.left)}
	c.LastLabelY = c.Last.Y - 8
	if c.LastLabelY < c.Top+14 {
		c.LastLabelY = c.Last.Y + 16
	}
	c.LastAnchor = "start"
	if c.Last.X > (c.Left+c.Right)/2 {
		c.LastAnchor = "end"
	}
	if begin > 0 {
		c.Even = fmt.Sprintf("%.1f,%.1f %.1f,%.1f", x(0), y(begin), x(periodDays), y(0))
	}
	c.Overage = lo < 0
	c.OverageTop = c.Zero
	c.TopLabel = "beginning balance " + money(cur, begin)
	c.LastLabel = "left " + money(cur, last.left)
	if last.left < 0 {
		c.LastLabel = "overage " + money(cur, -last.left)
	}
	if len(steps) == 1 {
		c.Empty = "no usage data for " + s.Period + " yet"
	}
	c.Caption = fmt.Sprintf("Commitment left in %s: the beginning balance less the cumulative usage cost, by day (dashed: an even burn to 0 at the end of the period).", s.Period)
	return c
}
