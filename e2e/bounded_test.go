//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/hostile"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestBoundedHostileIngress: the largest Ingress a tenant can send (250 KiB
// of unknown ingress-nginx annotation names, the API server's limit is
// 256 KiB) goes through the real API server to the webhook and comes back
// admitted with the warnings capped and counted, and the webhook logs a
// findings line of a few KiB, not the ~1 MB one of every name.
func TestBoundedHostileIngress(t *testing.T) {
	need(t)
	const ns = "bounded-enforce"
	createNamespace(t, ns, map[string]string{rules.ModeLabel: "enforce"})
	data, err := yaml.Marshal(hostile.Ingress(ns, "flood"))
	if err != nil {
		t.Fatal(err)
	}
	// create, not apply: client-side apply would copy the annotations
	// into last-applied-configuration, past the API server's limit.
	r := mustOK(t, admin(t, "create", "--dry-run=server", "-f", writeTemp(t, "flood.yaml", data)))
	mustWarn(t, r,
		"[ingress-annotation] metadata.annotations[nginx.ingress.kubernetes.io/proxy-connect-timeout-of-upstream-server-for-tenant-app-0000000]",
		"[guardrails] ... and 10 more warnings")
	if n := len(r.warnings()); n != 11 {
		t.Errorf("%d warnings, want 10 and the count:\n%s", n, r)
	}

	var line string
	eventually(10*time.Second, func() bool {
		for _, l := range strings.Split(webhookLog(), "\n") {
			if strings.Contains(l, `"msg":"findings"`) && strings.Contains(l, `"name":"flood"`) && strings.Contains(l, `"namespace":"`+ns+`"`) {
				line = l
				return true
			}
		}
		return false
	})
	if line == "" {
		t.Fatal("no findings line for the Ingress in the webhook's log")
	}
	if len(line) > 16<<10 || !strings.Contains(line, "2763 more unknown ingress-nginx annotations, not listed") {
		t.Errorf("findings line of %d bytes (want a few KiB, with the count): %.600s", len(line), line)
	}
}
