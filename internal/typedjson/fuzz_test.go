package typedjson

import (
	"testing"
)

// FuzzUnmarshal decodes arbitrary input into one of the targets (Pod,
// Deployment, Ingress, ClusterRole, RoleBinding, Namespace) with v2 alone,
// sigs.k8s.io/json alone and Unmarshal, and checks the contract: when v2
// succeeds, sigs.k8s.io/json succeeds with a DeepEqual value; Unmarshal
// always gives sigs.k8s.io/json's value and error. Seeds are the
// repository's fixtures.
func FuzzUnmarshal(f *testing.F) {
	for i, fo := range fixtureObjects(f) {
		f.Add(fo.json, uint8(i))
	}
	for i, s := range []string{
		`{"kind":"Pod","kind":"Pod"}`, `{"metadata":{"name":"\ud800"}}`, "{\"a\":\"\xff\"}",
		`{"spec":{"replicas":1e2}}`, `{"data":{"a":"YW\nJj"}}`, `null`, `{}`, `[]`,
		`{"metadata":{"labels":{"a":null},"finalizers":[]}}`,
	} {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		compare(t, data, targets[int(kind)%len(targets)])
	})
}
