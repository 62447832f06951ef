package admission

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	jsonpatch "github.com/evanphx/json-patch/v5"
	gjsonpatch "gomodules.xyz/jsonpatch/v2"
	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/sets"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// diffPatch is how the mutator made its patch before patch.go, kept as
// the reference: the JSON patch from raw (the request's object) to the
// encoded mutated copy, the way controller-runtime's defaulting webhooks do
// (PatchResponseFromRaw), less the operations that the typed round trip
// alone produces (fields the scheme drops or adds empty, quantities
// written in canonical form).
func diffPatch(raw []byte, original, mutated runtime.Object) ([]gjsonpatch.JsonPatchOperation, error) {
	after, err := json.Marshal(mutated)
	if err != nil {
		return nil, err
	}
	resp := admission.PatchResponseFromRaw(raw, after)
	if !resp.Allowed {
		return nil, errors.New(resp.Result.Message)
	}
	before, err := json.Marshal(original)
	if err != nil {
		return nil, err
	}
	roundTrip, err := gjsonpatch.CreatePatch(raw, before)
	if err != nil {
		return nil, err
	}
	artifacts := sets.New[string]()
	for _, op := range roundTrip {
		artifacts.Insert(op.Json())
	}
	return slices.DeleteFunc(resp.Patches, func(op gjsonpatch.JsonPatchOperation) bool { return artifacts.Has(op.Json()) }), nil
}

// applyOps applies ops to raw and returns the result decoded.
func applyOps(t *testing.T, raw []byte, ops []gjsonpatch.JsonPatchOperation) any {
	t.Helper()
	out := raw
	if len(ops) > 0 {
		b, err := json.Marshal(ops)
		if err != nil {
			t.Fatal(err)
		}
		patch, err := jsonpatch.DecodePatch(b)
		if err != nil {
			t.Fatal(err)
		}
		if out, err = patch.Apply(raw); err != nil {
			t.Fatalf("apply %s: %v", b, err)
		}
	}
	var v any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestDiffPatchOnlyWhatWasSet: the reference patch holds the mutation and
// nothing the typed round trip alone changes (a quantity in non-canonical
// form, a field the scheme does not know, empty structs the encoder
// writes).
func TestDiffPatchOnlyWhatWasSet(t *testing.T) {
	raw := []byte(`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"n","futureField":"x"},` +
		`"spec":{"containers":[{"name":"a","image":"i","resources":{"requests":{"cpu":"1000m"}}},{"name":"b","image":"i"}]}}`)
	req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
		Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Pod"}, Namespace: "n", Operation: admissionv1.Create,
		Object: runtime.RawExtension{Raw: raw},
	}}
	o, err := decode(raw, req)
	if err != nil {
		t.Fatal(err)
	}
	mutated := o.obj.DeepCopyObject().(*corev1.Pod)
	mutated.Spec.PriorityClassName = "x"
	mutated.Spec.Containers[1].Resources.Requests = corev1.ResourceList{corev1.ResourceMemory: mustQ("64Mi")}
	ops, err := diffPatch(raw, o.obj, mutated)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, op.Json())
	}
	want := []string{
		`{"op":"add","path":"/spec/containers/1/resources","value":{"requests":{"memory":"64Mi"}}}`,
		`{"op":"add","path":"/spec/priorityClassName","value":"x"}`,
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("patches\n got %q\nwant %q", got, want)
	}
	unchanged, err := diffPatch(raw, o.obj, o.obj.DeepCopyObject())
	if err != nil || len(unchanged) != 0 {
		t.Errorf("an unchanged copy patched: %v %v", unchanged, err)
	}
}

// TestPatchMatchesDiff: on every shape of object the mutator patches (each
// pod-spec kind; containers without resources, with an empty, null or
// limits-only resources, with empty, null or partial requests; init
// containers and sidecars; bare Pods with and without the Priority
// plugin's fields; a key the decoder ignores), the patch
// written from the plan applies to the same object as the reference
// diff's, through the handler too.
func TestPatchMatchesDiff(t *testing.T) {
	fill := withRequestDefaults(t, map[corev1.ResourceName]string{"cpu": "0.1", "memory": "128Mi", "ephemeral-storage": "1Gi"})
	podSpec := func(obj map[string]any) map[string]any {
		switch obj["kind"] {
		case "Pod":
			return obj["spec"].(map[string]any)
		case "CronJob":
			return dig(obj, "spec", "jobTemplate", "spec", "template", "spec").(map[string]any)
		case "PodTemplate":
			return dig(obj, "template", "spec").(map[string]any)
		}
		return dig(obj, "spec", "template", "spec").(map[string]any)
	}
	container := func(obj map[string]any, i int) map[string]any {
		return podSpec(obj)["containers"].([]any)[i].(map[string]any)
	}
	setResources := func(v any) func(map[string]any) {
		return func(obj map[string]any) {
			if v == "absent" {
				delete(container(obj, 0), "resources")
				return
			}
			container(obj, 0)["resources"] = v
		}
	}
	// asKind moves the Deployment's pod template into another kind.
	asKind := func(req admission.Request, group, version, kind string) admission.Request {
		req = editObjects(t, req, func(obj map[string]any) {
			tmpl := dig(obj, "spec", "template")
			obj["kind"] = kind
			obj["apiVersion"] = version
			if group != "" {
				obj["apiVersion"] = group + "/" + version
			}
			switch kind {
			case "Pod":
				obj["spec"] = tmpl.(map[string]any)["spec"]
			case "CronJob":
				obj["spec"] = map[string]any{"schedule": "* * * * *", "jobTemplate": map[string]any{"spec": map[string]any{"template": tmpl}}}
			case "PodTemplate":
				delete(obj, "spec")
				obj["template"] = tmpl
			case "Job":
				obj["spec"] = map[string]any{"template": tmpl}
			case "ReplicationController":
				obj["spec"] = map[string]any{"selector": tmpl.(map[string]any)["metadata"].(map[string]any)["labels"], "template": tmpl}
			}
		})
		req.Kind = metav1.GroupVersionKind{Group: group, Version: version, Kind: kind}
		return req
	}
	deploy := loadReview(t, "deployment-create.json")
	pod := loadReview(t, "pod-coredns-create.json")
	rawEdit := func(req admission.Request, raw string) admission.Request {
		req.Object.Raw = []byte(raw)
		return req
	}
	cases := []struct {
		name string
		cfg  *config.Config
		req  admission.Request
	}{
		{"deployment, limits only", fill, deploy},
		{"no resources", fill, editObjects(t, deploy, setResources("absent"))},
		{"empty resources", fill, editObjects(t, deploy, setResources(map[string]any{}))},
		{"null resources", fill, editObjects(t, deploy, setResources(nil))},
		{"null requests", fill, editObjects(t, deploy, setResources(map[string]any{"requests": nil}))},
		{"empty requests", fill, editObjects(t, deploy, setResources(map[string]any{"requests": map[string]any{}}))},
		{"partial requests", fill, editObjects(t, deploy, setResources(map[string]any{"requests": map[string]any{"memory": "1000Mi"}}))},
		{"null limits", fill, editObjects(t, deploy, setResources(map[string]any{"limits": nil}))},
		{"empty claims", fill, editObjects(t, deploy, setResources(map[string]any{"claims": []any{}}))},
		{"init containers and a sidecar", fill, editObjects(t, deploy, func(obj map[string]any) {
			podSpec(obj)["initContainers"] = []any{
				map[string]any{"name": "init", "image": "i"},
				map[string]any{"name": "side", "image": "i", "restartPolicy": "Always", "resources": map[string]any{}},
				map[string]any{"name": "done", "image": "i", "resources": map[string]any{"requests": map[string]any{"cpu": "1", "memory": "1", "ephemeral-storage": "1"}}},
			}
			podSpec(obj)["containers"] = append(podSpec(obj)["containers"].([]any), map[string]any{"name": "two", "image": "i", "resources": nil})
		})},
		{"pod", fill, asKind(editObjects(t, deploy, setResources("absent")), "", "v1", "Pod")},
		{"cronjob", fill, asKind(editObjects(t, deploy, setResources(map[string]any{})), "batch", "v1", "CronJob")},
		{"job", fill, asKind(editObjects(t, deploy, setResources(nil)), "batch", "v1", "Job")},
		{"podtemplate", fill, asKind(editObjects(t, deploy, setResources("absent")), "", "v1", "PodTemplate")},
		{"statefulset", fill, asKind(editObjects(t, deploy, setResources("absent")), "apps", "v1", "StatefulSet")},
		{"daemonset", fill, asKind(editObjects(t, deploy, setResources(map[string]any{"requests": map[string]any{"memory": "1000Mi"}})), "apps", "v1", "DaemonSet")},
		{"replicaset", fill, asKind(editObjects(t, deploy, setResources(nil)), "apps", "v1", "ReplicaSet")},
		{"replicationcontroller", fill, asKind(editObjects(t, deploy, setResources(map[string]any{"requests": map[string]any{"memory": "1000Mi"}})), "", "v1", "ReplicationController")},
		{"replicationcontroller add-on", fill, asKind(loadReview(t, "deployment-coredns-create.json"), "", "v1", "ReplicationController")},
		{"cronjob add-on", fill, asKind(loadReview(t, "deployment-coredns-create.json"), "batch", "v1", "CronJob")},
		{"add-on template", config.Default(), loadReview(t, "deployment-coredns-create.json")},
		{"add-on template, empty class written", config.Default(), editObjects(t, loadReview(t, "deployment-coredns-create.json"), func(obj map[string]any) {
			podSpec(obj)["priorityClassName"] = ""
		})},
		{"add-on template and requests", fill, loadReview(t, "deployment-coredns-create.json")},
		{"add-on pod", config.Default(), pod},
		{"add-on pod, no priority fields", config.Default(), editObjects(t, pod, func(obj map[string]any) {
			delete(podSpec(obj), "priority")
			delete(podSpec(obj), "preemptionPolicy")
		})},
		{"add-on pod, other preemption", config.Default(), editObjects(t, pod, func(obj map[string]any) {
			podSpec(obj)["preemptionPolicy"] = "Never"
			podSpec(obj)["priority"] = 2000000000
		})},
		{"add-on pod and requests", fill, editObjects(t, pod, setResources("absent"))},
		{"key spelled in another case", fill, rawEdit(deploy, `{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"w","namespace":"team-enforce"},`+
			`"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"a","image":"i","Resources":{"limits":{"cpu":"1"}}}]}}}}`)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := NewMutator(tc.cfg, testCluster(t), Options{})
			r := &request{}
			skip, ie := m.e.prepare(context.Background(), tc.req, m.scope(), r)
			if skip || ie != nil {
				t.Fatalf("prepare: skip=%v %v", skip, ie)
			}
			before := r.cur.obj.DeepCopyObject()
			p := m.plan(r)
			if len(p.muts) == 0 {
				t.Fatalf("nothing to mutate (notes %q)", p.notes)
			}
			if !equality.Semantic.DeepEqual(before, r.cur.obj) {
				t.Fatal("plan changed the request's object")
			}
			want, err := diffPatch(tc.req.Object.Raw, r.cur.obj, p.obj)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := patchResponse(tc.req.Object.Raw, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Patches) == 0 || resp.PatchType == nil || *resp.PatchType != admissionv1.PatchTypeJSONPatch || !resp.Allowed {
				t.Fatalf("response %+v", resp)
			}
			wantObj, gotObj := applyOps(t, tc.req.Object.Raw, want), applyOps(t, tc.req.Object.Raw, resp.Patches)
			if !reflect.DeepEqual(wantObj, gotObj) {
				t.Errorf("patched objects differ\n got %s\nwant %s", opsText(resp.Patches), opsText(want))
			}
			handled := m.Handle(context.Background(), tc.req)
			if !reflect.DeepEqual(applyOps(t, tc.req.Object.Raw, handled.Patches), wantObj) {
				t.Errorf("the handler's patch differs: %s", opsText(handled.Patches))
			}
		})
	}
}

func opsText(ops []gjsonpatch.JsonPatchOperation) string {
	s := ""
	for _, op := range ops {
		s += fmt.Sprintln(op.Json())
	}
	return s
}
