package inorder

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestOrder: jobs finishing in any order are consumed in emission order.
func TestOrder(t *testing.T) {
	var got []int
	err := Run(func(emit func(int) bool) {
		for i := range 200 {
			if !emit(i) {
				t.Error("emit refused without an error")
				return
			}
		}
	}, func(int) {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	}, func(i int) error {
		got = append(got, i)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 200 {
		t.Fatalf("consumed %d jobs, want 200", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("job %d consumed at position %d", v, i)
		}
	}
}

// TestStop: consume's error is returned, no later job is consumed, and
// emit tells the producer to stop.
func TestStop(t *testing.T) {
	boom := errors.New("boom")
	var consumed []int
	refused := false
	err := Run(func(emit func(int) bool) {
		for i := 0; i < 100000; i++ {
			if !emit(i) {
				refused = true
				return
			}
		}
	}, func(int) {}, func(i int) error {
		consumed = append(consumed, i)
		if i == 5 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err %v, want boom", err)
	}
	if len(consumed) != 6 || consumed[5] != 5 {
		t.Errorf("consumed %v, want 0..5", consumed)
	}
	if !refused {
		t.Error("the producer was never told to stop")
	}
}

// TestInFlightBounded checks that a producer faster than its consumer
// runs ahead by a bounded number of jobs, whatever the number of jobs.
func TestInFlightBounded(t *testing.T) {
	const jobs = 20000
	var emitted, consumed, most int
	var mu sync.Mutex
	err := Run(func(emit func(int) bool) {
		for i := range jobs {
			mu.Lock()
			emitted++
			most = max(most, emitted-consumed)
			mu.Unlock()
			if !emit(i) {
				return
			}
		}
	}, func(int) {}, func(i int) error {
		if i%1000 == 0 {
			time.Sleep(time.Millisecond) // let the producer run ahead
		}
		mu.Lock()
		consumed++
		mu.Unlock()
		return nil
	})
	if err != nil || consumed != jobs {
		t.Fatalf("consumed %d of %d jobs, err %v", consumed, jobs, err)
	}
	if limit := maxInFlight(runtime.GOMAXPROCS(0)); most > limit || most < batchSize {
		t.Errorf("at most %d jobs in flight, want between %d and %d", most, batchSize, limit)
	}
}
