package collector

import (
	"errors"

	"github.com/azure-ea-exporter/azure_ea_exporter/config"
)

// restore serves a report's saved data until its first refresh, which
// revalidates it with the saved revisions.
func (x *Exporter) restore(e *enrollment, p *poller) {
	h, err := x.store.load(e.number, p.name, p.report)
	switch {
	case errors.Is(err, errNoState):
		return
	case errors.Is(err, errOldVersion):
		// Every file of an older exporter is in the old format: say so once.
		if x.oldFormatLogged.CompareAndSwap(false, true) {
			x.logger.Warn("ignoring data saved by another version of the exporter; it is rewritten after the next refreshes", "path", x.opts.StoragePath)
		}
		return
	case err != nil:
		p.logger.Warn("ignoring saved data", "err", err)
		return
	}
	p.health.LastSuccess, p.health.LastChange, p.health.Rows = h.LastSuccess, h.LastChange, h.Rows
	if p.name == config.BillingPeriods {
		e.mu.Lock()
		e.periods = e.periodsReport.periods()
		e.mu.Unlock()
	}
	p.logger.Info("serving saved data until the first refresh", "saved_rows", h.Rows)
}

// adopt takes over the data, periods and health of the enrollment it
// replaces, so that a reload leaves no gap.
func (e *enrollment) adopt(old *enrollment) {
	old.mu.Lock()
	e.periods = old.periods
	old.mu.Unlock()
	for _, p := range e.pollers {
		op := old.byName[p.name]
		if op == nil {
			continue
		}
		if p.report.shape() == op.report.shape() {
			p.report.data().adopt(op.report.data())
		}
		h := op.snapshot()
		h.Running = false
		p.health = h
	}
}
