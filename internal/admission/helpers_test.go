package admission

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// loadReview reads testdata/name, an AdmissionReview as the API server
// sends it, and returns its request.
func loadReview(t testing.TB, name string) admission.Request {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var ar admissionv1.AdmissionReview
	if err := json.Unmarshal(data, &ar); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if ar.Request == nil {
		t.Fatalf("%s: no request", name)
	}
	return admission.Request{AdmissionRequest: *ar.Request}
}

// editObjects applies edit to the decoded object and old object of req.
func editObjects(t testing.TB, req admission.Request, edit func(obj map[string]any)) admission.Request {
	t.Helper()
	for _, raw := range []*runtime.RawExtension{&req.Object, &req.OldObject} {
		if len(raw.Raw) == 0 || string(raw.Raw) == "null" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(raw.Raw, &m); err != nil {
			t.Fatal(err)
		}
		edit(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		raw.Raw = b
	}
	return req
}

// inNamespace moves a namespaced request to ns.
func inNamespace(t testing.TB, req admission.Request, ns string) admission.Request {
	t.Helper()
	req.Namespace = ns
	return editObjects(t, req, func(obj map[string]any) {
		obj["metadata"].(map[string]any)["namespace"] = ns
	})
}

func asUser(req admission.Request, user string, groups ...string) admission.Request {
	req.UserInfo.Username = user
	req.UserInfo.Groups = groups
	return req
}

func namespace(name string, labels map[string]string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

// testCluster is the cluster the handler tests run against.
func testCluster(t testing.TB, extra ...runtime.Object) ClusterState {
	t.Helper()
	objs := []runtime.Object{
		namespace("team-enforce", map[string]string{rules.ModeLabel: "enforce"}),
		namespace("team-warn", map[string]string{rules.ModeLabel: "warn"}),
		namespace("team-audit", map[string]string{rules.ModeLabel: "audit"}),
		namespace("team-none", nil),
		namespace("team-invalid", map[string]string{rules.ModeLabel: "Enforce"}),
		namespace("team-ignore-warn", map[string]string{rules.ModeLabel: "warn", rules.FailurePolicyLabel: "ignore"}),
		namespace("kube-system", map[string]string{rules.ModeLabel: "enforce", rules.FailurePolicyLabel: "ignore"}),
		&networkingv1.IngressClass{
			ObjectMeta: metav1.ObjectMeta{Name: "nginx", Annotations: map[string]string{"ingressclass.kubernetes.io/is-default-class": "true"}},
			Spec:       networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"},
		},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: rules.SystemClusterCritical}, Value: 2000000000},
		&schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: rules.SystemNodeCritical}, Value: 2000001000},
	}
	c, err := clustercache.NewStatic(clustercache.Options{}, append(objs, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// faultyState wraps a ClusterState with injected faults.
type faultyState struct {
	ClusterState
	// nsErr is returned by NamespaceLabels.
	nsErr error
	// nsMissing makes NamespaceLabels answer "not found" this many times.
	nsMissing atomic.Int32
	// panicLimitRanges makes LimitRanges panic.
	panicLimitRanges bool
	// pcErr is returned by PriorityClass.
	pcErr error
}

func (f *faultyState) NamespaceLabels(name string) (map[string]string, error) {
	if f.nsErr != nil {
		return nil, f.nsErr
	}
	if f.nsMissing.Add(-1) >= 0 {
		return nil, nil
	}
	return f.ClusterState.NamespaceLabels(name)
}

func (f *faultyState) LimitRanges(ns string) ([]*corev1.LimitRange, error) {
	if f.panicLimitRanges {
		panic("limit ranges exploded")
	}
	return f.ClusterState.LimitRanges(ns)
}

func (f *faultyState) PriorityClass(name string) (*schedulingv1.PriorityClass, error) {
	if f.pcErr != nil {
		return nil, f.pcErr
	}
	return f.ClusterState.PriorityClass(name)
}

// withConfig returns the default config changed by edit.
func withConfig(t testing.TB, edit func(c *config.Config)) *config.Config {
	t.Helper()
	c := config.Default()
	if edit != nil {
		edit(c)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

// withRequestDefaults is the default configuration with
// resources.fillDefaults on and these defaults: the mutator fills them in.
func withRequestDefaults(t testing.TB, defaults map[corev1.ResourceName]string) *config.Config {
	t.Helper()
	return withConfig(t, func(c *config.Config) {
		c.Resources.FillDefaults = true
		c.Resources.Defaults = defaults
	})
}

// counterValue reads a counter.
func counterValue(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		panic(err)
	}
	return m.GetCounter().GetValue()
}
