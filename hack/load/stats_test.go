package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1 // 1..100
	}
	for _, tc := range []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one sample p50", ms(7), 50, 7 * time.Millisecond},
		{"one sample p99", ms(7), 99, 7 * time.Millisecond},
		{"two samples p50 is the lower", ms(1, 2), 50, 1 * time.Millisecond},
		{"two samples p51 is the upper", ms(1, 2), 51, 2 * time.Millisecond},
		{"1..100 p50", ms(hundred...), 50, 50 * time.Millisecond},
		{"1..100 p90", ms(hundred...), 90, 90 * time.Millisecond},
		{"1..100 p99", ms(hundred...), 99, 99 * time.Millisecond},
		{"1..100 p100", ms(hundred...), 100, 100 * time.Millisecond},
		{"ten samples p99 is the max", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"ten samples p90", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 90, 9 * time.Millisecond},
		{"tiny p never below the min", ms(3, 4, 5), 0.0001, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := percentile(tc.samples, tc.p); got != tc.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tc.samples, tc.p, got, tc.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// Unsorted input, 2 errors, over 2s.
	lat := []time.Duration{4 * time.Millisecond, 1 * time.Millisecond, 3 * time.Millisecond, 2 * time.Millisecond}
	got := summarize(lat, 2, 2*time.Second)
	want := Stats{Requests: 6, Errors: 2, Throughput: 3, P50: 2, P90: 4, P99: 4, Max: 4}
	if got != want {
		t.Errorf("summarize = %+v, want %+v", got, want)
	}
	if got := summarize(nil, 0, 0); got != (Stats{}) {
		t.Errorf("summarize of nothing = %+v", got)
	}
	if got := summarize([]time.Duration{1500 * time.Microsecond}, 0, time.Second); got.P50 != 1.5 || got.Throughput != 1 {
		t.Errorf("sub-millisecond precision lost: %+v", got)
	}
}

func TestRatios(t *testing.T) {
	g := Stats{P50: 3, P99: 10, Throughput: 500}
	b := Stats{P50: 2, P99: 4, Throughput: 1000}
	if got, want := ratios(g, b), (Ratios{P50: 1.5, P99: 2.5, Throughput: 0.5}); got != want {
		t.Errorf("ratios = %+v, want %+v", got, want)
	}
	if got := ratios(g, Stats{}); got != (Ratios{}) {
		t.Errorf("ratios over an empty baseline = %+v, want zeros", got)
	}
}
