// Package inorder runs jobs on several goroutines and hands their results
// on in the order the jobs were made: parallel work, deterministic output.
package inorder

import (
	"runtime"
	"sync"
)

// batchSize is the number of jobs handed between goroutines at once. Jobs
// of `webhook check` (one YAML document) take tens of microseconds; handing
// them over one at a time woke a goroutine per job, and on two cores the
// execution trace of a half-second run showed about 0.4 s of goroutines
// waiting to be scheduled. Sixteen jobs still keep every worker busy to
// the end of a large input.
const batchSize = 16

// windowPerWorker is the number of batches per worker that may wait,
// done or not, for the consumer.
const windowPerWorker = 2

// maxInFlight bounds the jobs emitted and not yet consumed: the window,
// the batch the consumer holds, the one the producer is handing over and
// the one it is filling.
func maxInFlight(workers int) int { return (windowPerWorker*workers + 3) * batchSize }

type batch[J any] struct {
	jobs []J
	done chan struct{}
}

// Run calls produce, which emits jobs one at a time; work runs on each job
// on up to GOMAXPROCS goroutines at once; consume is called on each job, on
// the calling goroutine, in the order the jobs were emitted, once work on
// it has returned. Jobs travel in batches of a few; at most a few batches
// per worker are in flight, so memory stays bounded whatever the number of
// jobs.
//
// emit returns false once consume has returned an error: produce should
// then stop. Run returns consume's first error, after every goroutine it
// started has ended.
func Run[J any](produce func(emit func(J) bool), work func(J), consume func(J) error) error {
	workers := runtime.GOMAXPROCS(0)
	window := windowPerWorker * workers
	order := make(chan *batch[J], window)
	todo := make(chan *batch[J], window+workers+1)
	stop := make(chan struct{})

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range todo {
				for _, j := range b.jobs {
					work(j)
				}
				close(b.done)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(todo)
		defer close(order)
		cur := &batch[J]{jobs: make([]J, 0, batchSize)}
		send := func() bool {
			b := cur
			cur = &batch[J]{jobs: make([]J, 0, batchSize)}
			b.done = make(chan struct{})
			select {
			case order <- b:
			case <-stop:
				return false
			}
			todo <- b
			return true
		}
		stopped := false
		produce(func(j J) bool {
			if stopped {
				return false
			}
			cur.jobs = append(cur.jobs, j)
			if len(cur.jobs) == batchSize && !send() {
				stopped = true
			}
			return !stopped
		})
		if !stopped && len(cur.jobs) > 0 {
			send()
		}
	}()

	var err error
	for b := range order {
		<-b.done
		for _, j := range b.jobs {
			if err != nil {
				break // draining after an error
			}
			if err = consume(j); err != nil {
				close(stop)
			}
		}
	}
	wg.Wait()
	return err
}
