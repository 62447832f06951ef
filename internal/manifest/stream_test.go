package manifest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type gotDoc struct {
	Index, Line int
	Data        string
	JSON        bool
	Err         string
}

func readAll(t *testing.T, in string, max int) ([]gotDoc, error) {
	t.Helper()
	dr := NewDocumentReader(strings.NewReader(in))
	dr.MaxDocumentSize = max
	var out []gotDoc
	for {
		d, err := dr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		g := gotDoc{Index: d.Index, Line: d.Line, Data: string(d.Data), JSON: d.JSON}
		if d.Err != nil {
			g.Err = d.Err.Error()
		}
		out = append(out, g)
		if len(out) > 1000 {
			t.Fatal("runaway reader")
		}
	}
}

func TestDocumentReaderYAML(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []gotDoc
	}{
		{"empty", "", nil},
		{"only comments and separators", "# hello\n---\n\n---\n   # x\n---\n", nil},
		{"one doc without trailing newline", "a: 1", []gotDoc{{1, 1, "a: 1\n", false, ""}}},
		{"leading separator and comments", "---\n# Source: x\napiVersion: v1\n---\nb: 2\n", []gotDoc{
			{1, 3, "# Source: x\napiVersion: v1\n", false, ""},
			{2, 5, "b: 2\n", false, ""},
		}},
		{"comment-only docs are not numbered", "a: 1\n---\n# nothing\n---\nb: 2\n", []gotDoc{
			{1, 1, "a: 1\n", false, ""},
			{2, 5, "b: 2\n", false, ""},
		}},
		{"separator with comment", "a: 1\n--- # next\nb: 2\n", []gotDoc{
			{1, 1, "a: 1\n", false, ""},
			{2, 3, "b: 2\n", false, ""},
		}},
		{"crlf", "a: 1\r\n---\r\nb: 2\r\n", []gotDoc{
			{1, 1, "a: 1\n", false, ""},
			{2, 3, "b: 2\n", false, ""},
		}},
		{"invalid separator makes a bad doc, later docs still read", "a: 1\n--- b: 2\nc: 3\n---\nd: 4\n", []gotDoc{
			{1, 1, "a: 1\n", false, ""},
			{2, 3, "c: 3\n", false, `invalid YAML document separator on line 2: "--- b: 2"`},
			{3, 5, "d: 4\n", false, ""},
		}},
		{"indented dashes are content", "a: |\n  ---\n  x\n", []gotDoc{{1, 1, "a: |\n  ---\n  x\n", false, ""}}},
		{"yaml flow mapping not at start is YAML", "# c\n{a: 1}\n", []gotDoc{{1, 2, "# c\n{a: 1}\n", false, ""}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := readAll(t, tc.in, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d docs %+v, want %d %+v", len(got), got, len(tc.want), tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("doc %d:\n got %+v\nwant %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

// TestDocumentReaderMatchesYAMLReader: the documents are the ones
// apimachinery's YAMLReader (kubectl) returns, less comment-only ones.
func TestDocumentReaderMatchesYAMLReader(t *testing.T) {
	inputs := []string{
		"a: 1\n---\nb: 2\n",
		"---\na: 1\n---\n---\nb: |\n  x\n  ---y\n",
		"a: 1\n--- #c\n\n\nb: 2",
		"apiVersion: v1\nkind: List\nitems:\n- a: 1\n---\n\n",
		strings.Repeat("k: "+strings.Repeat("v", 100_000)+"\n---\n", 3),
	}
	for _, in := range inputs {
		yr := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(in)))
		var want []string
		for {
			b, err := yr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			// YAMLReader keeps a leading separator line in the document.
			for bytes.HasPrefix(b, []byte("---")) {
				_, b, _ = bytes.Cut(b, []byte("\n"))
			}
			if !onlyBlankOrComments(b) {
				want = append(want, string(b))
			}
		}
		got, err := readAll(t, in, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("%q: got %d docs, YAMLReader %d", in[:min(len(in), 40)], len(got), len(want))
		}
		for i := range got {
			if got[i].Data != want[i] {
				t.Errorf("%q doc %d: got %q, YAMLReader %q", in[:min(len(in), 40)], i+1, got[i].Data, want[i])
			}
		}
	}
}

func onlyBlankOrComments(b []byte) bool {
	for _, l := range bytes.Split(b, []byte("\n")) {
		if !blankOrComment(l) {
			return false
		}
	}
	return true
}

func TestDocumentReaderJSON(t *testing.T) {
	in := "\n  {\"a\": 1}\n{\n  \"b\": 2\n}\n\n{\"c\":\n3}"
	got, err := readAll(t, in, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []gotDoc{
		{1, 2, `{"a": 1}`, true, ""},
		{2, 3, "{\n  \"b\": 2\n}", true, ""},
		{3, 7, "{\"c\":\n3}", true, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("doc %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}

	got, err = readAll(t, "{\"a\":1}\n{\"b\": oops}\n{\"c\":3}", 0)
	var se *StreamError
	if !errors.As(err, &se) || se.Index != 2 || len(got) != 1 {
		t.Fatalf("bad JSON: got %+v, %v; want doc 1 then a StreamError for doc 2", got, err)
	}
	if _, err := readAll(t, `{"a": 1`, 0); err == nil || !strings.Contains(err.Error(), "unexpected end") {
		t.Errorf("truncated JSON: %v", err)
	}
}

func TestDocumentReaderLongLinesAndLimits(t *testing.T) {
	// Far beyond bufio.Scanner's 64 KiB token limit and the reader's buffer.
	long := "k: " + strings.Repeat("x", 3<<20) + "\n"
	got, err := readAll(t, "a: 1\n---\n"+long+"---\nb: 2\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[1].Data != long || got[2].Line != 5 {
		t.Fatalf("long line: %d docs, line of doc 3 = %d", len(got), got[len(got)-1].Line)
	}

	_, err = readAll(t, "a: 1\n---\n"+long, 1<<20)
	var se *StreamError
	if !errors.As(err, &se) || se.Index != 2 || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("too large YAML: %v", err)
	}
	_, err = readAll(t, `{"k": "`+strings.Repeat("x", 3<<20)+`"}`, 1<<20)
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("too large JSON: %v", err)
	}
	_, err = readAll(t, "a: 1\n---\nb: \x00\x01\x02\n", 0)
	if !errors.As(err, &se) || se.Index != 2 || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("binary: %v", err)
	}
	_, err = readAll(t, "{\"a\": \"\x00\"}", 0)
	if err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Errorf("binary JSON: %v", err)
	}
}

type itemSummary struct {
	Doc, ListItem  int
	Kind, NS, Name string
	Err            string
}

func decodeAll(t *testing.T, in string, filter KindFilter) []itemSummary {
	t.Helper()
	dr := NewDocumentReader(strings.NewReader(in))
	var out []itemSummary
	for {
		d, err := dr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		err = DecodeDocument(d, filter, func(it *Item) error {
			s := itemSummary{Doc: it.Doc, ListItem: it.ListItem, Kind: it.Ref.Kind, NS: it.Ref.Namespace, Name: it.Ref.Name}
			if it.Err != nil {
				s.Err = it.Err.Error()
			} else if it.Object == nil {
				t.Errorf("item without object nor error: %+v", it)
			}
			out = append(out, s)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestDecodeDocument(t *testing.T) {
	in := `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a, namespace: ns}
- apiVersion: example.com/v1
  kind: Widget
  metadata: {name: w}
- metadata: {name: nokind}
---
apiVersion: apps/v1
kind: DeploymentList
items:
- metadata: {name: d1, namespace: ns}
  spec: {template: {spec: {containers: [{name: c}]}}}
- apiVersion: apps/v1
  kind: Deployment
  metadata: {name: d2}
---
~
---
just a string
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {containers: {}}
---
kind: Pod
---
a: [1
`
	got := decodeAll(t, in, nil)
	want := []itemSummary{
		{1, 1, "ConfigMap", "ns", "a", ""},
		{1, 2, "Widget", "", "w", "unknown kind example.com/v1, Kind=Widget"},
		{1, 3, "", "", "nokind", "not a Kubernetes object: no apiVersion and kind"},
		{2, 1, "Deployment", "ns", "d1", ""},
		{2, 2, "Deployment", "", "d2", ""},
		{4, 0, "", "", "", "not a Kubernetes object: the document is a scalar, not a mapping"},
		{5, 0, "Pod", "", "p", "Pod: json: cannot unmarshal object into Go struct field PodSpec.spec.containers of type []v1.Container"},
		{6, 0, "Pod", "", "", "Pod without apiVersion"},
		{7, 0, "", "", "", "YAML: line 32: did not find expected ',' or ']'"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d items:\n%+v", len(got), got)
	}
	for i := range got {
		// The wording of json errors is the standard library's: compare
		// the start only.
		if got[i].Doc != want[i].Doc || got[i].ListItem != want[i].ListItem || got[i].Kind != want[i].Kind ||
			got[i].NS != want[i].NS || got[i].Name != want[i].Name || (got[i].Err == "") != (want[i].Err == "") ||
			!strings.HasPrefix(got[i].Err, strings.SplitN(want[i].Err, ":", 2)[0]) {
			t.Errorf("item %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	if got[8].Err != want[8].Err {
		t.Errorf("YAML error with file line: got %q, want %q", got[8].Err, want[8].Err)
	}
}

// TestDecodeDocumentAliasExpansion: a document whose YAML aliases expand
// it far beyond its size is an error of that document, found before it is
// decoded; the documents around it are decoded as usual, and anchors used
// with measure pass.
func TestDecodeDocumentAliasExpansion(t *testing.T) {
	var bomb strings.Builder
	bomb.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &a " + strings.Repeat("x", 64<<10) + "\n")
	for i := range 100 {
		fmt.Fprintf(&bomb, "  k%d: *a\n", i)
	}
	in := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before}\n---\n" + bomb.String() +
		"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\ndata: {a: &v value, b: *v}\n"
	got := decodeAll(t, in, nil)
	if len(got) != 3 || got[0].Name != "before" || got[2].Name != "after" || got[0].Err != "" || got[2].Err != "" {
		t.Fatalf("got %+v", got)
	}
	if got[1].Doc != 2 || !strings.HasPrefix(got[1].Err, "YAML: aliases expand this document from 66.1 KiB to about 6.3 MiB, beyond the limit of 4.0 MiB") {
		t.Errorf("got %+v", got[1])
	}
	// Decode (one document, as the tests' fixtures use it) refuses it too.
	if _, _, err := Decode([]byte(bomb.String())); err == nil || !strings.Contains(err.Error(), "aliases expand") {
		t.Errorf("Decode: %v", err)
	}
}

func TestDecodeDocumentTypedObjects(t *testing.T) {
	dr := NewDocumentReader(strings.NewReader(`{"apiVersion":"apps/v1","kind":"DeploymentList","items":[{"metadata":{"name":"x"}}]}`))
	d, err := dr.Next()
	if err != nil {
		t.Fatal(err)
	}
	var got []any
	_ = DecodeDocument(d, nil, func(it *Item) error { got = append(got, it.Object); return it.Err })
	if len(got) != 1 {
		t.Fatalf("got %d", len(got))
	}
	if dep, ok := got[0].(*appsv1.Deployment); !ok || dep.Name != "x" {
		t.Fatalf("got %#v", got[0])
	}
}

func TestDecodeDocumentFilter(t *testing.T) {
	in := "apiVersion: v1\nkind: LimitRange\nmetadata: {name: lr}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: LimitRange, metadata: {name: lr2}}\n- {apiVersion: v1, kind: Pod, metadata: {name: p2}}\n"
	got := decodeAll(t, in, func(_, kind string) bool { return kind == "LimitRange" })
	if len(got) != 2 || got[0].Name != "lr" || got[1].Name != "lr2" {
		t.Fatalf("got %+v", got)
	}
	_ = corev1.LimitRange{}
}

// TestDocumentReaderJunk feeds random bytes, NUL bytes and huge lines:
// errors are fine, panics and hangs are not.
func TestDocumentReaderJunk(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	inputs := []string{
		"\x00\x00\x00", "{", "}", "[", "---", "--- x", "{\"a\":", "\xff\xfe\x00a", "a: b: c",
		"apiVersion: v1\nkind: List\nitems: 3\n", "apiVersion: v1\nkind: List\nitems: [1, \"x\", null]\n",
		"apiVersion: apps/v1\nkind: DeploymentList\nitems: [[]]\n", "*a", "&a [*a]", "!!binary AAAA",
		strings.Repeat("a", 200_000), strings.Repeat("- ", 50_000), strings.Repeat("[", 10_000),
	}
	for i := 0; i < 200; i++ {
		b := make([]byte, rng.Intn(4096))
		rng.Read(b)
		if i%2 == 0 { // mostly printable, more YAML-ish
			for j := range b {
				const alphabet = "ab:- \n{}[]\"'#&*!|>\t,"
				b[j] = alphabet[int(b[j])%len(alphabet)]
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("panic on %q: %v", in[:min(len(in), 60)], p)
				}
			}()
			dr := NewDocumentReader(strings.NewReader(in))
			for n := 0; n < 10_000; n++ {
				d, err := dr.Next()
				if err != nil {
					return
				}
				_ = DecodeDocument(d, nil, func(*Item) error { return nil })
			}
			t.Fatalf("no end on %q", in[:min(len(in), 60)])
		}()
	}
}

func FuzzDocumentReader(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n---\nb: 1\n"))
	f.Add([]byte(`{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod"}]}`))
	f.Add([]byte("--- x\n\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		dr := NewDocumentReader(bytes.NewReader(data))
		for n := 0; n < len(data)+2; n++ {
			d, err := dr.Next()
			if err != nil {
				return
			}
			_ = DecodeDocument(d, nil, func(*Item) error { return nil })
		}
		t.Fatal("more documents than bytes")
	})
}

func TestListFiles(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		"b.yaml", "a.yml", "c.JSON", "notes.txt", "kustomization.yaml",
		"sub/z.yaml", "sub/a.yaml", ".github/workflows/ci.yaml", "sub/.hidden/x.yaml", ".dotfile.yaml",
	} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ListFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i], _ = filepath.Rel(dir, got[i])
		got[i] = filepath.ToSlash(got[i])
	}
	want := []string{".dotfile.yaml", "a.yml", "b.yaml", "c.JSON", "sub/a.yaml", "sub/z.yaml"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestHeadFromYAMLTree checks the head that fastyaml reads from its tree
// (apiVersion, kind, metadata names) against the head decoded from the
// JSON: each YAML document decodes to the same items, references and
// errors as its JSON form, which always takes the JSON path.
func TestHeadFromYAMLTree(t *testing.T) {
	for _, y := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: ns\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {generateName: job-, namespace: ns}\nspec: {containers: {}}\n",
		"apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: {}}\n",
		"kind: ConfigMap\napiVersion: 'v1'\nmetadata:\n  labels: {a: b}\n  name: \"q\"\n",
		"apiVersion: 1\nkind: ConfigMap\n",
		"apiVersion: v1\nkind: true\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: web\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: 5\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name:\n  namespace: ns\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n",
		"Kind: ConfigMap\napiVersion: v1\nmetadata: {name: a}\n",
		"apiVersion: v1\nmetadata: {name: a}\n",
		"apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n",
		"apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata: {name: d}\n",
	} {
		js, err := yaml.YAMLToJSON([]byte(y))
		if err != nil {
			t.Fatalf("%q: %v", y, err)
		}
		fromYAML := decodeAll(t, y, nil)
		fromJSON := decodeAll(t, string(js), nil)
		if !reflect.DeepEqual(fromYAML, fromJSON) {
			t.Errorf("%q:\n from YAML %+v\n from JSON %+v", y, fromYAML, fromJSON)
		}
	}
}

// TestDecodeDocumentKeepsNoJSON: DecodeDocument converts YAML into pooled
// buffers (jsonBuffers), so nothing it returns may share the JSON's
// memory. After each document the buffer is scribbled over, as the next
// document would overwrite it: the items (objects, references and the
// text of errors, worded only now) stay as they were. The documents are
// the rule fixtures (every judged kind) and documents that fail to decode
// in the ways DecodeDocument reports.
func TestDecodeDocumentKeepsNoJSON(t *testing.T) {
	fixtures, err := filepath.Glob("../rules/testdata/*/*.yaml")
	if err != nil || len(fixtures) < 50 {
		t.Fatalf("rule fixtures: %d, %v", len(fixtures), err)
	}
	var docs []*Document
	read := func(name string, r io.Reader) {
		dr := NewDocumentReader(r)
		for {
			d, err := dr.Next()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			docs = append(docs, d)
		}
	}
	for _, f := range fixtures {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		read(f, bytes.NewReader(b))
	}
	read("errors", strings.NewReader(`apiVersion: apps/v1
kind: Deployment
metadata: {name: bad-replicas, namespace: ns}
spec: {replicas: many}
---
apiVersion: v1
kind: Pod
metadata: {name: p, labels: [a]}
---
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: ns}, data: {k: v}}
- {apiVersion: v1, kind: Pod, metadata: {name: q}, spec: {containers: {}}}
- {apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBindingList
items:
- {metadata: {name: rb}, roleRef: {kind: ClusterRole, name: edit}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i, annotations: {a: 1}}
`))
	dump := func(items []*Item) string {
		var b strings.Builder
		for _, it := range items {
			js, err := json.Marshal(it.Object)
			fmt.Fprintf(&b, "%d/%d %+v %s %v\n", it.Doc, it.ListItem, it.Ref, js, err)
			if it.Err != nil {
				b.WriteString(it.Err.Error() + "\n")
			}
		}
		return b.String()
	}
	checked := 0
	for i, d := range docs {
		var items []*Item
		if err := DecodeDocument(d, nil, func(it *Item) error { items = append(items, it); return nil }); err != nil {
			t.Fatal(err)
		}
		before := dump(items)
		buf := jsonBuffers.Get().(*[]byte)
		b := (*buf)[:cap(*buf)]
		for j := range b {
			b[j] = 'x'
		}
		jsonBuffers.Put(buf)
		if len(b) == 0 {
			continue // the pool handed out another buffer (the race detector drops some)
		}
		checked++
		if after := dump(items); after != before {
			t.Errorf("document %d changed with the JSON's buffer:\n got %s\nwant %s\n%s", i, after, before, d.Data)
		}
	}
	if checked < len(docs)/2 {
		t.Skipf("only %d of %d documents met their buffer again: nothing to check", checked, len(docs))
	}
}
