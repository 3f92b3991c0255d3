package service

import (
	"testing"
	"time"
)

func TestEffectiveQuota_UserOverrideIsTheLastWordElseTheMostGenerous(t *testing.T) {
	n := func(v int64) *int64 { return &v }
	tests := []struct {
		name   string
		def    int64
		own    *int64
		groups []*int64
		want   int64
	}{
		{"the default alone", 100, nil, nil, 100},
		{"no limit by default", 0, nil, []*int64{n(50)}, 0},
		{"a group raises the default", 100, nil, []*int64{n(1000)}, 1000},
		{"a group cannot lower the default", 100, nil, []*int64{n(10)}, 100},
		{"the most generous group", 100, nil, []*int64{n(500), nil, n(2000)}, 2000},
		{"a group's no-limit wins", 100, nil, []*int64{n(500), n(0)}, 0},
		{"the user's override beats a more generous group", 100, n(5), []*int64{n(1000)}, 5},
		{"the user's override may lift every limit", 100, n(0), nil, 0},
	}
	for _, tt := range tests {
		if got := effectiveQuota(tt.def, tt.own, tt.groups); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPeriods_UTCDayAndMonth(t *testing.T) {
	tokyo := time.FixedZone("JST", 9*3600)
	// 08:30 on 1 January in Tokyo is still 31 December in UTC.
	day, next, month, nextMonth := periods(time.Date(2027, 1, 1, 8, 30, 0, 0, tokyo))
	want := []time.Time{time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	for i, got := range []time.Time{day, next, month, nextMonth} {
		if !got.Equal(want[i]) {
			t.Errorf("period %d = %s, want %s", i, got, want[i])
		}
	}
}
