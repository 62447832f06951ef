package fastyaml

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// documents splits a YAML stream at "---" lines, as kubectl does.
func documents(data []byte) [][]byte {
	var docs [][]byte
	var cur []byte
	for _, l := range bytes.SplitAfter(data, []byte("\n")) {
		if bytes.HasPrefix(l, []byte("---")) {
			docs = append(docs, cur)
			cur = nil
			continue
		}
		cur = append(cur, l...)
	}
	return append(docs, cur)
}

// agree checks the package's one promise on y: when ToJSON takes a
// document, sigs.k8s.io/yaml takes it too and gives the same bytes.
func agree(t *testing.T, name string, y []byte) (taken bool) {
	t.Helper()
	got, ok := ToJSON(y)
	if !ok {
		return false
	}
	want, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Errorf("%s: fast path took a document sigs.k8s.io/yaml refuses (%v):\n%s\nfast: %s", name, err, y, got)
		return true
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: differs from sigs.k8s.io/yaml:\n%s\nfast: %s\nwant: %s", name, y, got, want)
	}
	agreeHead(t, name, y, want)
	return true
}

// agreeHead checks AppendJSONHead on y, which ToJSON takes: the same JSON,
// and a head that is what decoding that JSON (case-sensitively, as
// sigs.k8s.io/json does) gives, or headOK false where that decoding fails
// or AppendJSONHead cannot tell.
func agreeHead(t *testing.T, name string, y, want []byte) {
	t.Helper()
	js, head, headOK, ok := AppendJSONHead(nil, y)
	if !ok || !bytes.Equal(js, want) {
		t.Errorf("%s: AppendJSONHead gave ok %v and\n%s\nwant\n%s", name, ok, js, want)
		return
	}
	// Appended to what dst holds, in dst's memory when it has room.
	if js2, _, _, _ := AppendJSONHead([]byte("prefix"), y); string(js2) != "prefix"+string(want) {
		t.Errorf("%s: appended to \"prefix\", AppendJSONHead gave\n%s", name, js2)
	}
	roomy := make([]byte, 0, max(jsonRoom(len(y)), len(want)))
	if js3, _, _, _ := AppendJSONHead(roomy, y); &js3[0] != &roomy[:1][0] {
		t.Errorf("%s: AppendJSONHead did not use the room of dst", name)
	}
	var tm struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name         string `json:"name"`
			Namespace    string `json:"namespace"`
			GenerateName string `json:"generateName"`
		} `json:"metadata"`
	}
	if err := kjson.UnmarshalCaseSensitivePreserveInts(js, &tm); err != nil {
		if headOK {
			t.Errorf("%s: head %+v read, but decoding the JSON fails: %v\n%s", name, head, err, y)
		}
		return
	}
	// TypeKeysExact: no top-level key folds to a type key but the type
	// keys themselves, as encoding/json folds names.
	var top map[string]json.RawMessage
	exact := true
	if json.Unmarshal(js, &top) == nil {
		for k := range top {
			if k != "apiVersion" && k != "kind" && (bytes.EqualFold([]byte(k), []byte("apiVersion")) || bytes.EqualFold([]byte(k), []byte("kind"))) {
				exact = false
			}
		}
	}
	wantHead := Head{APIVersion: tm.APIVersion, Kind: tm.Kind, Name: tm.Metadata.Name, Namespace: tm.Metadata.Namespace, GenerateName: tm.Metadata.GenerateName, TypeKeysExact: exact}
	if headOK && head != wantHead {
		t.Errorf("%s: head %+v, decoding the JSON gives %+v\n%s", name, head, wantHead, y)
	}
	// What the flag promises: encoding/json, matching names without case,
	// finds the type the head holds.
	var folded struct{ APIVersion, Kind string }
	if headOK && head.TypeKeysExact && json.Unmarshal(js, &folded) == nil && (folded.APIVersion != head.APIVersion || folded.Kind != head.Kind) {
		t.Errorf("%s: type keys exact, but encoding/json finds %+v, the head %+v\n%s", name, folded, head, y)
	}
}

// TestSemantics: YAML 1.1 readings kubectl applies, and what is declined.
func TestSemantics(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // "" means declined
	}{
		{"yaml 1.1 booleans", "a: on\nb: off\nc: yes\nd: no\ne: y\nf: n\ng: True\nh: OFF\ni: oN\n", `{"a":true,"b":false,"c":true,"d":false,"e":true,"f":false,"g":true,"h":false,"i":"oN"}`},
		{"nulls", "a: ~\nb: null\nc:\nd: NULL\ne: nil\n", `{"a":null,"b":null,"c":null,"d":null,"e":"nil"}`},
		{"octal hex binary underscores", "a: 0777\nb: 0x1F\nc: 0b101\nd: 1_000\ne: -0b11\nf: 08\ng: 0o17\n", `{"a":511,"b":31,"c":5,"d":1000,"e":-3,"f":8,"g":15}`},
		{"big ints and floats", "a: 18446744073709551615\nb: 18446744073709551616\nc: 1.0\nd: 1e3\ne: .5\nf: -1.5e-7\ng: 1e400\nh: 9223372036854775807\n",
			`{"a":18446744073709551615,"b":18446744073709552000,"c":1,"d":1000,"e":0.5,"f":-1.5e-7,"g":"1e400","h":9223372036854775807}`},
		{"timestamps stay strings", "a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\n", `{"a":"2001-12-14","b":"2001-12-14t21:59:43.10-05:00"}`},
		{"quoted stay strings", "a: \"on\"\nb: '0777'\nc: \"a\\\"b\\\\c\\n\"\nd: 'it''s'\n", `{"a":"on","b":"0777","c":"a\"b\\c\n","d":"it's"}`},
		{"html escaped as encoding/json", "a: x<b>&c</b>\n", `{"a":"x\u003cb\u003e\u0026c\u003c/b\u003e"}`},
		{"keys sorted", "b: 1\na: 2\nB: 3\n", `{"B":3,"a":2,"b":1}`},
		{"flow", "a: {x: [1, \"2\", {k: z}], w: []}\nb: {}\nc: [a, y]\n", `{"a":{"w":[],"x":[1,"2",{"k":"z"}]},"b":{},"c":["a",true]}`},
		{"comments", "# c\na: b # c\nc: # c\n  d: e\nf: '#x' #y\ng: a#b\n", `{"a":"b","c":{"d":"e"},"f":"#x","g":"a#b"}`},
		{"compact sequences", "a:\n- x\n- name: q\n  v: 1\n-\n  z: 2\n-\nb: c\n", `{"a":["x",{"name":"q","v":1},{"z":2},null],"b":"c"}`},
		{"colons in plain scalars", "image: nginx:1.2\nurl: http://x/y\n", `{"image":"nginx:1.2","url":"http://x/y"}`},
		{"inf and nan declined", "a: .inf\n", ""},
		{"nan declined", "a: .NaN\n", ""},
		{"duplicate keys declined", "a: 1\na: 2\n", ""},
		{"escaped keys", "\"a\\\"b\": 1\n'c''d': {'e''f': \"g\\th\"}\n", `{"a\"b":1,"c'd":{"e'f":"g\th"}}`},
		{"duplicate escaped keys declined", "\"a\\nb\": 1\n\"a\\nb\": 2\n", ""},
		{"duplicate escaped flow keys declined", "x: {'a''b': 1, 'a''b': 2}\n", ""},
		{"merge keys declined", "a: &x {b: 1}\nc:\n  <<: *x\n", ""},
		{"anchors declined", "a: &x 1\nb: *x\n", ""},
		{"tags declined", "a: !!str 1\n", ""},
		{"literal block scalar", "a: |\n  x\n   y # not a comment\n\n  z\nb: c\n", `{"a":"x\n y # not a comment\n\nz\n","b":"c"}`},
		{"literal, strip", "a: |-\n  x\n\n# a comment\nb: c\n", `{"a":"x","b":"c"}`},
		{"literal, keep", "a: |+\n  x\n\n\nb: c\n", `{"a":"x\n\n\n","b":"c"}`},
		{"literal, clip, trailing blank lines", "a: |\n  x\n\n  \n", `{"a":"x\n"}`},
		{"literal, leading blank lines kept", "a: |\n\n  \n   x\n", `{"a":"\n\nx\n"}`},
		{"literal, no final line break", "a: |\n  x", `{"a":"x"}`},
		{"literal, header comment", "a: |- # c\n    x: y\n    - z\n", `{"a":"x: y\n- z"}`},
		{"literal in a nested mapping", "a:\n  b: |\n    x\n  c: d\n", `{"a":{"b":"x\n","c":"d"}}`},
		{"literal under a sequence item's key", "a:\n- b: |-\n    x\n  c: d\n", `{"a":[{"b":"x","c":"d"}]}`},
		{"literal: the quotes and escapes are text", "a: |\n  \"q\" 'r' \\n <&>\n", `{"a":"\"q\" 'r' \\n \u003c\u0026\u003e\n"}`},
		{"literal with an indentation indicator declined", "a: |2\n   x\n", ""},
		{"folded block scalars declined", "a: >\n  x\n", ""},
		{"literal as a sequence item declined", "a:\n- |\n  x\n", ""},
		{"empty literal declined", "a: |\nb: c\n", ""},
		{"literal after a more indented blank line declined", "a: |\n    \n  x\n", ""},
		{"literal with a blank line holding spaces declined", "a: |\n  x\n     \n  y\n", ""},
		{"literal with a line between key and content indentation declined", "a:\n  b: |\n      x\n    y\n", ""},
		{"literal with a glued comment declined", "a: |#c\n  x\n", ""},
		{"multi-line plain scalar", "a: x  \n  y\n\n   z\n\n\n  w \nb: 1\n", `{"a":"x y\nz\n\nw","b":1}`},
		{"multi-line plain, resolved as a whole", "a: 1\n  2\nb: tr\n ue\nc: -x\n  y\n", `{"a":"1 2","b":"tr ue","c":"-x y"}`},
		{"multi-line plain sequence item", "a:\n- x\n  y\n- b: c\n   d\n  e: f\n", `{"a":["x y",{"b":"c d","e":"f"}]}`},
		{"multi-line plain, blank lines after it", "a: x\n  y\n\n\nb: c\n", `{"a":"x y","b":"c"}`},
		{"plain scalar on the lines after its key", "a:\n    x\n  y\nb:\n  -z\nc:\n  1\n", `{"a":"x y","b":"-z","c":1}`},
		{"multi-line plain after a comment declined", "a: x # c\n  y\n", ""},
		{"multi-line plain with a comment line declined", "a: x\n  # c\n  y\n", ""},
		{"multi-line plain with a key in it declined", "a: x\n  y: z\n", ""},
		{"multi-line plain with an indicator line declined", "a: x\n  - y\n", ""},
		{"single-quoted over lines", "a: 'x  \n   # y\n\n  it''s '  # c\nb: c\n", `{"a":"x # y\nit's ","b":"c"}`},
		{"double-quoted over lines", "a:\n  b: \"x\n    y\n\n\n    z\"\n  c: \"\n    w\"\n", `{"a":{"b":"x y\n\nz","c":" w"}}`},
		{"quoted over lines, under a sequence item's key", "a:\n- b: 'x\n    y'\n  c: d\n", `{"a":[{"b":"x y","c":"d"}]}`},
		{"double-quoted over lines with an escape declined", "a: \"x\\n\n  y\"\n", ""},
		{"quoted over lines, a line not deeper than the key declined", "a: 'x\ny'\n", ""},
		{"quoted over lines, text after the closing quote declined", "a: 'x\n  y' z\n", ""},
		{"quoted never closed declined", "a: 'x\n  y\n", ""},
		{"quoted as a sequence item over lines declined", "a:\n- 'x\n  y'\n", ""},
		{"multi-line flow declined", "a: [x,\n  y]\n", ""},
		{"question mark in flow declined", "a: {b: [0?]}\n", ""},
		{"escaped slash declined", "a: \"\\/\"\n", ""},
		{"long quoted key declined", "'" + strings.Repeat("c", 1100) + "': x\n", ""},
		{"long flow key declined", "a: {" + strings.Repeat("c", 1100) + ": x}\n", ""},
		{"non-string keys declined", "1: a\n", ""},
		{"bool keys declined", "on: a\n", ""},
		{"bool keys in flow declined", "a: {y: z}\n", ""},
		{"null keys declined", "~: a\n", ""},
		{"top-level sequence declined", "- a\n", ""},
		{"top-level scalar declined", "a\n", ""},
		{"tabs declined", "a:\tb\n", ""},
		{"UTF-8 text", "a: é ü ß\nb: \"日本語 😀\"\nc: [Grüße, '\ufffd']\nschlüssel: |\n  ‘quoted’ — text\n", `{"a":"é ü ß","b":"日本語 😀","c":["Grüße","�"],"schlüssel":"‘quoted’ — text\n"}`},
		{"invalid UTF-8 declined", "a: \xff\n", ""},
		{"C1 control declined", "a: \u0080\n", ""},
		{"NEL (a YAML 1.1 line break) declined", "a: x\u0085y\n", ""},
		{"line separator declined", "a: x\u2028y\n", ""},
		{"paragraph separator declined", "a: x\u2029y\n", ""},
		{"byte order mark declined", "\ufeffa: x\n", ""},
		{"noncharacter U+FFFE declined", "a: \ufffe\n", ""},
		{"bad indentation declined", "a:\n    b: 1\n  c: 2\n", ""},
		{"document marker declined", "a: 1\n...\nb: 2\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := ToJSON([]byte(c.in))
			if c.want == "" {
				if ok {
					t.Fatalf("took it: %s", got)
				}
				return
			}
			if !ok {
				t.Fatalf("declined %q", c.in)
			}
			if string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			agree(t, c.name, []byte(c.in))
		})
	}
}

// TestAgreesOnRepositoryYAML: every YAML document of the repository's
// testdata, examples and deploy directories converts as sigs.k8s.io/yaml
// converts it, and most of them take the fast path.
func TestAgreesOnRepositoryYAML(t *testing.T) {
	docs, taken := 0, 0
	for _, root := range []string{"../..", "../../examples", "../../deploy"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if path != root && (d.Name() == "bin" || strings.HasPrefix(d.Name(), ".")) {
					return filepath.SkipDir
				}
				return nil
			}
			if !strings.HasSuffix(path, ".yaml") && !strings.HasSuffix(path, ".yml") {
				return nil
			}
			if root == "../.." && !strings.Contains(path, "testdata") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, doc := range documents(data) {
				docs++
				if agree(t, path, doc) {
					taken++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d documents, %d on the fast path", docs, taken)
	if docs < 100 || taken < docs/2 {
		t.Errorf("%d documents, %d on the fast path: want at least 100, half of them fast", docs, taken)
	}
}

// TestHead: the head read from the parsed tree, and where it is left to
// the caller.
func TestHead(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     Head
		headOK   bool
	}{
		{"object", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels: {a: b}\nspec: {}\n",
			Head{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", Namespace: "shop", TypeKeysExact: true}, true},
		{"quoted, generateName", "kind: 'Pod'\napiVersion: \"v1\"\nmetadata: {generateName: job-}\n",
			Head{APIVersion: "v1", Kind: "Pod", GenerateName: "job-", TypeKeysExact: true}, true},
		{"keys in another case are other keys", "Kind: Pod\nAPIVersion: v1\nmetadata: {Name: x}\n", Head{}, true},
		{"a type key in another case too", "apiVersion: v1\nkind: Pod\nKIND: Secret\n", Head{APIVersion: "v1", Kind: "Pod"}, true},
		{"a type key folded from the Kelvin sign", "apiVersion: v1\nkind: Pod\n\u212aind: Secret\n", Head{APIVersion: "v1", Kind: "Pod"}, true},
		{"other keys in any case", "apiVersion: v1\nkind: Pod\nSpec: {}\nKinds: [a]\n", Head{APIVersion: "v1", Kind: "Pod", TypeKeysExact: true}, true},
		{"nothing", "a: b\n", Head{TypeKeysExact: true}, true},
		{"apiVersion a number", "apiVersion: 1\nkind: Pod\n", Head{}, false},
		{"kind a boolean", "apiVersion: v1\nkind: on\n", Head{}, false},
		{"metadata a string", "apiVersion: v1\nkind: Pod\nmetadata: web\n", Head{}, false},
		{"metadata null", "apiVersion: v1\nkind: Pod\nmetadata:\n", Head{}, false},
		{"name null", "apiVersion: v1\nkind: Pod\nmetadata:\n  name:\n  namespace: a\n", Head{}, false},
		{"namespace a list", "apiVersion: v1\nkind: Pod\nmetadata:\n  namespace: [a]\n", Head{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			js, head, headOK, ok := AppendJSONHead(nil, []byte(c.in))
			if !ok {
				t.Fatalf("declined %q", c.in)
			}
			if head != c.want || headOK != c.headOK {
				t.Errorf("head %+v, %v; want %+v, %v", head, headOK, c.want, c.headOK)
			}
			if want, _ := ToJSON([]byte(c.in)); !bytes.Equal(js, want) {
				t.Errorf("JSON %s, ToJSON gives %s", js, want)
			}
			agree(t, c.name, []byte(c.in))
		})
	}
}

// FuzzToJSON: whatever the input, the fast path agrees with
// sigs.k8s.io/yaml or declines. Seeds: testdata/fuzz/FuzzToJSON.
func FuzzToJSON(f *testing.F) {
	for _, s := range []string{
		"a: b\n", "a:\n- b\n- c: d\n  e: [1, 2]\n", "a: {b: c, d: [e, {f: g}]}\n", "a: 'x''y'\nb: \"q\\n\"\n",
		"a: on\nb: 0777\nc: 1_0\nd: 1e3\ne: ~\n", "k: v # c\n# c\nl:\n  m: n\n", "a: <&>\n",
		"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  namespace: 1\n  generateName: 'y'\n",
		"a: |\n  x\n\n   y\nb:\n  c: |-\n    z\n  d: |+\n    w\n\n",
		"args:\n- --port=80\n- -v\nnote: Grüße — ‘x’ 😀\n",
		"description: A long\n  text folded\n\n  over lines\nitems:\n- one\n  more\n",
		"a: 'it''s\n  folded'\nb: \"and\n\n  this\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, y []byte) {
		agree(t, "fuzz", y)
	})
}

// BenchmarkToJSON converts the documents of the generated perf corpora
// (make perf-cli writes them to bin/perf; skipped without them) and, as
// the baseline in the same run, sigs.k8s.io/yaml's conversion of the same
// documents.
func BenchmarkToJSON(b *testing.B) {
	for _, corpus := range []string{"pods-10k", "mixed-10k"} {
		data, err := os.ReadFile("../../bin/perf/" + corpus + ".yaml")
		if err != nil {
			b.Skipf("no corpus: %v (make perf-cli generates it)", err)
		}
		var docs [][]byte
		for _, d := range documents(data) {
			if len(bytes.TrimSpace(d)) > 0 {
				docs = append(docs, d)
			}
		}
		if len(docs) > 2000 {
			docs = docs[:2000]
		}
		size := 0
		for _, d := range docs {
			size += len(d)
		}
		b.Run(corpus+"/fastyaml", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				declined := 0
				for _, d := range docs {
					if _, ok := ToJSON(d); !ok {
						declined++
					}
				}
				b.ReportMetric(float64(declined), "declined/op")
			}
		})
		b.Run(corpus+"/sigs.k8s.io-yaml", func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range docs {
					if _, err := yaml.YAMLToJSON(d); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
