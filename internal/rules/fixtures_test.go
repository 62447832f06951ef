package rules_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestFixtures runs every rule over its fixtures in testdata/<rule-id>/.
//
// A fixture is a YAML file of one or more documents. The last document is
// the object under test; the documents before it are the rest of the
// cluster (LimitRanges, IngressClasses, other Ingresses, Roles…). A context
// document with the same kind, namespace and name as the object under test
// is also its old version (an UPDATE).
//
// Comment lines at the top of the file say what the rule must report:
//
//	# want: deny spec.template.spec.containers[0].resources.requests.memory: container "app": no memory request
//	# settings: {"wildcardHostNamespaces": ["edge"]}
//	# cluster: complete
//	# origin: {"mirror": true}
//
// "cluster: complete" makes the context documents the whole cluster (as the
// server's caches are): a class missing from them does not exist. "origin"
// is what the requester vouches for (rules.Origin: a mirror pod sent by a
// node, a copy a built-in controller stamped out); without it the object
// is judged as itself, as the CLI judges it.
//
// Each want line is "<severity> <field>: <message>" and must match a finding
// exactly (severity, field path and whole message); findings are compared as
// a set and both directions must match. A fixture without want lines must
// produce no finding of that rule. Every rule must have at least one passing
// and one failing fixture.
//
// "# detail: <text>" lines list the findings' administrator-only details
// (Finding.Detail), compared as a set like the want lines: a finding with
// a detail must have its detail line.
func TestFixtures(t *testing.T) {
	for _, r := range rules.Catalogue() {
		t.Run(r.ID, func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join("testdata", r.ID, "*.yaml"))
			var pass, fail int
			for _, f := range files {
				t.Run(strings.TrimSuffix(filepath.Base(f), ".yaml"), func(t *testing.T) {
					fx := loadFixture(t, f)
					if len(fx.want) == 0 {
						pass++
					} else {
						fail++
					}
					got, err := rules.Evaluate([]*rules.Rule{r}, fx.input, rules.DefaultActions)
					if err != nil {
						t.Fatalf("evaluate: %v", err)
					}
					var gotLines, gotDetails []string
					for _, f := range got {
						gotLines = append(gotLines, fmt.Sprintf("%s %s: %s", f.Severity, f.Field, f.Message))
						if f.Hint == "" {
							t.Errorf("finding without hint: %s", f.Message)
						}
						if f.Detail != "" {
							gotDetails = append(gotDetails, f.Detail)
						}
					}
					sort.Strings(gotDetails)
					sort.Strings(fx.details)
					if strings.Join(gotDetails, "\n") != strings.Join(fx.details, "\n") {
						t.Errorf("details differ\n got:\n  %s\nwant:\n  %s", strings.Join(gotDetails, "\n  "), strings.Join(fx.details, "\n  "))
					}
					sort.Strings(gotLines)
					sort.Strings(fx.want)
					if strings.Join(gotLines, "\n") != strings.Join(fx.want, "\n") {
						t.Errorf("findings differ\n got:\n  %s\nwant:\n  %s", strings.Join(gotLines, "\n  "), strings.Join(fx.want, "\n  "))
					}
				})
			}
			if pass == 0 || fail == 0 {
				t.Errorf("rule %s needs passing and failing fixtures in testdata/%s (have %d passing, %d failing)", r.ID, r.ID, pass, fail)
			}
		})
	}
}

type fixture struct {
	input   *rules.Input
	want    []string
	details []string
}

func loadFixture(t *testing.T, path string) fixture {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	settings := rules.DefaultSettings()
	var origin rules.Origin
	var want, details []string
	complete := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			if strings.TrimSpace(line) == "" || line == "---" {
				continue
			}
			break
		}
		body := strings.TrimSpace(strings.TrimPrefix(line, "#"))
		switch {
		case strings.HasPrefix(body, "want:"):
			want = append(want, strings.TrimSpace(strings.TrimPrefix(body, "want:")))
		case strings.HasPrefix(body, "detail:"):
			details = append(details, strings.TrimSpace(strings.TrimPrefix(body, "detail:")))
		case body == "cluster: complete":
			complete = true
		case strings.HasPrefix(body, "origin:"):
			if err := yaml.UnmarshalStrict([]byte(strings.TrimPrefix(body, "origin:")), &origin); err != nil {
				t.Fatalf("%s: origin: %v", path, err)
			}
		case strings.HasPrefix(body, "settings:"):
			if err := yaml.UnmarshalStrict([]byte(strings.TrimPrefix(body, "settings:")), settings); err != nil {
				t.Fatalf("%s: settings: %v", path, err)
			}
		}
	}
	var objs []runtime.Object
	var refs []rules.ObjectRef
	rd := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 1; ; i++ {
		doc, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		if len(bytes.TrimSpace(stripComments(doc))) == 0 {
			continue
		}
		obj, ref, err := manifest.Decode(doc)
		if err != nil {
			t.Fatalf("%s: document %d: %v", path, i, err)
		}
		objs = append(objs, obj)
		refs = append(refs, ref)
	}
	if len(objs) == 0 {
		t.Fatalf("%s: no object", path)
	}
	view := inputview.New()
	view.Complete = complete
	n := len(objs) - 1
	in := &rules.Input{Object: objs[n], Ref: refs[n], Cluster: view, Settings: settings, Origin: origin}
	for i := 0; i < n; i++ {
		view.Add(objs[i])
		if refs[i].Kind == refs[n].Kind && refs[i].Namespace == refs[n].Namespace && refs[i].Name == refs[n].Name {
			in.Old = objs[i]
		}
	}
	return fixture{input: in, want: want, details: details}
}

func stripComments(doc []byte) []byte {
	var out bytes.Buffer
	for _, l := range bytes.Split(doc, []byte("\n")) {
		if !bytes.HasPrefix(bytes.TrimSpace(l), []byte("#")) {
			out.Write(l)
			out.WriteByte('\n')
		}
	}
	return out.Bytes()
}
