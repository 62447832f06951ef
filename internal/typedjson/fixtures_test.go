package typedjson

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/yaml"
)

// fixtureObject is one JSON object with apiVersion and kind found in the
// repository's YAML and JSON files.
type fixtureObject struct {
	where string
	gvk   schema.GroupVersionKind
	json  []byte
}

// fixtureObjects reads every .yaml, .yml and .json file of the module
// (testdata of the rules, admission requests, deploy/, examples/, ...),
// converts YAML documents to JSON as sigs.k8s.io/yaml does, and returns
// every object inside them: documents, List items, and the objects of
// AdmissionReviews (request.object, request.oldObject), with their bytes
// as written.
func fixtureObjects(t testing.TB) []fixtureObject {
	t.Helper()
	root := filepath.Join("..", "..")
	var out []fixtureObject
	files := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		ext := strings.ToLower(filepath.Ext(path))
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		rel, _ := filepath.Rel(root, path)
		for i, doc := range documents(data, ext == ".json") {
			out = appendObjects(out, rel+"#"+itoa(i+1), doc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 300 || len(out) < 400 {
		t.Fatalf("read %d objects from %d files: is the module root ../..?", len(out), files)
	}
	return out
}

// documents splits data into JSON documents; YAML documents that do not
// convert (Helm templates) are left out.
func documents(data []byte, isJSON bool) [][]byte {
	var out [][]byte
	if isJSON {
		dec := json.NewDecoder(bytes.NewReader(data))
		for {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return out
			}
			out = append(out, raw)
		}
	}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) || err != nil {
			return out
		}
		js, err := yaml.YAMLToJSON(doc)
		if err != nil || bytes.Equal(js, []byte("null")) {
			continue
		}
		out = append(out, js)
	}
}

// appendObjects adds js if it names apiVersion and kind, and every object
// nested in it.
func appendObjects(out []fixtureObject, where string, js []byte) []fixtureObject {
	switch t := bytes.TrimSpace(js); {
	case len(t) > 0 && t[0] == '[':
		var items []json.RawMessage
		if json.Unmarshal(js, &items) == nil {
			for i, it := range items {
				out = appendObjects(out, where+"["+itoa(i)+"]", it)
			}
		}
		return out
	case len(t) == 0 || t[0] != '{':
		return out
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(js, &m) != nil {
		return out
	}
	var apiVersion, kind string
	if json.Unmarshal(m["apiVersion"], &apiVersion) == nil && json.Unmarshal(m["kind"], &kind) == nil && kind != "" {
		out = append(out, fixtureObject{where, schema.FromAPIVersionAndKind(apiVersion, kind), js})
	}
	for k, v := range m {
		out = appendObjects(out, where+"."+k, v)
	}
	return out
}

// targets are the kinds every fixture is also decoded into, whatever its
// kind: documents of another kind exercise the type-mismatch paths.
var targets = []func() any{
	newOf[corev1.Pod](), newOf[appsv1.Deployment](), newOf[networkingv1.Ingress](),
	newOf[rbacv1.ClusterRole](), newOf[rbacv1.RoleBinding](), newOf[corev1.Namespace](),
}

// TestFixtures decodes every object of the repository's fixtures into a
// new object of its own kind (scheme.Scheme.New) and into each of the
// targets, both ways, and checks they agree. Most must take the fast path.
func TestFixtures(t *testing.T) {
	counts := map[outcome]int{}
	known := 0
	for _, fo := range fixtureObjects(t) {
		t.Run(fo.where, func(t *testing.T) {
			if scheme.Scheme.Recognizes(fo.gvk) {
				known++
				o := compare(t, fo.json, func() any {
					obj, err := scheme.Scheme.New(fo.gvk)
					if err != nil {
						t.Fatal(err)
					}
					return obj
				})
				counts[o]++
				if o != fast {
					t.Logf("%s (%s): %s", fo.where, fo.gvk.Kind, o)
				}
			}
			for _, newV := range targets {
				compare(t, fo.json, newV)
			}
		})
	}
	t.Logf("%d objects of the scheme's kinds: %v fast, %v fallback, %v failure, %v refused",
		known, counts[fast], counts[fallback], counts[failure], counts[refused])
	if known < 300 || counts[fast] < known*9/10 {
		t.Errorf("want at least 300 objects, 90%% of them on the fast path")
	}
}
