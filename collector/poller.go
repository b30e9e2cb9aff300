package collector

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/azure-ea-exporter/azure_ea_exporter/billing"
)

// A report refreshes its data and serves it. refresh is only ever called
// from its poller's goroutine, so refreshes of one report never overlap.
type report interface {
	// refresh reads the report from the source and, on new data, builds
	// and stores a new aggregate. It returns whether the data changed and
	// the rows of the stored data.
	refresh(ctx context.Context) (changed bool, rows int, err error)
	// collect sends the stored aggregate's series.
	collect(s *sink)
	// data is the report's stored aggregate, for saving and adopting.
	data() data
	// shape fingerprints what the aggregate's meaning depends on beyond
	// its type (the configured labels and budgets): data of another shape
	// is neither restored nor adopted.
	shape() string
}

// poller runs one report of one enrollment on its interval.
type poller struct {
	name     string
	interval time.Duration
	report   report
	logger   *slog.Logger
	now      func() time.Time
	// after is closed when the report may start (the billing periods it
	// depends on are known, or known to be unavailable).
	after <-chan struct{}
	nudge chan struct{}
	done  chan struct{}
	// firstDone is closed after the first refresh, success or failure.
	firstDone chan struct{}
	onFailure func()
	// onRefreshed runs after every completed refresh, success or failure.
	onRefreshed func()
	// persist saves the report after a refresh that brought new data.
	persist func(Health)

	mu     sync.Mutex
	health Health
}

// Health is the state of a poller, as served in metrics and on the status page.
type Health struct {
	Attempts    int
	Up          bool
	LastAttempt time.Time
	LastSuccess time.Time
	LastChange  time.Time
	Duration    time.Duration
	Rows        int
	LastError   string
	FailStreak  int
	NextRefresh time.Time
	Running     bool
	// Unsupported: the enrollment's source does not offer the report; it
	// is not polled again and has no azure_ea_up series.
	Unsupported bool
	// cause classifies the last failure (billing.Cause).
	cause string
}

func newPoller(name string, interval time.Duration, r report, after <-chan struct{}, logger *slog.Logger, now func() time.Time) *poller {
	return &poller{
		name: name, interval: interval, report: r, after: after, now: now,
		logger:    logger.With("report", name),
		nudge:     make(chan struct{}, 1),
		done:      make(chan struct{}),
		firstDone: make(chan struct{}),
	}
}

func (p *poller) snapshot() Health {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.health
}

// refreshSoon asks for a refresh now (the tracked periods changed).
func (p *poller) refreshSoon() {
	select {
	case p.nudge <- struct{}{}:
	default:
	}
}

func (p *poller) run(ctx context.Context) {
	defer close(p.done)
	if p.after != nil {
		select {
		case <-ctx.Done():
			return
		case <-p.after:
		}
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	first := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.nudge:
		}
		if !p.refreshOnce(ctx) {
			return
		}
		if first {
			close(p.firstDone)
			first = false
		}
		delay := p.nextDelay()
		p.mu.Lock()
		p.health.NextRefresh = p.now().Add(delay)
		p.mu.Unlock()
		timer.Reset(delay)
	}
}

// nextDelay is the interval with ±5% jitter, so that reports and
// exporters do not hit the API in step; after a failure it is shorter, a
// minute doubling per consecutive failure, so that an outage does not cost a
// whole interval of staleness.
func (p *poller) nextDelay() time.Duration {
	p.mu.Lock()
	streak := p.health.FailStreak
	p.mu.Unlock()
	d := p.interval
	if streak > 0 {
		retry := time.Minute << min(streak-1, 10)
		if retry < d {
			d = retry
		}
	}
	jitter := time.Duration((rand.Float64()*0.1 - 0.05) * float64(d))
	return d + jitter
}

// refreshOnce refreshes the report and records the outcome. It returns
// false when the context ended the refresh (shutdown or reload).
func (p *poller) refreshOnce(ctx context.Context) bool {
	start := p.now()
	p.mu.Lock()
	p.health.LastAttempt = start
	p.health.Running = true
	p.mu.Unlock()

	changed, rows, err := p.report.refresh(ctx)
	end := p.now()
	if p.onRefreshed != nil {
		defer p.onRefreshed() // after the health below is recorded
	}
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		p.mu.Lock()
		p.health.Running = false
		p.mu.Unlock()
		return false
	}
	if errors.Is(err, billing.ErrUnsupported) {
		p.mu.Lock()
		p.health.Running = false
		p.health.Attempts++
		p.health.Unsupported = true
		p.mu.Unlock()
		p.logger.Info("the enrollment's source does not offer this report; not polling it", "reason", oneLine(err.Error()))
		return false
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	h := &p.health
	h.Running = false
	h.Attempts++
	h.Duration = end.Sub(start)
	if err != nil {
		h.Up = false
		h.FailStreak++
		h.LastError = oneLine(err.Error())
		cause := billing.Cause(err)
		if p.onFailure != nil {
			p.onFailure()
		}
		// One error log per failure streak, and one more whenever the
		// cause changes (connection refused, then 401 after a key change);
		// the same failure again only at debug level.
		serving := "serving the last good data"
		if h.LastSuccess.IsZero() {
			serving = "no data to serve until a refresh succeeds"
		}
		switch {
		case h.FailStreak == 1:
			p.logger.Error("refresh failed; "+serving, "err", h.LastError)
		case cause != h.cause:
			p.logger.Error("refresh still failing, with another cause; "+serving, "failures_in_a_row", h.FailStreak, "err", h.LastError)
		default:
			p.logger.Debug("refresh failed again", "failures_in_a_row", h.FailStreak, "err", h.LastError)
		}
		h.cause = cause
		return true
	}
	if h.FailStreak > 0 {
		p.logger.Info("refresh recovered", "after_failures", h.FailStreak)
	}
	h.Up = true
	h.FailStreak = 0
	h.LastError = ""
	h.LastSuccess = end
	h.Rows = rows
	if changed || h.LastChange.IsZero() {
		h.LastChange = end
	}
	p.logger.Debug("refreshed", "changed", changed, "rows", rows, "duration", h.Duration)
	if changed && p.persist != nil {
		saved := *h
		p.mu.Unlock()
		p.persist(saved)
		p.mu.Lock()
	}
	return true
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
