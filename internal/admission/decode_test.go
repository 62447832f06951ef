package admission

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	"github.com/guardrails-dev/guardrails/internal/config"
)

// genericDecode is the universal deserializer's path, which decode
// takes when decodeTyped declines.
func genericDecode(t *testing.T, raw []byte, req admission.Request) (any, error) {
	t.Helper()
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	obj, _, err := codecs.UniversalDeserializer().Decode(raw, &gvk, nil)
	return obj, err
}

// TestDecodeTypedSameAsDeserializer: the direct path makes the same
// objects as the universal deserializer, for every object and old object
// of the fixtures, and keeps none of the raw object's bytes.
func TestDecodeTypedSameAsDeserializer(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("fixtures: %v %v", files, err)
	}
	for _, f := range files {
		req := loadReview(t, filepath.Base(f))
		for what, raw := range map[string][]byte{"object": req.Object.Raw, "oldObject": req.OldObject.Raw} {
			if len(raw) == 0 {
				continue
			}
			gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
			body := append([]byte(nil), raw...)
			got, ok := decodeTyped(body, gvk)
			if !ok {
				t.Errorf("%s %s: decodeTyped declined", f, what)
				continue
			}
			// The object shares no bytes with the review's body, whose
			// buffer review.Handler uses again for the next request.
			for i := range body {
				body[i] = 'x'
			}
			want, err := genericDecode(t, raw, req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s: decodeTyped made\n%#v\nthe deserializer\n%#v", f, what, got, want)
			}
		}
	}
}

// TestDecodeTakesTheDeserializersPath: whatever decodeTyped does not
// vouch for goes the deserializer's way, with its result or its error.
func TestDecodeTakesTheDeserializersPath(t *testing.T) {
	req := loadReview(t, "deployment-create.json")
	raw := string(req.Object.Raw)
	edited := func(edit func(obj map[string]any)) string {
		return string(editObjects(t, req, edit).Object.Raw)
	}
	for name, tc := range map[string]struct {
		raw      string
		declined bool
		wantErr  string
		wantType string
	}{
		"as the API server sends it": {raw: raw, wantType: "*v1.Deployment"},
		"another kind in the object": {raw: edited(func(obj map[string]any) { obj["kind"] = "StatefulSet" }), declined: true, wantType: "*v1.StatefulSet"},
		"no kind, no apiVersion":     {raw: edited(func(obj map[string]any) { delete(obj, "kind"); delete(obj, "apiVersion") }), declined: true, wantType: "*v1.Deployment"},
		"YAML":                       {raw: "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n", declined: true, wantType: "*v1.Deployment"},
		"broken JSON":                {raw: raw[:len(raw)/2], declined: true, wantErr: "decode Deployment: "},
		"wrong field type":           {raw: edited(func(obj map[string]any) { obj["spec"].(map[string]any)["replicas"] = "two" }), declined: true, wantErr: "decode Deployment: "},
	} {
		t.Run(name, func(t *testing.T) {
			gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
			if _, ok := decodeTyped([]byte(tc.raw), gvk); ok == tc.declined {
				t.Errorf("decodeTyped ok=%v, want %v", ok, !tc.declined)
			}
			o, err := decode([]byte(tc.raw), req)
			want, wantErr := genericDecode(t, []byte(tc.raw), req)
			if tc.wantErr != "" {
				if err == nil || wantErr == nil || err.Error() != "decode Deployment: "+wantErr.Error() {
					t.Fatalf("error %v, want the deserializer's %v", err, wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := reflect.TypeOf(o.obj).String(); got != tc.wantType {
				t.Errorf("decoded a %s, want %s", got, tc.wantType)
			}
			if !reflect.DeepEqual(o.obj, want) {
				t.Errorf("decode made %#v, the deserializer %#v", o.obj, want)
			}
		})
	}
}

// TestOldObjectDecodedForDenyFindingsOnly: on an UPDATE of a kind whose
// rules do not read the old object, the old object is decoded only to
// compare deny findings with it; one that does not decode is then an
// internal error (denied: failure policy Fail).
func TestOldObjectDecodedForDenyFindingsOnly(t *testing.T) {
	v := NewValidator(config.Default(), testCluster(t), Options{})
	broken := func(req admission.Request) admission.Request {
		req.OldObject.Raw = []byte(`{"apiVersion":"apps/v1","kind":"Deployment","spec":{"replicas":"two"}}`)
		return req
	}
	t.Run("no deny finding: not decoded", func(t *testing.T) {
		req := editObjects(t, loadReview(t, "ingress-create.json"), func(obj map[string]any) {
			delete(obj["metadata"].(map[string]any), "annotations")
		})
		req.Operation = admissionv1.Update
		req.OldObject.Raw = []byte(`{"apiVersion":"networking.k8s.io/v1","kind":"Ingress","spec":{"rules":"x"}}`)
		resp := validate(t, v, req)
		if !resp.Allowed || len(resp.Warnings) > 0 {
			t.Fatalf("want allowed without warnings: %+v %q", resp.Result, resp.Warnings)
		}
	})
	t.Run("deny findings: decoded", func(t *testing.T) {
		resp := validate(t, v, broken(loadReview(t, "deployment-update-introduce.json")))
		if resp.Allowed || resp.Result == nil || !strings.Contains(resp.Result.Message, "old object: decode Deployment") {
			t.Fatalf("want an internal error about the old object, got allowed=%v %+v", resp.Allowed, resp.Result)
		}
	})
	t.Run("Namespace: decoded before judging", func(t *testing.T) {
		// Cluster-scoped: the internal error admits with a warning.
		req := loadReview(t, "namespace-update.json")
		req.OldObject.Raw = []byte(`{"apiVersion":"v1","kind":"Namespace","metadata":{"labels":"x"}}`)
		resp := validate(t, v, req)
		if len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "internal error") || !strings.Contains(resp.Warnings[0], "old object: decode Namespace") {
			t.Fatalf("want the internal error about the old object, got allowed=%v %q", resp.Allowed, resp.Warnings)
		}
	})
}
