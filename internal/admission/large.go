package admission

import (
	"fmt"
	"net/http"
	"runtime"
	"time"
)

// LargeRequestBytes is the body size from which a request counts as large.
// Ordinary AdmissionReviews are a few KiB, a Deployment with its
// last-applied-configuration on UPDATE (object and old object) some tens.
const LargeRequestBytes = 64 << 10

// LargeRequestSlots is how many large requests are served at a time: a
// quarter of the CPUs the process may use, at least one.
func LargeRequestSlots() int { return max(1, runtime.GOMAXPROCS(0)/4) }

// largeRequestLimit serves at most n requests with bodies larger than size
// at a time; the others wait for a slot before their body is read, at most
// maxWait (or the request's own timeout, which the API server sends as the
// "timeout" query parameter, when shorter), then get 429 Too Many Requests
// (the API server then applies the webhook's failure policy). Reading, decoding and judging cost in
// proportion to the body: a tenant sending the largest objects the API
// server admits, in parallel, takes at most n requests' share of the CPU
// from everybody else. Requests that do not tell their size (no
// Content-Length) count as large.
type largeRequestLimit struct {
	size    int64
	slots   chan struct{}
	maxWait time.Duration
}

func newLargeRequestLimit(size int64, n int, maxWait time.Duration) *largeRequestLimit {
	return &largeRequestLimit{size: size, slots: make(chan struct{}, n), maxWait: maxWait}
}

func (l *largeRequestLimit) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength >= 0 && r.ContentLength <= l.size {
			h.ServeHTTP(w, r)
			return
		}
		wait := l.maxWait
		if d, err := time.ParseDuration(r.URL.Query().Get("timeout")); err == nil && d > 0 {
			wait = min(wait, d)
		}
		timer := time.NewTimer(wait)
		defer timer.Stop()
		select {
		case l.slots <- struct{}{}:
			defer func() { <-l.slots }()
			h.ServeHTTP(w, r)
		case <-timer.C:
			http.Error(w, fmt.Sprintf("too many large requests (bodies over %d bytes) in progress: this one was not served within %v", l.size, wait), http.StatusTooManyRequests)
		case <-r.Context().Done():
			// The server is shutting down.
		}
	})
}
