// Package review reads the AdmissionReview that the API server POSTs to a
// webhook in one pass, and serves a controller-runtime admission.Webhook
// with it (Handler).
//
// controller-runtime's Webhook.ServeHTTP decodes a review with the runtime
// scheme's universal deserializer: it first parses the whole body with
// encoding/json to find apiVersion and kind (json.SimpleMetaFactory), then
// parses it again with sigs.k8s.io/json into the AdmissionReview. Decode
// does the second parse only, the same way (case-sensitive field names,
// integers kept), and reads apiVersion and kind from the decoded review, as
// the API server writes them. It accepts what the API server sends:
// admission.k8s.io/v1 and v1beta1 AdmissionReviews in JSON. Anything else
// (another or no apiVersion or kind, YAML, protobuf, a decode error) is
// left to controller-runtime, whose answer (and error message) it keeps.
package review

import (
	"bytes"
	"errors"
	"fmt"

	admissionv1 "k8s.io/api/admission/v1"
	admissionv1beta1 "k8s.io/api/admission/v1beta1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "sigs.k8s.io/json"
)

// Kinds of the reviews Decode reads: v1 and v1beta1, whose AdmissionRequest
// and AdmissionResponse are the same type.
var (
	V1      = admissionv1.SchemeGroupVersion.WithKind("AdmissionReview")
	V1beta1 = admissionv1beta1.SchemeGroupVersion.WithKind("AdmissionReview")
)

const (
	v1APIVersion      = "admission.k8s.io/v1"
	v1beta1APIVersion = "admission.k8s.io/v1beta1"
)

// ErrNotAReview is returned for a body that decodes but is not an
// AdmissionReview of a version Decode reads.
var ErrNotAReview = errors.New("not an admission.k8s.io/v1 or v1beta1 AdmissionReview")

// Decode reads body, an AdmissionReview in JSON, into req (which should
// be zero) and returns the review's apiVersion and kind (V1 or V1beta1),
// exactly as sigs.k8s.io/json's case-sensitive Unmarshal into an
// AdmissionReview whose Request points to req would. A review without
// request leaves req as it is, and so does one whose request the decoder
// would not write into req (a "request": null before the request), as
// controller-runtime, which decodes into its Request the same way. The
// object, old object and options stay raw JSON (runtime.RawExtension),
// slices of body (controller-runtime copies them). An error (not JSON, a
// field of the wrong type, another apiVersion or kind) wraps
// ErrNotAReview or is the JSON decoder's.
//
// The review the API server sends (one apiVersion, kind and request,
// plain field names, object, oldObject and options once each) is read in
// one pass: the raw objects are only validated and skipped (skipValue),
// the request's other members are read by hand (readRequest, for the
// shape the API server sends: plain strings, each member once). Any other
// shape is decoded by sigs.k8s.io/json alone (decodeReview).
func Decode(body []byte, req *admissionv1.AdmissionRequest) (schema.GroupVersionKind, error) {
	orig := *req
	if gvk, ok := decodeFast(body, req); ok {
		return gvk, nil
	}
	*req = orig
	return decodeReview(body, req)
}

// decodeReview decodes body with sigs.k8s.io/json, as controller-runtime
// does once it knows the kind.
//
// It decodes into a copy of *req, which it then copies back: the decoder
// would make req itself escape to the heap in every caller, though this
// way is taken only by reviews of another shape.
func decodeReview(body []byte, req *admissionv1.AdmissionRequest) (schema.GroupVersionKind, error) {
	r := *req
	ar := admissionv1.AdmissionReview{Request: &r}
	err := kjson.UnmarshalCaseSensitivePreserveInts(body, &ar)
	*req = r
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	gvk := ar.GroupVersionKind()
	if gvk != V1 && gvk != V1beta1 {
		return gvk, fmt.Errorf("%w: apiVersion %q, kind %q", ErrNotAReview, ar.APIVersion, ar.Kind)
	}
	return gvk, nil
}

// decodeFast reads the review the API server sends; false: body has
// another shape (or is not valid JSON), which decodeReview reads.
func decodeFast(d []byte, req *admissionv1.AdmissionRequest) (schema.GroupVersionKind, bool) {
	if req.RequestKind != nil || req.RequestResource != nil || req.DryRun != nil || req.UserInfo.Extra != nil {
		// The decoder writes into what these point to (readRequest
		// makes new ones): leave such a request to it.
		return schema.GroupVersionKind{}, false
	}
	var apiVersion, kind []byte
	request := false
	i := skipSpace(d, 0)
	end, ok := members(d, i, func(key []byte, keyAt, at int) (int, bool) {
		switch string(key) {
		case "apiVersion", "kind":
			end, ok := skipValue(d, at)
			s, plain := plainString(d[at:end])
			if !ok || !plain {
				return end, false
			}
			if key[0] == 'a' {
				if apiVersion != nil {
					return end, false
				}
				apiVersion = s
			} else {
				if kind != nil {
					return end, false
				}
				kind = s
			}
			return end, true
		case "request":
			if request {
				return at, false
			}
			request = true
			return readRequest(d, at, req)
		case "response":
			return at, false
		default:
			return skipValue(d, at)
		}
	})
	if !ok || skipSpace(d, end) != len(d) {
		return schema.GroupVersionKind{}, false
	}
	var gvk schema.GroupVersionKind
	switch {
	case string(kind) != V1.Kind:
		return gvk, false
	case string(apiVersion) == v1APIVersion:
		gvk = V1
	case string(apiVersion) == v1beta1APIVersion:
		gvk = V1beta1
	default:
		return gvk, false
	}
	return gvk, true
}

// members calls value for each member of the object at d[i] whose key has
// no escapes (false for one that has: decodeReview reads it), with the
// index of the key's opening quote and of the member's value (no leading
// space); value returns the end of the value. members returns the end of the object, and false when
// d[i:] is not an object or value returned false.
func members(d []byte, i int, value func(key []byte, keyAt, at int) (int, bool)) (int, bool) {
	if i >= len(d) || d[i] != '{' {
		return i, false
	}
	i = skipSpace(d, i+1)
	if i < len(d) && d[i] == '}' {
		return i + 1, true
	}
	for {
		if i >= len(d) || d[i] != '"' {
			return i, false
		}
		keyAt := i
		end, ok := skipString(d, i)
		if !ok {
			return end, false
		}
		key := d[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			return end, false
		}
		i = skipSpace(d, end)
		if i >= len(d) || d[i] != ':' {
			return i, false
		}
		if i, ok = value(key, keyAt, skipSpace(d, i+1)); !ok {
			return i, false
		}
		var more bool
		if i, more, ok = next(d, i, '}'); !ok || !more {
			return i, ok
		}
	}
}

// plainString returns the content of the JSON string s when it is plain
// ASCII without escapes (what sigs.k8s.io/json would decode it to).
func plainString(s []byte) ([]byte, bool) {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return nil, false
	}
	s = s[1 : len(s)-1]
	for _, c := range s {
		if c == '\\' || c >= 0x80 {
			return nil, false
		}
	}
	return s, true
}
