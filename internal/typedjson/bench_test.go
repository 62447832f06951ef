package typedjson

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/scheme"
)

// BenchmarkUnmarshal decodes the objects of the admission server's test
// requests into new objects of their kinds, sigs.k8s.io/json (legacy),
// v2's reflection alone (v2: the fast path of the kinds without a
// generated decoder) and Unmarshal (typedjson: the generated decoders)
// side by side. Besides ns/op (wall time) it
// reports cpu-ns/op, the process's CPU time per decode, steadier on a
// shared machine.
func BenchmarkUnmarshal(b *testing.B) {
	for _, tc := range []struct{ name, file string }{
		{"Pod", "pod-coredns-create.json"},
		{"Deployment", "deployment-create.json"},
		{"Ingress", "ingress-create.json"},
		{"ClusterRoleBinding", "clusterrolebinding-create.json"},
	} {
		obj, gvk := requestObject(b, tc.file)
		for _, path := range []struct {
			name string
			fn   func([]byte, any) error
		}{{"legacy", Legacy}, {"v2", v2Only}, {"typedjson", Unmarshal}} {
			b.Run(tc.name+"/"+path.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(obj)))
				start, n := cpuTime(), 0
				for b.Loop() {
					into, _ := scheme.Scheme.New(gvk)
					if err := path.fn(obj, into); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(cpuTime()-start)/float64(n), "cpu-ns/op")
			})
		}
	}
}

// requestObject returns request.object of an AdmissionReview of
// internal/admission/testdata, and its kind.
func requestObject(b *testing.B, file string) ([]byte, schema.GroupVersionKind) {
	data, err := os.ReadFile(filepath.Join("..", "admission", "testdata", file))
	if err != nil {
		b.Fatal(err)
	}
	var r struct {
		Request struct {
			Object json.RawMessage `json:"object"`
		} `json:"request"`
	}
	var tm runtime.TypeMeta
	if err := json.Unmarshal(data, &r); err != nil || json.Unmarshal(r.Request.Object, &tm) != nil {
		b.Fatalf("%s: no request.object", file)
	}
	gvk := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
	if !scheme.Scheme.Recognizes(gvk) {
		b.Fatalf("%s: %s not in the scheme", file, gvk)
	}
	return r.Request.Object, gvk
}

// v2Only is v2's Unmarshal alone, as fastOK calls it for the kinds
// without a generated decoder.
func v2Only(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v)
}
