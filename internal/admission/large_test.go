package admission

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestLargeRequestLimit: large requests are served one at a time (one
// slot), small ones at once, even while large ones wait.
func TestLargeRequestLimit(t *testing.T) {
	entered := make(chan string, 10)
	release := make(chan struct{})
	h := newLargeRequestLimit(1000, 1, time.Minute).wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- r.URL.Path
		if r.URL.Path != "/small" {
			<-release
		}
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	var once sync.Once
	releaseAll := func() { once.Do(func() { close(release) }) }
	defer releaseAll() // before srv.Close, which waits for the handlers
	done := make(chan string, 10)
	post := func(path string, size int) {
		go func() {
			var body io.Reader = bytes.NewReader(make([]byte, max(size, 0)))
			if size < 0 {
				body = io.MultiReader(bytes.NewReader(make([]byte, 100))) // no Content-Length: chunked
			}
			resp, err := http.Post(srv.URL+path, "application/json", body)
			if err != nil {
				done <- path + ": " + err.Error()
				return
			}
			resp.Body.Close()
			done <- path
		}()
	}
	next := func() string {
		select {
		case p := <-entered:
			return p
		case <-time.After(10 * time.Second):
			t.Fatal("no request reached the handler")
			return ""
		}
	}

	post("/large-1", 5000)
	if p := next(); p != "/large-1" {
		t.Fatalf("entered %s", p)
	}
	post("/large-2", 5000)
	post("/small", 100)
	if p := next(); p != "/small" {
		t.Fatalf("entered %s while the slot was taken, want /small", p)
	}
	if p := <-done; p != "/small" {
		t.Fatalf("done %s", p)
	}
	post("/chunked", -1)
	time.Sleep(100 * time.Millisecond) // let both wait for the slot
	select {
	case p := <-entered:
		t.Fatalf("%s entered while /large-1 held the slot", p)
	default:
	}
	// Released one by one: each waiting request enters alone.
	seen := map[string]bool{}
	for range 2 {
		release <- struct{}{}
		p := next()
		if p != "/large-2" && p != "/chunked" || seen[p] {
			t.Fatalf("entered %s", p)
		}
		seen[p] = true
		select {
		case p := <-entered:
			t.Fatalf("%s entered while another large request held the slot", p)
		case <-time.After(100 * time.Millisecond):
		}
	}
	releaseAll()
	for range 3 {
		if p := <-done; p != "/large-1" && p != "/large-2" && p != "/chunked" {
			t.Errorf("done %s", p)
		}
	}
}

// TestLargeRequestLimitWait: a large request that finds no slot within
// its timeout gets 429 Too Many Requests, unread.
func TestLargeRequestLimitWait(t *testing.T) {
	entered, release := make(chan struct{}, 1), make(chan struct{})
	h := newLargeRequestLimit(1000, 1, time.Minute).wrap(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		entered <- struct{}{}
		<-release
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	defer close(release)
	go func() {
		if resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(make([]byte, 5000))); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	// The API server's timeout, shorter than the limit's own.
	resp, err := http.Post(srv.URL+"/validate?timeout=200ms", "application/json", bytes.NewReader(make([]byte, 5000)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "too many large requests (bodies over 1000 bytes) in progress: this one was not served within 200ms") {
		t.Errorf("HTTP %d %q", resp.StatusCode, body)
	}
}

// TestLargeRequestCooldown: after a large request, its slot stays taken
// for cooldown times as long as the request took, or its bytes over the
// byte rate when that is longer, capped.
func TestLargeRequestCooldown(t *testing.T) {
	for _, tc := range []struct {
		name         string
		k            int
		rate         int64 // bytes per second, 0: none
		chunked      bool  // the first request without Content-Length
		max, minWait time.Duration
	}{
		{"2x", 2, 0, false, time.Minute, 200 * time.Millisecond}, // the request takes at least 100ms
		{"capped", 100, 0, false, 300 * time.Millisecond, 300 * time.Millisecond},
		{"bytes", 0, 10000, false, time.Minute, 500 * time.Millisecond},        // 5000 bytes at 10000/s
		{"bytes-chunked", 0, 10000, true, time.Minute, 500 * time.Millisecond}, // the bytes read count
		{"bytes-capped", 0, 100, false, 300 * time.Millisecond, 300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var firstDone time.Time
			entered := make(chan time.Time, 2)
			limit := newLargeRequestLimit(1000, 1, time.Minute).withCooldown(tc.k, tc.max).withByteRate(tc.rate)
			h := limit.wrap(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/small" {
					return
				}
				entered <- time.Now()
				if _, err := io.Copy(io.Discard, r.Body); err != nil {
					t.Error(err)
				}
				if r.URL.Path == "/first" {
					time.Sleep(100 * time.Millisecond)
					mu.Lock()
					firstDone = time.Now()
					mu.Unlock()
				}
			}))
			srv := httptest.NewServer(h)
			defer srv.Close()
			post := func(path string, size int, chunked bool) {
				var body io.Reader = bytes.NewReader(make([]byte, size))
				if chunked {
					body = io.MultiReader(body) // no Content-Length
				}
				resp, err := http.Post(srv.URL+path, "application/json", body)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
			}
			post("/first", 5000, tc.chunked) // answered before its cooldown ends
			<-entered
			post("/small", 100, false) // never waits for a slot
			post("/second", 5000, false)
			second := <-entered
			mu.Lock()
			gap := second.Sub(firstDone)
			mu.Unlock()
			if gap < tc.minWait {
				t.Errorf("the second large request entered %v after the first ended, want at least %v", gap, tc.minWait)
			}
			if tc.max < time.Minute && gap > 5*time.Second {
				t.Errorf("cooldown %v not capped", gap)
			}
		})
	}
}
