package main

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	wall := time.Date(2030, 5, 5, 10, 0, 0, 0, time.UTC)
	wallNow := func() time.Time { return wall }
	at := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	for _, tc := range []struct {
		name          string
		frozen, start string
		wantErr       bool
		nilClock      bool
		afterAMinute  time.Time // the clock once a minute of real time has passed
	}{
		{name: "real clock", nilClock: true},
		{name: "frozen", frozen: at.Format(time.RFC3339), afterAMinute: at},
		{name: "running from a start", start: at.Format(time.RFC3339), afterAMinute: at.Add(time.Minute)},
		{name: "both", frozen: at.Format(time.RFC3339), start: at.Format(time.RFC3339), wantErr: true},
		{name: "bad clock", frozen: "2026-12-31", wantErr: true},
		{name: "bad start", start: "yesterday", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wall = time.Date(2030, 5, 5, 10, 0, 0, 0, time.UTC)
			now, err := clock(tc.frozen, tc.start, wallNow)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if (now == nil) != tc.nilClock {
				t.Fatalf("nil clock %v, want %v", now == nil, tc.nilClock)
			}
			if now == nil {
				return
			}
			wall = wall.Add(time.Minute)
			if got := now(); !got.Equal(tc.afterAMinute) {
				t.Errorf("after a minute: %v, want %v", got, tc.afterAMinute)
			}
		})
	}
}
