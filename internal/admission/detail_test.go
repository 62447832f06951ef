package admission

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// TestFindingDetailStaysWithAdmins: a tenant taking a host that another
// namespace serves reads "served by another namespace", in the denial, its
// status causes and the warnings; the other namespace and its Ingress are
// in the webhook's log and the audit annotations only.
func TestFindingDetailStaysWithAdmins(t *testing.T) {
	prefix := networkingv1.PathTypePrefix
	class := "nginx"
	owner := &networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "secret-team", Name: "secret-shop"},
		Spec: networkingv1.IngressSpec{IngressClassName: &class, Rules: []networkingv1.IngressRule{{
			Host: "shop.example.com",
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{
				{Path: "/", PathType: &prefix, Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "shop", Port: networkingv1.ServiceBackendPort{Number: 80}}}},
			}}},
		}}},
	}
	v := NewValidator(config.Default(), testCluster(t, owner), Options{})
	hijack := editObjects(t, loadReview(t, "ingress-create.json"), func(obj map[string]any) {
		delete(obj["metadata"].(map[string]any), "annotations")
	})
	const tenantLine = `[ingress-conflict] spec.rules[0].host: host "shop.example.com" is served by another namespace`
	leaks := func(s string) bool { return strings.Contains(s, "secret-team") || strings.Contains(s, "secret-shop") }

	for _, ns := range []string{"team-enforce", "team-warn", "team-audit"} {
		t.Run(ns, func(t *testing.T) {
			var log bytes.Buffer
			ctx := logf.IntoContext(context.Background(), funcr.New(func(prefix, args string) { log.WriteString(args + "\n") }, funcr.Options{}))
			resp := v.Handle(ctx, inNamespace(t, hijack, ns))
			switch ns {
			case "team-enforce":
				wantDenied(t, resp, tenantLine+" (")
			case "team-warn":
				wantAllowed(t, resp, tenantLine)
			case "team-audit":
				wantAllowed(t, resp)
				if a := resp.AuditAnnotations["ingress-conflict"]; !strings.Contains(a, "served by namespace secret-team (Ingress secret-shop)") {
					t.Errorf("audit annotation %q lacks the detail", a)
				}
			}
			if resp.Result != nil && leaks(resp.Result.Message) {
				t.Errorf("the denial names the other namespace or Ingress: %s", resp.Result.Message)
			}
			if resp.Result != nil && resp.Result.Details != nil {
				for _, c := range resp.Result.Details.Causes {
					if leaks(c.Message) {
						t.Errorf("a status cause names the other namespace or Ingress: %+v", c)
					}
				}
			}
			for _, w := range resp.Warnings {
				if leaks(w) {
					t.Errorf("a warning names the other namespace or Ingress: %s", w)
				}
			}
			if !strings.Contains(log.String(), `"detail"="served by namespace secret-team (Ingress secret-shop)"`) {
				t.Errorf("the webhook's log lacks the detail:\n%s", log.String())
			}
		})
	}
}
