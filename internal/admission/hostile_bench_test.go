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
// ingress-nginx annotation names) through the validating webhook as
// `webhook serve` wires it (NewWebhook: the one-pass review handler, the
// server's zap JSON logger, written to io.Discard). "baseline" is the same
// review through controller-runtime's webhook with a handler that allows
// it once decoded, as the load harness's baseline endpoint: compare
// validate/baseline.
//
//	go test ./internal/admission/ -run '^$' -bench HostileIngress -benchmem
func BenchmarkHostileIngress(b *testing.B) {
	logger := zap.New(zap.JSONEncoder(), zap.WriteTo(io.Discard))
	body := reviewBody(b, objectRequest(b, hostile.Ingress("team-enforce", "flood"), "team-enforce"))
	validate, err := NewWebhook(NewValidator(config.Default(), testCluster(b), Options{}), logger)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		hook http.Handler
	}{
		{"baseline", &admission.Webhook{
			Handler:        admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") }),
			LogConstructor: func(logr.Logger, *admission.Request) logr.Logger { return logger },
		}},
		{"validate", validate},
	} {
		b.Run(tc.name, func(b *testing.B) {
			if _, resp := serve(b, tc.hook, body, "application/json"); !resp.Allowed {
				b.Fatalf("denied: %+v", resp.Result)
			}
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
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
