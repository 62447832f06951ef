package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLinksNoMethodKeeper: the binary must not link html/template. Where
// it is reachable, the linker keeps every exported method of every type
// the binary links, since a template may call any of them by name: with
// controller-runtime's envtest (whose argument templates use it) the
// binary was 55 MB instead of 37, and `webhook check` peaked 6 MiB
// higher, all of it pages the dependencies' init functions touched.
// internal/sandbox starts the control plane itself for that reason.
func TestLinksNoMethodKeeper(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "k8s.io/client-go/rest") {
		t.Fatalf("go list -deps gave no client-go: %.300s", out)
	}
	for _, pkg := range []string{"html/template", "sigs.k8s.io/controller-runtime/pkg/envtest"} {
		if slices.Contains(deps, pkg) {
			t.Errorf("cmd/webhook links %s (go mod why -m or go list -deps -f to find the importer)", pkg)
		}
	}
}
