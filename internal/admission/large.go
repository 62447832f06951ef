package admission

import (
	"fmt"
	"io"
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

// LargeRequestCooldown is how long a slot stays taken after a large
// request, in multiples of the time the request took (at most
// maxLargeRequestCooldown): a duty cycle, large requests get at most
// 1/(1+LargeRequestCooldown) of the slots' time, so back-to-back large
// requests leave the CPUs to everybody else for most of the time.
//
// At 14, large requests get at most a fifteenth of the slots' time. In the
// load harness's hostile scenario (two clients sending 250 KiB Ingresses
// back to back next to sixteen ordinary ones, two CPUs) the ordinary
// clients' p99 grew 1.9× at 1, 1.5× at 4 and 1.4× at 7 (harness clients
// checking answers inline), then, with the answers checked after each
// round, 1.29–1.56× at 4, 1.22–1.38× at 9 and 1.05–1.38× at 14 (ten
// runs, six of them at most 1.2×). LargeRequestBytesPerSecond bounds the
// rest by the bytes too. Legitimate large objects are rare and cheap by
// comparison: a 100 KiB object judged in about 2 ms keeps its slot about
// 50 ms, room for about twenty a second per slot (kubectl and Helm send
// them one after another); a request that finds no slot within its
// timeout gets 429.
const LargeRequestCooldown = 14

// LargeRequestBytesPerSecond bounds, on top of the cooldown, the bytes of
// large requests one slot serves per second: after a large request of n
// bytes its slot stays taken for at least n/LargeRequestBytesPerSecond (at
// most maxLargeRequestCooldown). The cooldown alone scales with the time a
// request took, so a faster decoder would let a tenant send more large
// requests for the same share of a slot's time; reading, decoding and
// collecting a body cost in proportion to its bytes, and this bounds them
// whatever the speed. At 2 MiB/s the hostile scenario's 250 KiB Ingresses
// get at most eight a second per slot, and the ordinary clients' p99 grew
// 0.88–1.20× (twenty runs; 1.15–1.27× in nine at the cooldown alone, the
// same session); a legitimate 100 KiB object rests 49 ms, room for twenty
// a second.
const LargeRequestBytesPerSecond = 2 << 20

// maxLargeRequestCooldown caps the cooldown of one request: the time a
// request took counts a slow client's upload too, which cost no CPU.
const maxLargeRequestCooldown = time.Second

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
	// cooldown, bytesPerSecond and maxCooldown: after a large request of
	// n bytes that took d, its slot stays taken for
	// min(max(cooldown×d, n/bytesPerSecond), maxCooldown) (withCooldown,
	// withByteRate).
	cooldown       int
	bytesPerSecond int64
	maxCooldown    time.Duration
}

func newLargeRequestLimit(size int64, n int, maxWait time.Duration) *largeRequestLimit {
	return &largeRequestLimit{size: size, slots: make(chan struct{}, n), maxWait: maxWait}
}

// withCooldown keeps a slot taken after each large request for k times
// as long as the request took, at most max.
func (l *largeRequestLimit) withCooldown(k int, max time.Duration) *largeRequestLimit {
	l.cooldown, l.maxCooldown = k, max
	return l
}

// withByteRate keeps a slot taken after each large request for at least
// its bytes divided by rate seconds (at most the cooldown's max).
func (l *largeRequestLimit) withByteRate(rate int64) *largeRequestLimit {
	l.bytesPerSecond = rate
	return l
}

// release frees a slot taken at start by a request whose body had n bytes,
// after the cooldown.
func (l *largeRequestLimit) release(start time.Time, n int64) {
	cool := time.Duration(l.cooldown) * time.Since(start)
	if l.bytesPerSecond > 0 {
		cool = max(cool, time.Duration(float64(n)/float64(l.bytesPerSecond)*float64(time.Second)))
	}
	cool = min(cool, l.maxCooldown)
	if cool <= 0 {
		<-l.slots
		return
	}
	time.AfterFunc(cool, func() { <-l.slots })
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
			body := &countingBody{ReadCloser: r.Body}
			r.Body = body
			start := time.Now()
			defer func() { l.release(start, body.n) }()
			h.ServeHTTP(w, r)
		case <-timer.C:
			http.Error(w, fmt.Sprintf("too many large requests (bodies over %d bytes) in progress: this one was not served within %v", l.size, wait), http.StatusTooManyRequests)
		case <-r.Context().Done():
			// The server is shutting down.
		}
	})
}

// countingBody counts the bytes read from a request body: the size of a
// request without Content-Length, or what was read of one cut short.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
