package collector

import (
	"math"
	"sort"
	"strconv"
)

// sum adds money without drift: Neumaier's compensated summation keeps
// the error of a million additions at the last bit of the result, whatever
// the order the rows came in.
type sum struct{ s, c float64 }

func (k *sum) add(v float64) {
	t := k.s + v
	if math.Abs(k.s) >= math.Abs(v) {
		k.c += (k.s - t) + v
	} else {
		k.c += (v - t) + k.s
	}
	k.s = t
}

func (k sum) value() float64 { return roundMoney(k.s + k.c) }

// roundMoney rounds to 15 significant digits, the precision a float64
// carries exactly, so that /metrics shows 520.83592 rather than the
// 520.8359200000001 that binary arithmetic leaves behind.
func roundMoney(v float64) float64 {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 15, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// labelSums sums values by label set.
type labelSums struct {
	idx    map[string]int
	labels [][]string
	sums   []sum
}

func newSums() *labelSums { return &labelSums{idx: map[string]int{}} }

// add adds v to the label set; labels is kept when the set is new, so the
// caller must not change it afterwards.
func (l *labelSums) add(labels []string, v float64) {
	k := labelKey(labels)
	i, ok := l.idx[k]
	if !ok {
		i = len(l.sums)
		l.idx[k] = i
		l.labels = append(l.labels, labels)
		l.sums = append(l.sums, sum{})
	}
	l.sums[i].add(v)
}

func (l *labelSums) len() int { return len(l.sums) }

// each calls fn for every label set in label order, with its rounded sum.
func (l *labelSums) each(fn func(labels []string, v float64)) {
	order := make([]int, len(l.sums))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return labelKey(l.labels[order[a]]) < labelKey(l.labels[order[b]]) })
	for _, i := range order {
		fn(l.labels[i], l.sums[i].value())
	}
}
