//go:build !unix

package typedjson

import "time"

func cpuTime() time.Duration { return 0 }
