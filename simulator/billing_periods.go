package simulator

import (
	"fmt"
	"time"
)

// The billing periods report: the periods of history, newest first, each
// with the routes of its reports. The current period is listed from its
// first instant, with or without data.

func (s *Server) writeBillingPeriods(w *jw, req request) {
	w.raw("[")
	for _, m := range s.d.history() {
		id := monthID(m)
		base := fmt.Sprintf("/v%d/enrollments/%s/billingperiods/%s/", 1, s.d.o.Enrollment, id)
		w.open()
		w.str("billingPeriodId", id)
		w.time("billingStart", monthStart(m), "2006-01-02T15:04:05Z")
		w.time("billingEnd", monthStart(m+1).Add(-time.Second), "2006-01-02T15:04:05Z")
		w.str("balanceSummary", base+"balancesummary")
		w.str("usageDetails", base+"usagedetails")
		w.str("marketplaceCharges", base+"marketplacecharges")
		w.str("priceSheet", base+"pricesheet")
		w.close()
	}
	w.raw("]")
}
