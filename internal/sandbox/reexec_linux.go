//go:build linux

package sandbox

import (
	"os"
	"path/filepath"
	"runtime"
	"syscall"
)

// envtest starts kube-apiserver and etcd itself, in their own process
// groups and without a parent-death signal: a test binary killed by a
// timeout or SIGKILL would leave them running. So the sandbox points
// envtest at a symlink named like the binary (<dir>/bin/etcd) that leads to
// the current executable, next to a second symlink <name>.guardrails-exec
// that leads to the real binary. Every program that imports this package
// (the webhook binary, test binaries) recognizes the first at start, asks
// the kernel for SIGKILL when its parent dies, and execs the real binary,
// keeping that setting (it survives execve).
func init() {
	base := filepath.Base(os.Args[0])
	if base != "kube-apiserver" && base != "etcd" {
		return
	}
	target, err := os.Readlink(os.Args[0] + execSuffix)
	if err != nil {
		return
	}
	runtime.LockOSThread() // prctl is per thread: set it on the one that execs
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno != 0 {
		os.Stderr.WriteString("sandbox: prctl: " + errno.Error() + "\n")
		os.Exit(1)
	}
	if os.Getppid() == 1 { // the parent died before prctl
		os.Exit(1)
	}
	args := append([]string{target}, os.Args[1:]...)
	err = syscall.Exec(target, args, os.Environ())
	os.Stderr.WriteString("sandbox: exec " + target + ": " + err.Error() + "\n")
	os.Exit(127)
}

// childAttr is the SysProcAttr of the processes the sandbox starts itself:
// their own process group (a Ctrl-C in the terminal reaches the sandbox,
// which stops them in order) and SIGKILL when the sandbox dies.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

const reexecSupported = true

// terminate and kill signal the process group of p (the webhook).
func terminate(p *os.Process) { _ = syscall.Kill(-p.Pid, syscall.SIGTERM) }
func kill(p *os.Process)      { _ = syscall.Kill(-p.Pid, syscall.SIGKILL) }
