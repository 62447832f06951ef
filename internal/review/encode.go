package review

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"

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
		b = appendString(b, ar.Kind)
	}
	if ar.APIVersion != "" {
		field("apiVersion")
		b = appendString(b, ar.APIVersion)
	}
	field("response")
	b = append(b, `{"uid":`...)
	b = appendString(b, string(r.UID))
	b = append(b, `,"allowed":`...)
	b = strconv.AppendBool(b, r.Allowed)
	if s := r.Result; s != nil {
		b = append(b, `,"status":{`...)
		comma = false
		if s.Kind != "" {
			field("kind")
			b = appendString(b, s.Kind)
		}
		if s.APIVersion != "" {
			field("apiVersion")
			b = appendString(b, s.APIVersion)
		}
		field("metadata")
		b = append(b, '{', '}')
		if s.Status != "" {
			field("status")
			b = appendString(b, s.Status)
		}
		if s.Message != "" {
			field("message")
			b = appendString(b, s.Message)
		}
		if s.Reason != "" {
			field("reason")
			b = appendString(b, string(s.Reason))
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
		b = appendString(b, string(*r.PatchType))
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
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, r.AuditAnnotations[k])
		}
		b = append(b, '}')
	}
	if len(r.Warnings) > 0 {
		b = append(b, `,"warnings":[`...)
		for i, w := range r.Warnings {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, w)
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
		b = appendString(b, v)
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

// appendString appends s as a JSON string as encoding/json writes it:
// printable ASCII as it is but for the escapes it writes for quotes,
// backslashes, newlines, carriage returns, tabs and (for HTML) <, > and &.
// A string with any other byte (other control characters, anything
// outside ASCII: invalid UTF-8, U+2028 and U+2029) is left to
// encoding/json.
func appendString(b []byte, s string) []byte {
	start := len(b)
	b = append(b, '"')
	run := 0 // s[run:i] is still to append as it is
	for i := 0; i < len(s); i++ {
		c := s[i]
		if ' ' <= c && c < 0x80 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
			continue
		}
		b = append(b, s[run:i]...)
		run = i + 1
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '<', '>', '&':
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default: // other control characters, anything outside ASCII
			m, _ := json.Marshal(s) // a string always encodes
			return append(b[:start], m...)
		}
	}
	b = append(b, s[run:]...)
	return append(b, '"')
}

const hexDigits = "0123456789abcdef"
