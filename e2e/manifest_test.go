//go:build e2e

package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// clusterScoped are the cluster-scoped kinds the examples and tests use.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true,
	"IngressClass": true, "PriorityClass": true, "CustomResourceDefinition": true,
	"ValidatingWebhookConfiguration": true, "MutatingWebhookConfiguration": true,
}

// readDocs reads the objects of a YAML or JSON file, one per document;
// List kinds are flattened into their items and empty documents
// (comments only) dropped.
func readDocs(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseDocs(data)
}

func parseDocs(data []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for i := 1; ; i++ {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if len(m) == 0 {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if u.IsList() {
			l, err := u.ToList()
			if err != nil {
				return nil, fmt.Errorf("document %d: %w", i, err)
			}
			for j := range l.Items {
				out = append(out, &l.Items[j])
			}
			continue
		}
		out = append(out, u)
	}
}

// toYAML renders objects as one multi-document YAML stream.
func toYAML(objs ...*unstructured.Unstructured) []byte {
	var b bytes.Buffer
	for _, o := range objs {
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			panic(err) // maps of JSON values always marshal
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes()
}

// rewrite moves the examples' objects into the test's own world, so that
// tests running in parallel never touch each other's objects:
//   - namespaced objects go to namespaces[their namespace], or to
//     namespaces[""] when theirs is not in the map (or they have none);
//     so do ServiceAccount subjects of bindings;
//   - cluster-scoped objects get suffix appended to their name, and
//     references to them (roleRef of bindings) follow;
//   - Ingress hosts get hostPrefix in front ("shop.example.com" becomes
//     hostPrefix+"shop.example.com"): ingress conflicts are cluster-wide.
type rewrite struct {
	namespaces map[string]string
	suffix     string
	hostPrefix string
}

func (rw rewrite) ns(orig string) string {
	if n, ok := rw.namespaces[orig]; ok {
		return n
	}
	return rw.namespaces[""]
}

// apply rewrites objs in place (they are the caller's copies).
func (rw rewrite) apply(objs []*unstructured.Unstructured) {
	renamed := map[string]bool{} // "Kind/name" of renamed cluster-scoped objects
	for _, o := range objs {
		if clusterScoped[o.GetKind()] && rw.suffix != "" {
			renamed[o.GetKind()+"/"+o.GetName()] = true
		}
	}
	for _, o := range objs {
		kind := o.GetKind()
		if clusterScoped[kind] {
			if rw.suffix != "" {
				o.SetName(o.GetName() + rw.suffix)
			}
		} else {
			o.SetNamespace(rw.ns(o.GetNamespace()))
		}
		switch kind {
		case "RoleBinding", "ClusterRoleBinding":
			if ref, ok := o.Object["roleRef"].(map[string]any); ok {
				k, _ := ref["kind"].(string)
				n, _ := ref["name"].(string)
				if renamed[k+"/"+n] {
					ref["name"] = n + rw.suffix
				}
			}
			subjects, _ := o.Object["subjects"].([]any)
			for _, s := range subjects {
				sm, ok := s.(map[string]any)
				if !ok || sm["kind"] != "ServiceAccount" {
					continue
				}
				n, _ := sm["namespace"].(string)
				sm["namespace"] = rw.ns(n)
			}
		case "Ingress":
			if rw.hostPrefix == "" {
				continue
			}
			spec, _ := o.Object["spec"].(map[string]any)
			rs, _ := spec["rules"].([]any)
			for _, r := range rs {
				if rm, ok := r.(map[string]any); ok {
					if h, ok := rm["host"].(string); ok && h != "" {
						rm["host"] = rw.hostPrefix + h
					}
				}
			}
			tls, _ := spec["tls"].([]any)
			for _, e := range tls {
				em, ok := e.(map[string]any)
				if !ok {
					continue
				}
				hs, _ := em["hosts"].([]any)
				for i, h := range hs {
					if s, ok := h.(string); ok && s != "" {
						hs[i] = rw.hostPrefix + s
					}
				}
			}
		}
	}
}

// key is "Kind/name" of an object, as the example tables name them
// (before rewriting).
func key(o *unstructured.Unstructured) string { return o.GetKind() + "/" + o.GetName() }

// resourceOf is the kubectl resource name of an object ("deployment.apps").
func resourceOf(o *unstructured.Unstructured) string {
	gv := o.GroupVersionKind()
	r := strings.ToLower(gv.Kind)
	if gv.Group != "" {
		r += "." + gv.Group
	}
	return r
}
