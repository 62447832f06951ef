package admission

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/hostile"
)

// BenchmarkHostileIngress measures one AdmissionReview of the largest
// Ingress a tenant can send (hostile.Ingress: 250 KiB of unknown
// ingress-nginx annotation names) through the validating webhook, logging
// as the server does (zap, JSON; written to io.Discard). "baseline" is the
// same review through a handler that allows it once controller-runtime
// has decoded it, in the same run: compare validate/baseline.
//
//	go test ./internal/admission/ -run '^$' -bench HostileIngress -benchmem
func BenchmarkHostileIngress(b *testing.B) {
	logger := zap.New(zap.JSONEncoder(), zap.WriteTo(io.Discard))
	withLog := func(h admission.Handler) *admission.Webhook {
		return &admission.Webhook{Handler: h, LogConstructor: func(logr.Logger, *admission.Request) logr.Logger { return logger }}
	}
	body := reviewBody(b, objectRequest(b, hostile.Ingress("team-enforce", "flood"), "team-enforce"))
	for _, tc := range []struct {
		name string
		hook *admission.Webhook
	}{
		{"baseline", withLog(admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") }))},
		{"validate", withLog(NewValidator(config.Default(), testCluster(b), Options{}))},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if _, resp := serve(b, tc.hook, body, "application/json"); !resp.Allowed {
				b.Fatalf("denied: %+v", resp.Result)
			}
			b.ReportAllocs()
			for b.Loop() {
				r := httptest.NewRequest(http.MethodPost, ValidatePath, bytes.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				w := httptest.NewRecorder()
				tc.hook.ServeHTTP(w, r)
				if w.Code != http.StatusOK {
					b.Fatal(w.Code)
				}
			}
		})
	}
}
