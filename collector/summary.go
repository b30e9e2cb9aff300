package collector

import (
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// Summary is an enrollment's money at a glance, for the status page: the
// same figures the metrics carry, read from the same aggregates.
type Summary struct {
	Currency       string
	Period         string // the current billing period
	PreviousPeriod string // the tracked period before it, "" when none
	// Balance is the current period's commitment account; nil until read.
	Balance *billing.BalanceSummary
	// Spend is the current period's usage and marketplace cost to date;
	// HasSpend is false until both reports (those enabled) have been read.
	Spend    float64
	HasSpend bool
	// PreviousSpend is the whole previous period's usage and marketplace cost.
	PreviousSpend    float64
	HasPreviousSpend bool
	// DataThrough is the newest usage date present.
	DataThrough time.Time
	// Daily is the current period's usage cost per day with data.
	Daily   []DailyCost
	Budgets []BudgetStatus
	// BurnPerDay is the current period's service spend (commitment used
	// plus overage) per day of data; CommitmentDaysLeft is the ending
	// balance at that rate. Both are 0 when unknown.
	BurnPerDay         float64
	CommitmentDaysLeft float64
}

// DailyCost is one day's usage cost.
type DailyCost struct {
	Day  time.Time
	Cost float64
}

// BudgetStatus is one budget's amount and the current period's spend on it.
type BudgetStatus struct {
	Name     string
	Amount   float64
	Spent    float64
	HasSpent bool
}

// summary reads the money figures of the enrollment's aggregates.
func (e *enrollment) summary() Summary {
	tracked := e.tracked()
	s := Summary{Period: tracked[0]}
	if len(tracked) > 1 {
		s.PreviousPeriod = tracked[1]
	}
	_, usageOn := e.byName[config.UsageDetails]
	_, marketOn := e.byName[config.MarketplaceCharges]
	if _, on := e.byName[config.BalanceSummary]; on {
		s.Currency = e.balance.currency(tracked)
		if en, ok := e.balance.load()[s.Period]; ok && !en.NoData {
			b := en.Data
			s.Balance = &b
		}
	}
	spend := func(period string) (float64, bool) {
		var total sum
		read := usageOn || marketOn
		if usageOn {
			en, ok := e.usage.load()[period]
			read = read && ok
			for _, set := range en.Data.Sets {
				total.add(set.Cost)
			}
		}
		if marketOn {
			en, ok := e.market.load()[period]
			read = read && ok
			for _, c := range en.Data.Costs {
				total.add(c.Value)
			}
		}
		return total.value(), read
	}
	s.Spend, s.HasSpend = spend(s.Period)
	if s.PreviousPeriod != "" {
		s.PreviousSpend, s.HasPreviousSpend = spend(s.PreviousPeriod)
	}
	trackedSet := map[string]bool{}
	for _, p := range tracked {
		trackedSet[p] = true
	}
	if usageOn {
		s.DataThrough = e.usage.through(trackedSet)
		for _, d := range e.usage.load()[s.Period].Data.Daily {
			s.Daily = append(s.Daily, DailyCost(d))
		}
	}
	if marketOn {
		if t := e.market.through(trackedSet); t.After(s.DataThrough) {
			s.DataThrough = t
		}
	}
	var usageBudgets, marketBudgets map[string]float64
	var usageRead, marketRead bool
	if usageOn {
		usageBudgets, usageRead = e.usage.budgetSpent(s.Period)
	}
	if marketOn {
		marketBudgets, marketRead = e.market.budgetSpent(s.Period)
	}
	for _, b := range e.budgets {
		bs := BudgetStatus{Name: b.Name, Amount: b.Amount, HasSpent: usageRead || marketRead}
		var spent sum
		spent.add(usageBudgets[b.Name])
		spent.add(marketBudgets[b.Name])
		bs.Spent = spent.value()
		s.Budgets = append(s.Budgets, bs)
	}
	// Burn rate over the days the data covers, not the calendar days: the
	// data is one to three days late, and on the 1st it may cover none.
	if s.Balance != nil && !s.DataThrough.IsZero() {
		if start, _, err := billing.PeriodBounds(s.Period); err == nil && !s.DataThrough.Before(start) {
			days := s.DataThrough.Sub(start).Hours()/24 + 1
			s.BurnPerDay = roundMoney((s.Balance.Utilized + s.Balance.ServiceOverage) / days)
			if s.BurnPerDay > 0 {
				s.CommitmentDaysLeft = s.Balance.EndingBalance / s.BurnPerDay
			}
		}
	}
	return s
}
