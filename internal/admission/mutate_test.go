package admission

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"github.com/go-logr/logr"
	"go.uber.org/zap/zapcore"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/metrics"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// mutateTwice runs the mutator, applies its patch to the object, runs it
// again on the result and requires no second patch (reinvocationPolicy
// IfNeeded). It returns the first response and the patched object.
func mutateTwice(t *testing.T, m *Mutator, req admission.Request) (admission.Response, map[string]any) {
	t.Helper()
	resp := m.Handle(context.Background(), req)
	if !resp.Allowed {
		t.Fatalf("mutator denied: %+v", resp.Result)
	}
	obj := req.Object.Raw
	if len(resp.Patches) > 0 {
		if err := resp.Complete(req); err != nil {
			t.Fatal(err)
		}
		if resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch {
			t.Fatalf("patch type %v", resp.PatchType)
		}
		patch, err := jsonpatch.DecodePatch(resp.Patch)
		if err != nil {
			t.Fatal(err)
		}
		if obj, err = patch.Apply(obj); err != nil {
			t.Fatalf("apply %s: %v", resp.Patch, err)
		}
		again := req
		again.Object.Raw = obj
		second := m.Handle(context.Background(), again)
		if len(second.Patches) > 0 || !second.Allowed {
			t.Fatalf("second run patched again: %v", second.Patches)
		}
		if len(second.Warnings) > 0 {
			t.Errorf("second run warned: %q", second.Warnings)
		}
	}
	var out map[string]any
	if err := json.Unmarshal(obj, &out); err != nil {
		t.Fatal(err)
	}
	return resp, out
}

func dig(obj map[string]any, path ...any) any {
	var cur any = obj
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			if !ok {
				return nil
			}
			cur = m[k]
		case int:
			a, ok := cur.([]any)
			if !ok || k >= len(a) {
				return nil
			}
			cur = a[k]
		}
	}
	return cur
}

func TestMutatePriorityClassTemplate(t *testing.T) {
	m := NewMutator(config.Default(), testCluster(t), Options{})
	resp, obj := mutateTwice(t, m, loadReview(t, "deployment-coredns-create.json"))
	if got := dig(obj, "spec", "template", "spec", "priorityClassName"); got != rules.SystemClusterCritical {
		t.Fatalf("priorityClassName = %v", got)
	}
	if got := dig(obj, "spec", "template", "spec", "priority"); got != nil {
		t.Errorf("a template must not get spec.priority, got %v", got)
	}
	if len(resp.Patches) != 1 {
		t.Errorf("patches %v", resp.Patches)
	}
	want := "[guardrails] set spec.template.spec.priorityClassName to system-cluster-critical (critical add-on CoreDNS, "
	if len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], want) {
		t.Errorf("warnings %q, want prefix %q", resp.Warnings, want)
	}
	// Requests are not filled by default (resources.fillDefaults: false).
	if got := dig(obj, "spec", "template", "spec", "initContainers", 0, "resources", "requests"); got != nil {
		t.Errorf("requests filled without fillDefaults: %v", got)
	}
}

func TestMutatePriorityClassBarePod(t *testing.T) {
	m := NewMutator(config.Default(), testCluster(t), Options{})
	req := loadReview(t, "pod-coredns-create.json")
	resp, obj := mutateTwice(t, m, req)
	spec := obj["spec"].(map[string]any)
	// The Priority admission plugin resolved the empty class to priority 0
	// before the webhook ran, and checks name and numbers agree again.
	if spec["priorityClassName"] != rules.SystemClusterCritical || spec["priority"] != float64(2000000000) || spec["preemptionPolicy"] != "PreemptLowerPriority" {
		t.Fatalf("spec priority fields: %v %v %v", spec["priorityClassName"], spec["priority"], spec["preemptionPolicy"])
	}
	if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "priority 2000000000") {
		t.Errorf("warnings %q", resp.Warnings)
	}

	t.Run("class with non-default preemption", func(t *testing.T) {
		never := corev1.PreemptNever
		pc := &mutatorPC{name: rules.SystemClusterCritical, value: 2000000000, preempt: &never}
		m := NewMutator(config.Default(), pc.state(t), Options{})
		_, obj := mutateTwice(t, m, req)
		if got := dig(obj, "spec", "preemptionPolicy"); got != "Never" {
			t.Errorf("preemptionPolicy = %v", got)
		}
	})
	t.Run("lookup failure falls back to the fixed system values", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t), pcErr: rules.ErrUnavailable}
		_, obj := mutateTwice(t, NewMutator(config.Default(), st, Options{}), req)
		if got := dig(obj, "spec", "priority"); got != float64(2000000000) {
			t.Errorf("priority = %v", got)
		}
	})
	t.Run("unknown class is not named without its priority", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t), pcErr: rules.ErrUnavailable}
		m := NewMutator(config.Default(), st, Options{})
		if _, _, err := m.priorityOf("platform-critical"); err == nil {
			t.Fatal("want an error for an unknown class whose lookup failed")
		}
	})
	t.Run("existing class is kept", func(t *testing.T) {
		withClass := editObjects(t, req, func(obj map[string]any) {
			obj["spec"].(map[string]any)["priorityClassName"] = "platform-default"
		})
		resp, _ := mutateTwice(t, m, withClass)
		if len(resp.Patches) != 0 || len(resp.Warnings) != 0 {
			t.Errorf("patched an existing class: %v %q", resp.Patches, resp.Warnings)
		}
	})
	t.Run("mirror pod", func(t *testing.T) {
		mirror := editObjects(t, req, func(obj map[string]any) {
			md := obj["metadata"].(map[string]any)
			md["annotations"] = map[string]any{corev1.MirrorPodAnnotationKey: "abc"}
			delete(md, "ownerReferences")
		})
		// The kubelet's mirror pod is left alone.
		node := asUser(mirror, "system:node:node-1", "system:nodes", "system:authenticated")
		if resp, _ := mutateTwice(t, m, node); len(resp.Patches) != 0 {
			t.Errorf("patched a node's mirror pod: %v", resp.Patches)
		}
		// Anyone else's pod with the annotation is a pod like any other
		// (here an add-on in kube-system: mutated).
		forged := asUser(mirror, "alice", "system:authenticated")
		if resp, _ := mutateTwice(t, m, forged); len(resp.Patches) == 0 {
			t.Errorf("a pod with a mirror annotation sent by a tenant was treated as a mirror pod: not mutated")
		}
	})
}

func TestMutateRequestDefaults(t *testing.T) {
	cfg := withRequestDefaults(t, map[corev1.ResourceName]string{"cpu": "0.1", "memory": "128Mi"})
	m := NewMutator(cfg, testCluster(t), Options{})
	req := loadReview(t, "deployment-create.json")
	resp, obj := mutateTwice(t, m, req)
	c := dig(obj, "spec", "template", "spec", "containers", 0, "resources").(map[string]any)
	// cpu has a limit (copied to the request by the API server): not filled.
	if got := c["requests"]; got == nil || got.(map[string]any)["memory"] != "128Mi" || got.(map[string]any)["cpu"] != nil {
		t.Fatalf("requests = %v", got)
	}
	if lim := c["limits"].(map[string]any)["cpu"]; lim != "500m" {
		t.Errorf("limit changed: %v", lim)
	}
	// Numbers the patch does not touch survive exactly (no float64 round trip).
	for _, p := range resp.Patches {
		if strings.Contains(p.Path, "securityContext") || strings.Contains(p.Path, "runAsUser") {
			t.Errorf("patch touches an unrelated field: %v", p)
		}
	}
	want := `[guardrails] set spec.template.spec.containers[0].resources.requests memory=128Mi (container "app" had none; configured defaults)`
	if len(resp.Warnings) != 1 || resp.Warnings[0] != want {
		t.Errorf("warnings %q, want %q", resp.Warnings, want)
	}

	t.Run("LimitRange defaults win", func(t *testing.T) {
		lr := &corev1.LimitRange{}
		lr.Name, lr.Namespace = "defaults", "team-enforce"
		lr.Spec.Limits = []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, DefaultRequest: corev1.ResourceList{corev1.ResourceMemory: mustQ("64Mi")}}}
		resp, _ := mutateTwice(t, NewMutator(cfg, testCluster(t, lr), Options{}), req)
		if len(resp.Patches) != 0 {
			t.Errorf("patched although a LimitRange defaults memory: %v", resp.Patches)
		}
	})
	t.Run("exempt from resources-requests", func(t *testing.T) {
		cfg := withConfig(t, func(c *config.Config) {
			c.Resources.FillDefaults = true
			c.Resources.Defaults = map[corev1.ResourceName]string{"memory": "128Mi"}
			c.Rules["resources-requests"] = config.RuleConfig{Exemptions: []config.Exemption{{Namespaces: []string{"team-enforce"}, Reason: "test"}}}
		})
		if resp, _ := mutateTwice(t, NewMutator(cfg, testCluster(t), Options{}), req); len(resp.Patches) != 0 {
			t.Errorf("patched an exempt object: %v", resp.Patches)
		}
	})
	t.Run("warn mode mutates", func(t *testing.T) {
		resp, _ := mutateTwice(t, m, inNamespace(t, req, "team-warn"))
		if len(resp.Patches) != 1 {
			t.Errorf("patches %v", resp.Patches)
		}
	})
	t.Run("audit mode records only", func(t *testing.T) {
		resp, _ := mutateTwice(t, m, inNamespace(t, req, "team-audit"))
		if len(resp.Patches) != 0 || len(resp.Warnings) != 0 {
			t.Fatalf("audit mode patched or warned: %v %q", resp.Patches, resp.Warnings)
		}
		if got := resp.AuditAnnotations["resources-requests"]; !strings.HasPrefix(got, "would set spec.template.spec.containers[0].resources.requests memory=128Mi") {
			t.Errorf("audit annotations %v", resp.AuditAnnotations)
		}
	})
	t.Run("no mode label", func(t *testing.T) {
		if resp, _ := mutateTwice(t, m, inNamespace(t, req, "team-none")); len(resp.Patches) != 0 || resp.AuditAnnotations != nil {
			t.Errorf("mutated an unserved namespace: %+v", resp)
		}
	})
	t.Run("update is never patched", func(t *testing.T) {
		if resp, _ := mutateTwice(t, m, loadReview(t, "deployment-update-introduce.json")); len(resp.Patches) != 0 {
			t.Errorf("patched an UPDATE: %v", resp.Patches)
		}
	})
	t.Run("pod-level resources satisfy", func(t *testing.T) {
		pl := editObjects(t, req, func(obj map[string]any) {
			dig(obj, "spec", "template", "spec").(map[string]any)["resources"] = map[string]any{"requests": map[string]any{"memory": "1Gi"}}
		})
		if resp, _ := mutateTwice(t, m, pl); len(resp.Patches) != 0 {
			t.Errorf("patched despite pod-level requests: %v", resp.Patches)
		}
	})
}

func TestMutateNeverDenies(t *testing.T) {
	cfg := withRequestDefaults(t, map[corev1.ResourceName]string{"memory": "128Mi"})
	req := loadReview(t, "deployment-create.json")
	for _, tc := range []struct {
		name  string
		state ClusterState
		req   admission.Request
		kind  string
	}{
		{"panic", &faultyState{ClusterState: testCluster(t), panicLimitRanges: true}, req, "panic"},
		{"lookup", &faultyState{ClusterState: testCluster(t), nsErr: rules.ErrUnavailable}, req, "lookup"},
		{"decode", testCluster(t), editObjects(t, req, func(obj map[string]any) { obj["spec"] = "nope" }), "decode"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerMutate, tc.kind, "admitted"))
			resp := NewMutator(cfg, tc.state, Options{NamespaceWait: 50 * time.Millisecond}).Handle(context.Background(), tc.req)
			if !resp.Allowed || len(resp.Patches) != 0 {
				t.Fatalf("want admitted without patch, got %+v", resp)
			}
			if len(resp.Warnings) != 1 || !strings.HasPrefix(resp.Warnings[0], "[guardrails] internal error, object not mutated") {
				t.Errorf("warnings %q", resp.Warnings)
			}
			if after := counterValue(metrics.InternalErrors.WithLabelValues(metrics.HandlerMutate, tc.kind, "admitted")); after != before+1 {
				t.Errorf("metric %v -> %v", before, after)
			}
		})
	}
	t.Run("LimitRanges unknown", func(t *testing.T) {
		st := &faultyState{ClusterState: testCluster(t)}
		st.ClusterState = &lrErrState{ClusterState: st.ClusterState}
		resp := NewMutator(cfg, st, Options{}).Handle(context.Background(), req)
		if !resp.Allowed || len(resp.Patches) != 0 || len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "could not fill missing requests") {
			t.Errorf("got %+v", resp)
		}
	})
}

type lrErrState struct{ ClusterState }

func (lrErrState) LimitRanges(string) ([]*corev1.LimitRange, error) {
	return nil, errors.Join(rules.ErrUnavailable, errors.New("LimitRange informer not synced"))
}

// mutatorPC answers one PriorityClass lookup with a fixed class.
type mutatorPC struct {
	ClusterState
	name    string
	value   int32
	preempt *corev1.PreemptionPolicy
}

func (p *mutatorPC) state(t *testing.T) ClusterState {
	p.ClusterState = testCluster(t)
	return p
}

func (p *mutatorPC) PriorityClass(name string) (*schedulingv1.PriorityClass, error) {
	if name != p.name {
		return p.ClusterState.PriorityClass(name)
	}
	pc := &schedulingv1.PriorityClass{Value: p.value, PreemptionPolicy: p.preempt}
	pc.Name = name
	return pc, nil
}

func mustQ(s string) resource.Quantity { return resource.MustParse(s) }

// replicaSetOfDeployment turns the CoreDNS Deployment review into the
// ReplicaSet the Deployment controller creates for it.
func replicaSetOfDeployment(t *testing.T, user string) admission.Request {
	t.Helper()
	req := editObjects(t, loadReview(t, "deployment-coredns-create.json"), func(obj map[string]any) {
		obj["kind"] = "ReplicaSet"
		md := obj["metadata"].(map[string]any)
		md["name"] = "coredns-7db6d8ff4d"
		md["ownerReferences"] = []any{map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "name": "coredns", "uid": "d", "controller": true,
		}}
	})
	req.Kind.Kind = "ReplicaSet"
	req.Resource.Resource = "replicasets"
	req.Name = "coredns-7db6d8ff4d"
	req.UserInfo.Username = user
	req.UserInfo.Groups = []string{"system:serviceaccounts", "system:authenticated"}
	return req
}

func TestMutateLeavesControllerCopiesAlone(t *testing.T) {
	m := NewMutator(config.Default(), testCluster(t), Options{})
	// A ReplicaSet whose template differed from its Deployment's would make
	// the Deployment controller create yet another ReplicaSet.
	resp := m.Handle(context.Background(), replicaSetOfDeployment(t, "system:serviceaccount:kube-system:deployment-controller"))
	if !resp.Allowed || len(resp.Patches) != 0 || len(resp.Warnings) != 0 {
		t.Errorf("the deployment controller's ReplicaSet was mutated: allowed %v, patches %v, warnings %q", resp.Allowed, resp.Patches, resp.Warnings)
	}
	// The same ReplicaSet written by a person is filled like any workload.
	resp = m.Handle(context.Background(), replicaSetOfDeployment(t, "alice"))
	if len(resp.Patches) != 1 {
		t.Errorf("a ReplicaSet written by a user was not mutated: patches %v", resp.Patches)
	}
}

// TestMutateLogsTheMutation: a mutation is logged (one "mutated" line with
// the request's uid and object) when the request's logger writes info
// lines, and nothing is built or written when it does not.
func TestMutateLogsTheMutation(t *testing.T) {
	m := NewMutator(config.Default(), testCluster(t), Options{})
	req := loadReview(t, "deployment-coredns-create.json")
	for _, level := range []zapcore.Level{zapcore.InfoLevel, zapcore.ErrorLevel} {
		var buf bytes.Buffer
		log := zap.New(zap.JSONEncoder(), zap.WriteTo(&buf), zap.Level(level))
		resp := m.Handle(logr.NewContext(context.Background(), log), req)
		if len(resp.Patches) != 1 {
			t.Fatalf("patches %v", resp.Patches)
		}
		out := buf.String()
		if level == zapcore.ErrorLevel {
			if out != "" {
				t.Errorf("error level: wrote %s", out)
			}
			continue
		}
		var line map[string]any
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		for k, want := range map[string]any{"msg": "mutated", "logger": "guardrails", "uid": string(req.UID), "kind": "Deployment", "namespace": "kube-system", "name": req.Name} {
			if line[k] != want {
				t.Errorf("%s = %v, want %v (line %s)", k, line[k], want, out)
			}
		}
		if ms, _ := line["mutations"].([]any); len(ms) != 1 || !strings.HasPrefix(fmt.Sprint(ms[0]), "set spec.template.spec.priorityClassName to system-cluster-critical") {
			t.Errorf("mutations %v", line["mutations"])
		}
	}
}
