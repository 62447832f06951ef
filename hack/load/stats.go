package main

import (
	"math"
	"slices"
	"syscall"
	"time"
)

// Stats summarise the requests of one kind (or all kinds) against one
// target. Latencies are in milliseconds.
type Stats struct {
	Requests   int     `json:"requests"`
	Errors     int     `json:"errors"`
	Throughput float64 `json:"throughputPerSec"`
	P50        float64 `json:"p50Ms"`
	P90        float64 `json:"p90Ms"`
	P99        float64 `json:"p99Ms"`
	Max        float64 `json:"maxMs"`
	// CPUPerRequest is the CPU time (user and system) the whole process,
	// server and clients, spent per request, in microseconds; set on the
	// overall Stats only. On a machine shared with other work it is the
	// steadier figure: it does not count the time the process waited for
	// a CPU.
	CPUPerRequest float64 `json:"cpuPerRequestUs,omitempty"`
}

// Ratios are guardrails/baseline: above 1 for latencies means slower,
// below 1 for throughput means fewer requests per second. A ratio whose
// baseline is zero is reported as 0 (undefined).
type Ratios struct {
	P50        float64 `json:"p50"`
	P99        float64 `json:"p99"`
	Throughput float64 `json:"throughput"`
	// CPU is the ratio of CPUPerRequest (overall only).
	CPU float64 `json:"cpu,omitempty"`
}

// percentile returns the p-th percentile (0 < p <= 100) of sorted by the
// nearest-rank method: the smallest sample such that at least p% of the
// samples are at most it. It returns 0 for no samples.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// summarize computes Stats of the latencies of the successful requests,
// errors counted apart, over elapsed wall time. It sorts latencies in
// place.
func summarize(latencies []time.Duration, errors int, elapsed time.Duration) Stats {
	slices.Sort(latencies)
	s := Stats{Requests: len(latencies) + errors, Errors: errors}
	if elapsed > 0 {
		s.Throughput = round(float64(s.Requests) / elapsed.Seconds())
	}
	if len(latencies) > 0 {
		s.P50 = ms(percentile(latencies, 50))
		s.P90 = ms(percentile(latencies, 90))
		s.P99 = ms(percentile(latencies, 99))
		s.Max = ms(latencies[len(latencies)-1])
	}
	return s
}

// ratios compares g (guardrails) to b (baseline).
func ratios(g, b Stats) Ratios {
	return Ratios{P50: ratio(g.P50, b.P50), P99: ratio(g.P99, b.P99), Throughput: ratio(g.Throughput, b.Throughput), CPU: ratio(g.CPUPerRequest, b.CPUPerRequest)}
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return round(a / b)
}

func ms(d time.Duration) float64 { return round(float64(d) / float64(time.Millisecond)) }

// round keeps three decimals, enough for milliseconds (to the
// microsecond) and ratios.
func round(f float64) float64 { return math.Round(f*1000) / 1000 }

// processCPU is the CPU time (user and system) the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPerRequest is cpu over n requests, in microseconds (0 for none).
func cpuPerRequest(cpu time.Duration, n int) float64 {
	if n == 0 {
		return 0
	}
	return round(float64(cpu) / float64(time.Microsecond) / float64(n))
}
