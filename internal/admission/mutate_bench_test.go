package admission

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// BenchmarkMutateRoundTrip is BenchmarkRoundTrip for /mutate: one
// AdmissionReview through the mutating webhook ("guardrails") and through
// the decode-only handler, in the same run. CoreDNS gets its priority
// class (the default configuration); the Deployment gets a memory request
// from the defaults (resources.fillDefaults on).
//
//	go test ./internal/admission/ -run '^$' -bench MutateRoundTrip -benchmem
func BenchmarkMutateRoundTrip(b *testing.B) {
	fill := withRequestDefaults(b, map[corev1.ResourceName]string{"cpu": "100m", "memory": "128Mi"})
	decodeOnly := &admission.Webhook{Handler: admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })}
	for _, tc := range []struct {
		name    string
		cfg     *config.Config
		fixture string
	}{
		{"CoreDNS-priority", config.Default(), "deployment-coredns-create.json"},
		{"Deployment-requests", fill, "deployment-create.json"},
	} {
		hook := &admission.Webhook{Handler: NewMutator(tc.cfg, testCluster(b), Options{})}
		body := reviewBody(b, loadReview(b, tc.fixture))
		for _, target := range []struct {
			name  string
			hook  *admission.Webhook
			patch bool
		}{{"guardrails", hook, true}, {"decode-only", decodeOnly, false}} {
			b.Run(tc.name+"/"+target.name, func(b *testing.B) {
				_, resp := serve(b, target.hook, body, "application/json")
				if !resp.Allowed || (len(resp.Patch) > 0) != target.patch {
					b.Fatalf("allowed=%v patch=%s", resp.Allowed, resp.Patch)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodPost, MutatePath, bytes.NewReader(body))
					r.Header.Set("Content-Type", "application/json")
					w := httptest.NewRecorder()
					target.hook.ServeHTTP(w, r)
					if w.Code != http.StatusOK {
						b.Fatal(w.Code)
					}
				}
			})
		}
	}
}
