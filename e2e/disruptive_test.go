//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// bootstrapBindings are bootstrap ClusterRoleBindings of the API server
// that Guardrails' rules would deny from anybody else: cluster-admin to
// system:masters (rbac-cluster-admin) and system:discovery to
// system:authenticated (rbac-broad-subject).
var bootstrapBindings = []string{"cluster-admin", "system:discovery"}

// testAPIServerRestart: the API server reconciles its bootstrap RBAC on
// every start; with the webhook registered (failurePolicy Fail in enforce
// namespaces) it must still become healthy, with the webhook
// running and with the webhook down. The bindings are deleted first so
// that the restart has to write them.
func testAPIServerRestart(t *testing.T) {
	for _, webhookUp := range []bool{true, false} {
		name := "webhook-up"
		if !webhookUp {
			name = "webhook-down"
		}
		t.Run(name, func(t *testing.T) {
			if !webhookUp {
				if err := suite.sb.StopWebhook(); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { restartWebhook(t) })
			}
			args := append([]string{"delete", "clusterrolebinding"}, bootstrapBindings...)
			mustOK(t, admin(t, args...))

			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			start := time.Now()
			if err := suite.sb.RestartAPIServer(ctx); err != nil {
				t.Fatalf("the API server did not come back (webhook up: %v): %v", webhookUp, err)
			}
			t.Logf("API server restarted and ready in %s", time.Since(start).Round(time.Millisecond))

			r := mustOK(t, admin(t, "get", "--raw", "/readyz?verbose"))
			for _, want := range []string{"[+]poststarthook/rbac/bootstrap-roles ok", "readyz check passed"} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("/readyz?verbose lacks %q:\n%s", want, r)
				}
			}
			args = append([]string{"get", "clusterrolebinding", "-o", "name"}, bootstrapBindings...)
			r = mustOK(t, admin(t, args...))
			for _, b := range bootstrapBindings {
				if !strings.Contains(r.stdout, "clusterrolebinding.rbac.authorization.k8s.io/"+b) {
					t.Errorf("bootstrap binding %s was not recreated:\n%s", b, r)
				}
			}
			if webhookUp {
				// The webhook's informers reconnect to the new API server
				// and it judges again.
				expectEnforcing(t)
			}
		})
	}
}

// testWebhookDown: with the webhook stopped, a failurePolicy Fail
// namespace rejects writes with an error naming the webhook, while a
// namespace labelled guardrails.dev/failure-policy: ignore (and an
// unlabeled one) keeps working; started again, the webhook serves.
func testWebhookDown(t *testing.T) {
	good := func(ns, name string) string {
		return writeTemp(t, name+".yaml", []byte(deployment(ns, name, map[string]string{"app": name}, "", someRequests)))
	}
	if err := suite.sb.StopWebhook(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { restartWebhook(t) })

	r := admin(t, "apply", "-f", good(nsEnforce, "while-down"))
	mustFail(t, r)
	t.Logf("with the webhook down, kubectl says: %s", strings.TrimSpace(r.stderr))
	for _, want := range []string{"failed calling webhook", "validate.guardrails.dev"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("the error with the webhook down does not say %q:\n%s", want, r)
		}
	}
	mustNotExist(t, nsEnforce, "deployment", "while-down")

	mustOK(t, admin(t, "apply", "-f", good(nsIgnore, "while-down")))
	mustOK(t, admin(t, "apply", "-f", good(nsUnlabeled, "while-down")))
	// A bad object in the ignore namespace passes unjudged too: that is
	// what the label asks for.
	bad := writeTemp(t, "bad.yaml", []byte(deployment(nsIgnore, "bad-while-down", map[string]string{"app": "bad"}, "", "")))
	mustOK(t, admin(t, "apply", "-f", bad))

	restartWebhook(t)
	expectEnforcing(t)
	mustOK(t, admin(t, "apply", "-f", good(nsEnforce, "after-restart")))
	// The ignore namespace is judged again.
	bad2 := writeTemp(t, "bad2.yaml", []byte(deployment(nsIgnore, "bad-after-restart", map[string]string{"app": "bad"}, "", "")))
	mustDeny(t, admin(t, "apply", "-f", bad2), finding{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"})
}

// restartWebhook starts the webhook when it is not serving.
func restartWebhook(t *testing.T) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(suite.sb.HealthURL + "/readyz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := suite.sb.StartWebhook(ctx); err != nil {
		t.Fatalf("start the webhook again: %v", err)
	}
}

// expectEnforcing waits until a Deployment without requests is denied in
// the enforce namespace: the webhook is called and judges.
func expectEnforcing(t *testing.T) {
	t.Helper()
	file := writeTemp(t, "probe.yaml", []byte(deployment(nsEnforce, "probe-no-requests", map[string]string{"app": "probe"}, "", "")))
	last := untilDenied(t, 30*time.Second, fmt.Sprintf("the webhook does not judge (a Deployment without requests in %s was not denied)", nsEnforce), func() result { return admin(t, "apply", "--dry-run=server", "-f", file) })
	mustDeny(t, last, finding{"resources-requests", "spec.template.spec.containers[0].resources.requests.cpu"})
}
