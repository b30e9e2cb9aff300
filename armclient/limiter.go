package armclient

import (
	"fmt"
	"sync"
	"time"
)

// limitWindow allows n events per sliding window of length per.
type limitWindow struct {
	per time.Duration
	n   int
}

func (w limitWindow) String() string {
	switch w.per {
	case time.Minute:
		return fmt.Sprintf("%d/min", w.n)
	case time.Hour:
		return fmt.Sprintf("%d/h", w.n)
	case 24 * time.Hour:
		return fmt.Sprintf("%d/day", w.n)
	}
	return fmt.Sprintf("%d per %s", w.n, w.per)
}

// windowLimiter keeps events under several sliding-window limits at once
// (Cost Details: 2/min, 10/h and 50/day per scope). Events are reserved in
// time order: a reservation is never before the previous one.
type windowLimiter struct {
	mu      sync.Mutex
	windows []limitWindow
	events  []time.Time // ascending
}

func newWindowLimiter(ws ...limitWindow) *windowLimiter {
	l := &windowLimiter{}
	for _, w := range ws {
		if w.n > 0 && w.per > 0 {
			l.windows = append(l.windows, w)
		}
	}
	return l
}

// nextLocked returns the earliest time at or after t that a new event fits,
// and the window that delayed it (zero when none did).
func (l *windowLimiter) nextLocked(t time.Time) (time.Time, limitWindow) {
	if n := len(l.events); n > 0 && l.events[n-1].After(t) {
		t = l.events[n-1]
	}
	var bound limitWindow
	for changed := true; changed; {
		changed = false
		for _, w := range l.windows {
			if len(l.events) < w.n {
				continue
			}
			// The n-th most recent event must have left the window.
			if free := l.events[len(l.events)-w.n].Add(w.per); free.After(t) {
				t, bound, changed = free, w, true
			}
		}
	}
	return t, bound
}

func (l *windowLimiter) prune(now time.Time) {
	var longest time.Duration
	for _, w := range l.windows {
		longest = max(longest, w.per)
	}
	i := 0
	for i < len(l.events) && now.Sub(l.events[i]) >= longest {
		i++
	}
	l.events = append(l.events[:0], l.events[i:]...)
}

// reserve records an event at the earliest time at or after t it fits and
// returns that time.
func (l *windowLimiter) reserve(t time.Time) time.Time {
	at, _, _ := l.reserveWithin(t, -1)
	return at
}

// reserveWithin records an event at the earliest time at or after t it
// fits, if that is at most maxWait after t (maxWait < 0: any wait). When it
// is not, nothing is recorded and ok is false; at and bound say when the
// next event fits and which limit holds it back.
func (l *windowLimiter) reserveWithin(t time.Time, maxWait time.Duration) (at time.Time, bound limitWindow, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(t)
	at, bound = l.nextLocked(t)
	if maxWait >= 0 && at.Sub(t) > maxWait {
		return at, bound, false
	}
	l.events = append(l.events, at)
	return at, bound, true
}
