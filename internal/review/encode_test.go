package review

import (
	"bytes"
	"encoding/json"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"
)

// encodeJSON is what controller-runtime writes: encoding/json's Encoder.
func encodeJSON(t testing.TB, ar *admissionv1.AdmissionReview) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(ar); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAppendReview: appendReview writes byte for byte what encoding/json
// writes for the answers handlers give, and declines the shapes it does
// not write.
func TestAppendReview(t *testing.T) {
	jp := admissionv1.PatchTypeJSONPatch
	denied := admission.Denied(`ClusterRole "x" would <give> & "take" \ everything` + "\n\t\r\x01 caf\u00e9 \u2028 \xff")
	denied.Warnings = []string{"[guardrails] one", "two \"quoted\""}
	patched := admission.Allowed("")
	patched.Patch, patched.PatchType = []byte(`[{"op":"add","path":"/spec/priorityClassName","value":"system-cluster-critical"}]`), &jp
	patched.AuditAnnotations = map[string]string{"z": "last", "a": "first <", "m\u00e9": "mid"}
	errored := admission.Errored(400, bytesErr("bad"))
	for name, tc := range map[string]struct {
		ar   admissionv1.AdmissionReview
		fast bool
	}{
		"allowed":       {admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: &admissionv1.AdmissionResponse{UID: "u", Allowed: true, Result: &metav1.Status{Code: 200}}}, true},
		"denied":        {admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1beta1", Kind: "AdmissionReview"}, Response: &denied.AdmissionResponse}, true},
		"patched":       {admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: &patched.AdmissionResponse}, true},
		"errored":       {admissionv1.AdmissionReview{Response: &errored.AdmissionResponse}, true},
		"status kinds":  {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}, Status: "Failure", Reason: "Forbidden", Code: -3}}}, true},
		"empty patch":   {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Patch: []byte{}, Warnings: []string{}, AuditAnnotations: map[string]string{}}}, true},
		"details":       {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{Details: &metav1.StatusDetails{Name: "x"}}}}, true},
		"empty details": {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{}}}}}, true},
		"all details": {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{Code: 403, Details: &metav1.StatusDetails{Name: "n", Group: "apps", Kind: "Deployment", UID: "u", RetryAfterSeconds: -2,
			Causes: []metav1.StatusCause{{Type: "r", Message: "m <", Field: "spec.x"}, {}, {Field: "f"}, {Message: "only"}}}}}}, true},
		"only retry":    {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{Details: &metav1.StatusDetails{RetryAfterSeconds: 5}}}}, true},
		"causes, retry": {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{Details: &metav1.StatusDetails{RetryAfterSeconds: 5, Causes: []metav1.StatusCause{{Type: "t"}}}}}}, true},
		"list metadata": {admissionv1.AdmissionReview{Response: &admissionv1.AdmissionResponse{Result: &metav1.Status{ListMeta: metav1.ListMeta{ResourceVersion: "1"}}}}, false},
		"request":       {admissionv1.AdmissionReview{Request: &admissionv1.AdmissionRequest{}, Response: &admissionv1.AdmissionResponse{}}, false},
		"no response":   {admissionv1.AdmissionReview{}, false},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := appendReview([]byte("x"), &tc.ar)
			if ok != tc.fast {
				t.Fatalf("appendReview %v, want %v", ok, tc.fast)
			}
			if !ok {
				if string(got) != "x" {
					t.Errorf("declined but appended %q", got)
				}
				return
			}
			if want := encodeJSON(t, &tc.ar); !bytes.Equal(got[1:], want) {
				t.Errorf("appendReview\n %s\nencoding/json\n %s", got[1:], want)
			}
		})
	}
}

type bytesErr string

func (e bytesErr) Error() string { return string(e) }

// FuzzAppendReview holds appendReview to encoding/json over arbitrary
// strings, patches and codes.
func FuzzAppendReview(f *testing.F) {
	f.Add("u", true, "msg \"q\" <&>", "Forbidden", int32(403), []byte(`[]`), "w1", "k", "v\u2028\xff")
	f.Add("", false, "", "", int32(0), []byte(nil), "", "", "")
	f.Fuzz(func(t *testing.T, uid string, allowed bool, msg, reason string, code int32, patch []byte, warning, key, value string) {
		details := &metav1.StatusDetails{Name: key, Kind: value, RetryAfterSeconds: code / 3, Causes: []metav1.StatusCause{{Type: metav1.CauseType(reason), Field: value}, {Message: msg}}}
		if code%2 == 0 {
			details = nil
		}
		jp := admissionv1.PatchTypeJSONPatch
		r := &admissionv1.AdmissionResponse{UID: types.UID(uid), Allowed: allowed, Patch: patch, Warnings: []string{warning, msg}}
		if code != 0 || msg != "" || reason != "" {
			r.Result = &metav1.Status{Message: msg, Reason: metav1.StatusReason(reason), Code: code, Details: details}
		}
		if len(patch) > 0 {
			r.PatchType = &jp
		}
		if key != "" {
			r.AuditAnnotations = map[string]string{key: value, key + "2": msg}
		}
		ar := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: reason, Kind: warning}, Response: r}
		got, ok := appendReview(nil, &ar)
		if !ok {
			t.Fatal("declined")
		}
		if want := encodeJSON(t, &ar); !bytes.Equal(got, want) {
			t.Fatalf("appendReview\n %s\nencoding/json\n %s", got, want)
		}
	})
}

// BenchmarkAppendReview writes a denial as Guardrails gives one (a
// message with quotes, a cause, warnings) with appendReview and with
// encoding/json.
//
//	go test ./internal/review -run '^$' -bench AppendReview -benchmem
func BenchmarkAppendReview(b *testing.B) {
	resp := admission.Denied(`[resources-requests] spec.template.spec.containers[0].resources.requests: container "app" has no cpu request (set resources.requests.cpu)`)
	resp.Result.Details = &metav1.StatusDetails{Name: "web", Group: "apps", Kind: "Deployment",
		Causes: []metav1.StatusCause{{Type: "resources-requests", Field: "spec.template.spec.containers[0].resources.requests", Message: `container "app" has no cpu request`}}}
	resp.Warnings = []string{"[guardrails] [image-tag] spec.template.spec.containers[0].image: the image has no digest", "[guardrails] second warning"}
	resp.UID = "00000000-0000-4000-8000-000000000001"
	ar := admissionv1.AdmissionReview{TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"}, Response: &resp.AdmissionResponse}
	b.Run("appendReview", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendReview(buf[:0], &ar)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		var buf bytes.Buffer
		for b.Loop() {
			buf.Reset()
			if err := json.NewEncoder(&buf).Encode(&ar); err != nil {
				b.Fatal(err)
			}
		}
	})
}
