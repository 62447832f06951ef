//go:build !linux

package sandbox

import (
	"os"
	"syscall"
)

// childAttr: the processes' own process group (no parent-death signal
// outside Linux: Stop is what ends them).
func childAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }
func kill(p *os.Process)      { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
