package simulator

import "fmt"

// The price sheet report: one row per meter of the catalog, at its rate.

func (s *Server) writePriceSheet(w *jw, req request) {
	id := monthID(req.month)
	w.raw("[")
	for i, mt := range meters {
		w.open()
		w.str("id", fmt.Sprintf("enrollments/%s/billingperiods/%s/products/%d/pricesheets", s.d.o.Enrollment, id, 300+i))
		w.str("billingPeriodId", id)
		if req.version >= 2 {
			w.str("meterId", mt.id)
		}
		w.str("meterName", mt.category+" "+mt.subcategory+" - "+mt.name+" - "+mt.region)
		w.str("unitOfMeasure", mt.unit)
		w.num("includedQuantity", 0)
		w.str("partNumber", mt.partNumber)
		w.num("unitPrice", mt.rate)
		w.str("currencyCode", s.d.o.Currency)
		w.close()
	}
	w.raw("]")
}
