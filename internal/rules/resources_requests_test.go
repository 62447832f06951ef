package rules

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

type limitRangeView struct {
	EmptyView
	err error
}

func (v limitRangeView) LimitRanges(string) ([]*corev1.LimitRange, error) { return nil, v.err }

func bareDeployment() *appsv1.Deployment {
	d := &appsv1.Deployment{}
	d.Namespace, d.Name = "shop", "web"
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app"}, {Name: "log"}}
	return d
}

func TestResourcesRequestsLookup(t *testing.T) {
	ref := ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "web"}

	// Cache not synced: one warning that the check could not be made, no
	// deny for containers a LimitRange might default.
	got, err := Evaluate([]*Rule{resourcesRequests}, &Input{
		Object: bareDeployment(), Ref: ref,
		Cluster: limitRangeView{err: fmt.Errorf("LimitRanges: %w", ErrUnavailable)},
	}, DefaultActions)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Severity != ActionWarn || got[0].Field != "spec.template.spec.containers[0].resources.requests" {
		t.Fatalf("unavailable: got %+v", got)
	}

	// Not knowable offline: skipped quietly.
	got, _ = Evaluate([]*Rule{resourcesRequests}, &Input{
		Object: bareDeployment(), Ref: ref,
		Cluster: limitRangeView{err: fmt.Errorf("LimitRanges: %w", ErrNotInInput)},
	}, DefaultActions)
	if len(got) != 0 {
		t.Fatalf("not in input: got %+v", got)
	}

	// Known to have none: one deny per container and resource.
	got, _ = Evaluate([]*Rule{resourcesRequests}, &Input{Object: bareDeployment(), Ref: ref}, DefaultActions)
	if len(got) != 4 {
		t.Fatalf("no LimitRange: got %d findings: %+v", len(got), got)
	}
	if got[0].Hint != `set resources.requests.cpu (e.g. 100m), or a limit, or a LimitRange defaultRequest in namespace "shop"` {
		t.Errorf("hint = %q", got[0].Hint)
	}
}

func TestResourcePath(t *testing.T) {
	for _, tc := range []struct {
		r    corev1.ResourceName
		want string
	}{
		{corev1.ResourceCPU, "resources.requests.cpu"},
		{corev1.ResourceEphemeralStorage, "resources.requests.ephemeral-storage"},
		{"nvidia.com/gpu", "resources.requests[nvidia.com/gpu]"},
		{"hugepages-2Mi", "resources.requests.hugepages-2Mi"},
	} {
		p := resourcePath(field.NewPath("resources", "requests"), tc.r)
		if p.String() != tc.want {
			t.Errorf("resourcePath(%s) = %s, want %s", tc.r, p, tc.want)
		}
	}
}

// TestOddInputs feeds every rule of this file set objects it does not
// expect: they must neither panic nor report.
func TestOddInputs(t *testing.T) {
	rs := []*Rule{resourcesRequests, resourcesImplausible, priorityCriticalAddon, priorityReservedClass, namespaceModeLabel}
	objs := []runtime.Object{
		nil,
		&corev1.ConfigMap{},
		&corev1.Namespace{},
		&corev1.Pod{},
		&appsv1.Deployment{},
		&batchv1.CronJob{},
		&corev1.ReplicationController{},
		&corev1.PodTemplate{},
	}
	for _, r := range rs {
		for _, o := range objs {
			for _, old := range []runtime.Object{nil, &corev1.ConfigMap{}, &corev1.Namespace{}} {
				vs := r.Check(&Input{Object: o, Old: old, Cluster: EmptyView{}, Settings: DefaultSettings()})
				if len(vs) != 0 {
					t.Errorf("%s on %T (old %T): %+v", r.ID, o, old, vs)
				}
			}
		}
	}
}
