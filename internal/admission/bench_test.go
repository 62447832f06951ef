package admission

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/go-logr/logr"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// BenchmarkRoundTrip measures one AdmissionReview through the validating
// webhook as the server runs it: decode the review, decode the object,
// run the rules against the cluster cache, encode the answer. Each kind
// has two sub-benchmarks: "guardrails" (/validate) and "decode-only", the
// same review through a handler that allows it once controller-runtime
// has decoded it (the load harness's baseline), in the same run: compare
// guardrails/decode-only in time, bytes and allocations. "one-pass-allow"
// is the allowing handler behind the server's own review decoder
// (NewWebhook), and "guardrails-behind-controller-runtime" the validating
// handler behind controller-runtime's own decoding (before internal/review).
//
//	go test ./internal/admission/ -run '^$' -bench RoundTrip -benchmem
func BenchmarkRoundTrip(b *testing.B) {
	ingresses := make([]runtime.Object, 0, 10000)
	prefix := networkingv1.PathTypePrefix
	for i := range 10000 {
		ingresses = append(ingresses, &networkingv1.Ingress{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: fmt.Sprintf("team-%d", i%200)},
			Spec: networkingv1.IngressSpec{
				IngressClassName: ptr("nginx"),
				Rules: []networkingv1.IngressRule{{
					Host: fmt.Sprintf("app-%d.example.com", i),
					IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
						{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "app", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
						{Path: "/api", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "api", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
					}}},
				}},
			},
		})
	}
	state := testCluster(b, ingresses...)
	validator := NewValidator(config.Default(), state, Options{})
	hook, err := NewWebhook(validator, logr.Discard())
	if err != nil {
		b.Fatal(err)
	}
	allow := admission.HandlerFunc(func(context.Context, admission.Request) admission.Response { return admission.Allowed("") })
	decodeOnly := &admission.Webhook{Handler: allow}
	onePassAllow, err := NewWebhook(allow, logr.Discard())
	if err != nil {
		b.Fatal(err)
	}

	ingress := editObjects(b, loadReview(b, "ingress-create.json"), func(obj map[string]any) {
		delete(obj["metadata"].(map[string]any), "annotations") // a clean Ingress: every ingress rule runs to the end
	})
	for _, tc := range []struct {
		name    string
		req     admission.Request
		allowed bool
	}{
		{"Deployment", loadReview(b, "deployment-create.json"), false},
		{"Ingress-10k-index", ingress, true},
		{"ClusterRoleBinding", loadReview(b, "clusterrolebinding-create.json"), false},
		{"Deployment-update", loadReview(b, "deployment-update-scale.json"), true},
		{"Namespace-update", loadReview(b, "namespace-update.json"), false},
	} {
		body := reviewBody(b, tc.req)
		for _, target := range []struct {
			name    string
			hook    http.Handler
			allowed bool
		}{
			{"guardrails", hook, tc.allowed},
			{"guardrails-behind-controller-runtime", &admission.Webhook{Handler: validator}, tc.allowed},
			{"decode-only", decodeOnly, true},
			{"one-pass-allow", onePassAllow, true},
		} {
			b.Run(tc.name+"/"+target.name, func(b *testing.B) {
				_, resp := serve(b, target.hook, body, "application/json")
				if resp.Allowed != target.allowed {
					b.Fatalf("allowed=%v: %+v %q", resp.Allowed, resp.Result, resp.Warnings)
				}
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					r := httptest.NewRequest(http.MethodPost, ValidatePath, bytes.NewReader(body))
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

func ptr[T any](v T) *T { return &v }
