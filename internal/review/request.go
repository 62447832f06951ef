package review

import (
	admissionv1 "k8s.io/api/admission/v1"
	authnv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// readRequest reads the request member of a review (the object at d[at:])
// into req by hand, the way sigs.k8s.io/json's case-sensitive decoder
// reads it into an AdmissionRequest, for the shape the API server sends:
// member names exactly as in the Go type's JSON tags, each at most once;
// strings without escapes or bytes outside ASCII; dryRun true or false;
// kind, resource, requestKind, requestResource and userInfo objects;
// groups and extra values arrays of strings. Members of other names are
// skipped, as the decoder skips them. object, oldObject and options are
// kept raw (a null leaves them as they are, as RawExtension does).
// Anything else (null where a value is expected, escapes, a repeated
// name, a value of another type) returns false: the caller then leaves
// the review to the decoder, which answers it (or fails) as it always
// does.
func readRequest(d []byte, at int, req *admissionv1.AdmissionRequest) (int, bool) {
	var seen uint32
	return members(d, at, func(key []byte, _, at int) (int, bool) {
		end, ok := skipValue(d, at)
		if !ok {
			return end, false
		}
		v := d[at:end:end]
		n := requestField(key)
		if n < 0 {
			return end, true // the decoder ignores unknown members
		}
		if seen&(1<<n) != 0 {
			return end, false
		}
		seen |= 1 << n
		switch n {
		case fUID:
			s, ok := plain(v)
			req.UID = types.UID(s)
			return end, ok
		case fKind:
			return end, readGVK(v, &req.Kind)
		case fResource:
			return end, readGVR(v, &req.Resource)
		case fSubResource:
			req.SubResource, ok = plain(v)
		case fRequestKind:
			gvk := &metav1.GroupVersionKind{}
			req.RequestKind = gvk
			ok = readGVK(v, gvk)
		case fRequestResource:
			gvr := &metav1.GroupVersionResource{}
			req.RequestResource = gvr
			ok = readGVR(v, gvr)
		case fRequestSubResource:
			req.RequestSubResource, ok = plain(v)
		case fName:
			req.Name, ok = plain(v)
		case fNamespace:
			req.Namespace, ok = plain(v)
		case fOperation:
			var s string
			s, ok = plain(v)
			req.Operation = admissionv1.Operation(s)
		case fUserInfo:
			ok = readUserInfo(v, &req.UserInfo)
		case fDryRun:
			var b bool
			switch string(v) {
			case "true":
				b = true
			case "false":
			default:
				return end, false
			}
			req.DryRun = &b
		case fObject, fOldObject, fOptions:
			if string(v) != "null" { // null leaves a RawExtension as it is
				switch n {
				case fObject:
					req.Object.Raw = v
				case fOldObject:
					req.OldObject.Raw = v
				default:
					req.Options.Raw = v
				}
			}
		}
		return end, ok
	})
}

// The members of an AdmissionRequest.
const (
	fUID = iota
	fKind
	fResource
	fSubResource
	fRequestKind
	fRequestResource
	fRequestSubResource
	fName
	fNamespace
	fOperation
	fUserInfo
	fObject
	fOldObject
	fDryRun
	fOptions
)

// requestField returns the member of AdmissionRequest named key (its JSON
// tag, case-sensitive), -1 for none.
func requestField(key []byte) int {
	switch string(key) {
	case "uid":
		return fUID
	case "kind":
		return fKind
	case "resource":
		return fResource
	case "subResource":
		return fSubResource
	case "requestKind":
		return fRequestKind
	case "requestResource":
		return fRequestResource
	case "requestSubResource":
		return fRequestSubResource
	case "name":
		return fName
	case "namespace":
		return fNamespace
	case "operation":
		return fOperation
	case "userInfo":
		return fUserInfo
	case "object":
		return fObject
	case "oldObject":
		return fOldObject
	case "dryRun":
		return fDryRun
	case "options":
		return fOptions
	}
	return -1
}

// plain returns the string v (a JSON value) holds when it is a string
// without escapes or bytes outside ASCII: what the decoder reads from it
// is then its bytes.
func plain(v []byte) (string, bool) {
	s, ok := plainString(v)
	if !ok {
		return "", false
	}
	return string(s), true
}

// strings3 reads an object of plain strings (already valid JSON) whose
// member names are a, b and c into the strings at those places, each name
// at most once; other names are skipped.
func strings3(v []byte, a, b, c string, pa, pb, pc *string) bool {
	var seen uint8
	end, ok := members(v, 0, func(key []byte, _, at int) (int, bool) {
		end, ok := skipValue(v, at)
		if !ok {
			return end, false
		}
		var p *string
		var bit uint8
		switch string(key) {
		case a:
			p, bit = pa, 1
		case b:
			p, bit = pb, 2
		case c:
			p, bit = pc, 4
		default:
			return end, true
		}
		if seen&bit != 0 {
			return end, false
		}
		seen |= bit
		*p, ok = plain(v[at:end])
		return end, ok
	})
	return ok && end == len(v)
}

func readGVK(v []byte, gvk *metav1.GroupVersionKind) bool {
	return strings3(v, "group", "version", "kind", &gvk.Group, &gvk.Version, &gvk.Kind)
}

func readGVR(v []byte, gvr *metav1.GroupVersionResource) bool {
	return strings3(v, "group", "version", "resource", &gvr.Group, &gvr.Version, &gvr.Resource)
}

// readUserInfo reads userInfo: username and uid plain strings, groups an
// array of them, extra an object of such arrays (a repeated key of extra
// replaces the value before, as the decoder's map assignment does).
func readUserInfo(v []byte, u *authnv1.UserInfo) bool {
	var seen uint8
	end, ok := members(v, 0, func(key []byte, _, at int) (int, bool) {
		end, ok := skipValue(v, at)
		if !ok {
			return end, false
		}
		var bit uint8
		switch string(key) {
		case "username":
			bit = 1
		case "uid":
			bit = 2
		case "groups":
			bit = 4
		case "extra":
			bit = 8
		default:
			return end, true
		}
		if seen&bit != 0 {
			return end, false
		}
		seen |= bit
		val := v[at:end]
		switch bit {
		case 1:
			u.Username, ok = plain(val)
		case 2:
			u.UID, ok = plain(val)
		case 4:
			u.Groups, ok = stringArray(val)
		case 8:
			u.Extra, ok = readExtra(val)
		}
		return end, ok
	})
	return ok && end == len(v)
}

// stringArray reads an array of plain strings; [] is an empty slice, not
// nil, as the decoder makes it.
func stringArray(v []byte) ([]string, bool) {
	if len(v) == 0 || v[0] != '[' {
		return nil, false
	}
	out := []string{}
	i := skipSpace(v, 1)
	if i < len(v) && v[i] == ']' {
		return out, i+1 == len(v)
	}
	for {
		end, ok := skipValue(v, i)
		if !ok {
			return nil, false
		}
		s, ok := plain(v[i:end])
		if !ok {
			return nil, false
		}
		out = append(out, s)
		var more bool
		if i, more, ok = next(v, end, ']'); !ok {
			return nil, false
		}
		if !more {
			return out, i == len(v)
		}
	}
}

// readExtra reads userInfo.extra: an object (made even when empty, as the
// decoder makes a map) of plain-string names and string arrays.
func readExtra(v []byte) (map[string]authnv1.ExtraValue, bool) {
	out := map[string]authnv1.ExtraValue{}
	end, ok := members(v, 0, func(key []byte, _, at int) (int, bool) {
		end, ok := skipValue(v, at)
		if !ok {
			return end, false
		}
		for _, c := range key {
			if c >= 0x80 {
				return end, false // the decoder would replace invalid UTF-8
			}
		}
		vals, ok := stringArray(v[at:end])
		out[string(key)] = vals
		return end, ok
	})
	if !ok || end != len(v) {
		return nil, false
	}
	return out, true
}
