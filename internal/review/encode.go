package review

import (
	"encoding/base64"
	"slices"
	"strconv"

	"github.com/guardrails-dev/guardrails/internal/jsonstring"
	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// appendReview appends ar as encoding/json's Encoder writes it (HTML
// escaping on, a newline after it) without reflection, for what a handler
// answers: a response with uid, allowed, a status (with details, without
// list metadata), a patch and its type, audit annotations and warnings.
// It returns false, having appended nothing, for anything else (a request,
// list metadata): write then encodes ar with encoding/json.
func appendReview(b []byte, ar *admissionv1.AdmissionReview) ([]byte, bool) {
	r := ar.Response
	if ar.Request != nil || r == nil {
		return b, false
	}
	if s := r.Result; s != nil && s.ListMeta != (metav1.ListMeta{}) {
		return b, false
	}
	b = append(b, '{')
	comma := false
	field := func(name string) {
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
	}
	if ar.Kind != "" {
		field("kind")
		b = jsonstring.Append(b, ar.Kind)
	}
	if ar.APIVersion != "" {
		field("apiVersion")
		b = jsonstring.Append(b, ar.APIVersion)
	}
	field("response")
	b = append(b, `{"uid":`...)
	b = jsonstring.Append(b, string(r.UID))
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, r.Allowed)
	if s := r.Result; s != nil {
		b = append(b, `,"status":{`...)
		comma = false
		if s.Kind != "" {
			field("kind")
			b = jsonstring.Append(b, s.Kind)
		}
		if s.APIVersion != "" {
			field("apiVersion")
			b = jsonstring.Append(b, s.APIVersion)
		}
		field("metadata")
		b = append(b, '{', '}')
		if s.Status != "" {
			field("status")
			b = jsonstring.Append(b, s.Status)
		}
		if s.Message != "" {
			field("message")
			b = jsonstring.Append(b, s.Message)
		}
		if s.Reason != "" {
			field("reason")
			b = jsonstring.Append(b, string(s.Reason))
		}
		if d := s.Details; d != nil {
			field("details")
			b = appendDetails(b, d)
		}
		if s.Code != 0 {
			field("code")
			b = strconv.AppendInt(b, int64(s.Code), 10)
		}
		b = append(b, '}')
	}
	if len(r.Patch) > 0 {
		b = append(b, `,"patch":"`...)
		b = base64.StdEncoding.AppendEncode(b, r.Patch)
		b = append(b, '"')
	}
	if r.PatchType != nil {
		b = append(b, `,"patchType":`...)
		b = jsonstring.Append(b, string(*r.PatchType))
	}
	if len(r.AuditAnnotations) > 0 {
		b = append(b, `,"auditAnnotations":{`...)
		keys := make([]string, 0, len(r.AuditAnnotations))
		for k := range r.AuditAnnotations {
			keys = append(keys, k)
		}
		slices.Sort(keys) // encoding/json sorts map keys
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstring.Append(b, k)
			b = append(b, ':')
			b = jsonstring.Append(b, r.AuditAnnotations[k])
		}
		b = append(b, '}')
	}
	if len(r.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range r.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonstring.Append(b, w)
		}
		b = append(b, ']')
	}
	return append(b, '}', '}', '\n'), true
}

// appendDetails appends status details as encoding/json writes them.
func appendDetails(b []byte, d *metav1.StatusDetails) []byte {
	b = append(b, '{')
	comma := false
	str := func(name, v string) {
		if v == "" {
			return
		}
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = jsonstring.Append(b, v)
	}
	str("name", d.Name)
	str("group", d.Group)
	str("kind", d.Kind)
	str("uid", string(d.UID))
	if len(d.Causes) > 0 {
		if comma {
			b = append(b, ',')
		}
		comma = true
		b = append(b, `"causes":[`...)
		for i, c := range d.Causes {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			comma = false
			str("reason", string(c.Type))
			str("message", c.Message)
			str("field", c.Field)
			b = append(b, '}')
		}
		b = append(b, ']')
		comma = true
	}
	if d.RetryAfterSeconds != 0 {
		if comma {
			b = append(b, ',')
		}
		b = append(b, `"retryAfterSeconds":`...)
		b = strconv.AppendInt(b, int64(d.RetryAfterSeconds), 10)
	}
	return append(b, '}')
}
