// Package inorder runs jobs on several goroutines and hands their results
// on in the order the jobs were made: parallel work, deterministic output.
package inorder

import (
	"runtime"
	"sync"
)

type slot[J any] struct {
	job  J
	done chan struct{}
}

// Run calls produce, which emits jobs one at a time; work runs on each job
// on up to GOMAXPROCS goroutines at once; consume is called on each job, on
// the calling goroutine, in the order the jobs were emitted, once work on
// it has returned. At most a few jobs per worker are in flight, so memory
// stays bounded whatever the number of jobs.
//
// emit returns false once consume has returned an error: produce should
// then stop. Run returns consume's first error, after every goroutine it
// started has ended.
func Run[J any](produce func(emit func(J) bool), work func(J), consume func(J) error) error {
	workers := runtime.GOMAXPROCS(0)
	window := 4 * workers
	order := make(chan *slot[J], window)
	todo := make(chan *slot[J], window+workers+1)
	stop := make(chan struct{})

	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for s := range todo {
				work(s.job)
				close(s.done)
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(todo)
		defer close(order)
		produce(func(j J) bool {
			s := &slot[J]{job: j, done: make(chan struct{})}
			select {
			case order <- s:
			case <-stop:
				return false
			}
			todo <- s
			return true
		})
	}()

	var err error
	for s := range order {
		<-s.done
		if err != nil {
			continue // draining after an error
		}
		if err = consume(s.job); err != nil {
			close(stop)
		}
	}
	wg.Wait()
	return err
}
