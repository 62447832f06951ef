//go:build !windows

package main

import (
	"strings"
	"testing"
)

// Without the control-plane binaries, `webhook dev` says how to get them and
// prints no export line. (The sandbox itself is tested under the e2e build
// tag: internal/sandbox.)
func TestDevWithoutControlPlane(t *testing.T) {
	t.Setenv("KUBEBUILDER_ASSETS", t.TempDir())
	stdout, stderr, code := runCLI(t, "", "dev", "--dir", t.TempDir())
	if code != 2 {
		t.Errorf("exit code %d, want 2", code)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	for _, want := range []string{"no kube-apiserver in", "make control-plane", "make run"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q does not mention %q", stderr, want)
		}
	}
}

func TestDevNamespaces(t *testing.T) {
	for ns, mode := range map[string]string{"demo-enforce": "enforce", "demo-warn": "warn", "demo-audit": "audit"} {
		if got := devNamespaces[ns]["guardrails.dev/mode"]; got != mode {
			t.Errorf("%s: mode %q, want %q", ns, got, mode)
		}
	}
}
