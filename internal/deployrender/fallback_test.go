package deployrender

import (
	"reflect"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/vap"
)

// TestFallbackComponent: both overlays install the API server's fallback
// policies (components/api-server-fallback), exactly as `webhook vap`
// generates them from the embedded configuration (the ConfigMap's, see
// TestConfigCopies): the webhook's cluster-scoped entry fails open because
// of them.
func TestFallbackComponent(t *testing.T) {
	pairs, err := vap.Generate(config.Default(), vap.Options{Namespace: Namespace})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range installs(t) {
		t.Run(r.name, func(t *testing.T) {
			var policies, bindings int
			for _, o := range r.objs {
				switch o.GetKind() {
				case "ValidatingAdmissionPolicy":
					policies++
				case "ValidatingAdmissionPolicyBinding":
					bindings++
				}
			}
			if policies != len(pairs) || bindings != len(pairs) {
				t.Errorf("%d policies and %d bindings, want %d of each", policies, bindings, len(pairs))
			}
			for _, p := range pairs {
				got := mustFind(t, r, "ValidatingAdmissionPolicy", p.Policy.Name, &admissionregistrationv1.ValidatingAdmissionPolicy{})
				if !reflect.DeepEqual(got.Spec, p.Policy.Spec) {
					t.Errorf("policy %s differs from `webhook vap`", p.Policy.Name)
				}
				b := mustFind(t, r, "ValidatingAdmissionPolicyBinding", p.Binding.Name, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{})
				if !reflect.DeepEqual(b.Spec, p.Binding.Spec) {
					t.Errorf("binding %s differs from `webhook vap`", p.Binding.Name)
				}
				if b.Labels["app.kubernetes.io/part-of"] != "guardrails" {
					t.Errorf("binding %s labels %v", b.Name, b.Labels)
				}
			}
		})
	}
}
