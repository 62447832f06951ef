//go:build linux

package sandbox

import (
	"os"
	"syscall"
)

// childAttr is the SysProcAttr of the processes the sandbox starts (etcd,
// kube-apiserver, the webhook): their own process group (a Ctrl-C in the
// terminal reaches the sandbox, which stops them in order) and SIGKILL
// when the sandbox dies, so that an interrupted test run leaves nothing
// behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// terminate and kill signal the process group of p.
func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }
func kill(p *os.Process)      { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
