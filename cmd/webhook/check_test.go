package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/check/")

// runCLI runs the command line in process and returns what it printed and
// its exit code, as main would.
func runCLI(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := newRootCmd()
	var out, errb bytes.Buffer
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	err := cmd.Execute()
	code = 0
	if err != nil {
		code = 2
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
			if ee.err != nil {
				errb.WriteString("webhook: " + ee.err.Error() + "\n")
			}
		} else {
			errb.WriteString("webhook: " + err.Error() + "\n")
		}
	}
	return out.String(), errb.String(), code
}

type jsonReport struct {
	Findings []struct {
		Rule, Severity, File string
		Document             int
		APIVersion, Kind     string
		Namespace, Name      string
		Field, Message, Hint string
		Detail               string
	} `json:"findings"`
	Summary struct{ Objects, Deny, Warn int } `json:"summary"`
}

func runJSON(t *testing.T, stdin string, args ...string) (jsonReport, string, int) {
	t.Helper()
	out, errs, code := runCLI(t, stdin, append(args, "--output", "json")...)
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s\nstderr: %s", err, out, errs)
	}
	return r, errs, code
}

const td = "testdata/check/"

func TestCheckExitCodes(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		code    int
		stderr  string
		objects int
	}{
		{"good dir", []string{"-f", td + "good"}, 0, "", 3},
		{"deny", []string{"-f", td + "deny"}, 1, "", 1},
		{"good and deny", []string{"-f", td + "good", "-f", td + "deny/app.yaml"}, 1, "", 4},
		{"same file twice is read once", []string{"-f", td + "deny/app.yaml", "-f", td + "deny"}, 1, "", 1},
		{"no -f", nil, 2, "no input", -1},
		{"positional argument", []string{td + "good"}, 2, "name inputs with -f", -1},
		{"missing file", []string{"-f", td + "nope.yaml"}, 2, "nope.yaml: no such file or directory", -1},
		{"bad output", []string{"-f", td + "good", "--output", "yaml"}, 2, `--output "yaml"`, -1},
		{"bad config", []string{"-f", td + "good", "--config", td + "config-bad.yaml"}, 2, `unknown rule id "resource-requests"`, -1},
		{"missing config", []string{"-f", td + "good", "--config", td + "none.yaml"}, 2, "none.yaml", -1},
		{"config turns deny into warn", []string{"-f", td + "deny", "--config", td + "config-warn.yaml"}, 0, "", 1},
		{"empty dir", []string{"-f", t.TempDir()}, 2, "no .yaml, .yml or .json files", -1},
		{"stdin twice", []string{"-f", "-", "-f", "-"}, 2, "stdin) given twice", -1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, errs, code := runCLI(t, "", append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, out, errs)
			}
			if tc.stderr != "" && !strings.Contains(errs, tc.stderr) {
				t.Errorf("stderr %q lacks %q", errs, tc.stderr)
			}
			if tc.objects >= 0 && !strings.Contains(out, plural(tc.objects, "object,", "objects,")) {
				t.Errorf("summary should count %d objects:\n%s", tc.objects, out)
			}
		})
	}
}

func TestCheckFindingShape(t *testing.T) {
	r, _, code := runJSON(t, "", "check", "-f", td+"deny/app.yaml")
	if code != 1 || len(r.Findings) != 1 {
		t.Fatalf("exit %d, findings %+v", code, r.Findings)
	}
	f := r.Findings[0]
	if f.Rule != "resources-requests" || f.Severity != "deny" || f.File != td+"deny/app.yaml" || f.Document != 1 ||
		f.APIVersion != "apps/v1" || f.Kind != "Deployment" || f.Namespace != "shop" || f.Name != "web" ||
		f.Field != "spec.template.spec.containers[0].resources.requests.memory" ||
		f.Message != `container "app": no memory request` || f.Hint == "" {
		t.Errorf("finding %+v", f)
	}
	if r.Summary.Objects != 1 || r.Summary.Deny != 1 || r.Summary.Warn != 0 {
		t.Errorf("summary %+v", r.Summary)
	}
}

func TestCheckWarningsAllowed(t *testing.T) {
	r, _, code := runJSON(t, "", "check", "-f", td+"good/app.yaml")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range r.Findings {
		if f.Severity != "warn" {
			t.Errorf("good input has a %s finding: %+v", f.Severity, f)
		}
	}
	// Audit findings are not printed.
	r, _, code = runJSON(t, "", "check", "-f", td+"good/app.yaml", "-f", td+"deny", "--config", td+"config-warn.yaml")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range r.Findings {
		if f.Rule == "rbac-escalation" || f.Severity != "warn" {
			t.Errorf("unexpected finding %+v", f)
		}
	}
	if r.Summary.Warn == 0 {
		t.Errorf("resources-requests should warn under config-warn.yaml: %+v", r)
	}
}

func TestCheckLists(t *testing.T) {
	r, _, code := runJSON(t, "", "check", "-f", td+"lists.yaml")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	// first ConfigMap, the List's ConfigMap and Deployment (the Widget is
	// skipped), the DeploymentList item.
	if r.Summary.Objects != 4 {
		t.Errorf("objects %d, want 4", r.Summary.Objects)
	}
	got := map[string]int{}
	for _, f := range r.Findings {
		if f.Rule == "resources-requests" {
			got[f.Kind+" "+f.Name] = f.Document
		}
	}
	want := map[string]int{"Deployment in-list": 2, "Deployment typed-list-item": 3}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: document %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	out, _, _ := runCLI(t, "", "check", "-f", td+"lists.yaml")
	for _, s := range []string{"doc 2 item 3 Deployment shop/in-list (line 5)", "doc 3 item 1 Deployment shop/typed-list-item", "1 skipped (unknown kinds)"} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q:\n%s", s, out)
		}
	}
}

// TestCheckSkipsCRDs: a CustomResourceDefinition is a kind outside
// client-go's scheme, skipped like its custom resources, whatever else
// the binary links (envtest once added it to the scheme from an init
// function, and CRDs counted as checked objects).
func TestCheckSkipsCRDs(t *testing.T) {
	in := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: shop}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c, namespace: shop}
`
	out, _, code := runCLI(t, in, "check", "-f", "-")
	if code != 0 || !strings.Contains(out, "1 object, 0 deny, 0 warn; 2 skipped (unknown kinds)") {
		t.Errorf("exit %d, want 0 and the CRD and the Widget skipped:\n%s", code, out)
	}
}

func TestCheckBadDocuments(t *testing.T) {
	out, errs, code := runCLI(t, "", "check", "-f", td+"bad-docs.yaml")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, out, errs)
	}
	for _, s := range []string{
		"doc 1 Deployment shop/before",
		"doc 2 (line 14)\n    ERROR not a Kubernetes object: no apiVersion and kind",
		"doc 3 (line 17)\n    ERROR YAML: line 20:",
		"doc 4 Deployment shop/after",
		"2 objects, 2 deny, 0 warn; 2 errors",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("text output lacks %q:\n%s", s, out)
		}
	}
	if !strings.Contains(errs, "2 documents or objects could not be checked") {
		t.Errorf("stderr %q", errs)
	}
	// JSON: findings still printed, problems on stderr with file and doc.
	r, errs, code := runJSON(t, "", "check", "-f", td+"bad-docs.yaml")
	if code != 2 || r.Summary.Deny != 2 {
		t.Errorf("exit %d, summary %+v", code, r.Summary)
	}
	for _, s := range []string{td + "bad-docs.yaml: doc 2 (line 14): not a Kubernetes object", td + "bad-docs.yaml: doc 3 (line 17): YAML: line 20"} {
		if !strings.Contains(errs, s) {
			t.Errorf("stderr lacks %q:\n%s", s, errs)
		}
	}
}

func TestCheckJunkNeverPanics(t *testing.T) {
	dir := t.TempDir()
	junk := map[string][]byte{
		"nul.yaml":    {0, 0, 0, 'a', 0},
		"binary.yaml": bytes.Repeat([]byte{0xff, 0xfe, 0x00, 0x13, 0x37}, 50_000),
		"long.yaml":   []byte("a: " + strings.Repeat("x", 2<<20) + "\n"),
		"brace.json":  []byte("{{{{"),
		"list.yaml":   []byte("apiVersion: v1\nkind: List\nitems: [1, [2], {kind: Pod}]\n"),
		"scalar.yaml": []byte("hello\n---\n- a\n- b\n"),
		"deep.yaml":   []byte(strings.Repeat("[", 100_000)),
	}
	for name, data := range junk {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, errs, code := runCLI(t, "", "check", "-f", dir)
	if code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	for name := range junk {
		if name == "long.yaml" { // a valid YAML document that is not an object
			continue
		}
		if !strings.Contains(out, filepath.ToSlash(filepath.Join(dir, name))) {
			t.Errorf("output does not name %s:\n%s\n%s", name, out, errs)
		}
	}
}

func TestCheckCrossFileAndNamespaces(t *testing.T) {
	r, _, code := runJSON(t, "", "check", "-f", td+"crossfile")
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range r.Findings {
		if f.Rule == "resources-requests" && f.Namespace == "" {
			t.Errorf("the LimitRange without namespace should default requests of objects without namespace: %+v", f)
		}
	}
	if r.Summary.Deny != 2 {
		t.Errorf("want cpu and memory denied in namespace other: %+v", r)
	}
}

func TestCheckIngressConflicts(t *testing.T) {
	ing := func(ns, name string) string {
		return "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: " + name + ", namespace: " + ns + "}\n" +
			"spec:\n  ingressClassName: nginx\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n" +
			"      - {path: /, pathType: Prefix, backend: {service: {name: s, port: {number: 80}}}}\n"
	}
	// One Ingress does not conflict with itself.
	r, _, code := runJSON(t, ing("a", "web"), "check", "-f", "-")
	if code != 0 || len(r.Findings) != 0 {
		t.Errorf("single Ingress: exit %d findings %+v", code, r.Findings)
	}
	r, _, code = runJSON(t, ing("a", "web")+"---\n"+ing("b", "web"), "check", "-f", "-")
	if code != 1 {
		t.Errorf("two namespaces: exit %d", code)
	}
	n := 0
	for _, f := range r.Findings {
		if f.Rule == "ingress-conflict" && f.Severity == "deny" && f.File == "-" {
			n++
		}
	}
	if n != 2 {
		t.Errorf("want both Ingresses denied for the conflict, got %+v", r.Findings)
	}
	// Whoever runs the check has the files: the finding names the other
	// namespace and Ingress in its detail (the message does not).
	for _, f := range r.Findings {
		if f.Namespace == "b" && (f.Detail != "served by namespace a (Ingress web)" || strings.Contains(f.Message, `"a"`)) {
			t.Errorf("finding of b/web: message %q detail %q", f.Message, f.Detail)
		}
	}
	out, _, _ := runCLI(t, ing("a", "web")+"---\n"+ing("b", "web"), "check", "-f", "-")
	if !strings.Contains(out, "detail: served by namespace a (Ingress web)") {
		t.Errorf("the text report lacks the detail:\n%s", out)
	}
	// The owner shares the host: both pass; the guest's own annotation
	// would not have let it in, but offline the one who shares is taken as
	// the owner.
	shared := strings.Replace(ing("a", "web"), "metadata: {name: web, namespace: a}", "metadata: {name: web, namespace: a, annotations: {guardrails.dev/share-host-with: b}}", 1)
	if r, _, code := runJSON(t, shared+"---\n"+strings.Replace(ing("b", "web2"), "path: /", "path: /b", 1), "check", "-f", "-"); code != 0 {
		t.Errorf("shared host: exit %d findings %+v", code, r.Findings)
	}
}

func TestCheckRemovedAPIVersions(t *testing.T) {
	in := "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: old, namespace: a}\n" +
		"spec:\n  rules:\n  - host: a.example.com\n    http:\n      paths:\n      - {path: /, backend: {serviceName: s, servicePort: 80}}\n" +
		"---\napiVersion: rbac.authorization.k8s.io/v1beta1\nkind: ClusterRoleBinding\nmetadata: {name: admins}\n" +
		"roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n" +
		"subjects: [{kind: Group, apiGroup: rbac.authorization.k8s.io, name: devs}]\n"
	out, errs, code := runCLI(t, in, "check", "-f", "-")
	if code != 2 {
		t.Errorf("exit %d, want 2 (not a silent pass)\n%s\n%s", code, out, errs)
	}
	for _, want := range []string{
		"doc 1 Ingress a/old", "Ingress extensions/v1beta1 is no longer served by the Kubernetes API server (removed in v1.22): convert it to apiVersion networking.k8s.io/v1",
		"doc 2 ClusterRoleBinding admins", "ClusterRoleBinding rbac.authorization.k8s.io/v1beta1 is no longer served by the Kubernetes API server (removed in v1.22): convert it to apiVersion rbac.authorization.k8s.io/v1",
		"0 objects, 0 deny, 0 warn; 2 errors",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

func TestCheckStdin(t *testing.T) {
	data, err := os.ReadFile(td + "deny/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r, _, code := runJSON(t, string(data), "check", "-f", "-")
	if code != 1 || len(r.Findings) != 1 || r.Findings[0].File != "-" || r.Findings[0].Document != 1 {
		t.Errorf("exit %d findings %+v", code, r.Findings)
	}
	_, _, code = runCLI(t, "", "check", "-f", "-")
	if code != 0 {
		t.Errorf("empty stdin: exit %d, want 0", code)
	}
}

// TestCheckRulePanic: a rule that panics exits 2 naming file, document and
// rule, and the rest is still checked.
func TestCheckRulePanic(t *testing.T) {
	boom := &rules.Rule{ID: "boom", DefaultAction: rules.ActionDeny, Kinds: []schema.GroupKind{{Group: "apps", Kind: "Deployment"}},
		Check: func(in *rules.Input) []rules.Violation {
			if in.Ref.Name == "before" {
				var m map[string]int
				m["x"] = 1
			}
			return []rules.Violation{{Message: "fine"}}
		}}
	o := &checkOptions{files: []string{td + "bad-docs.yaml"}, output: "text",
		evaluate: func(in *rules.Input) ([]rules.Finding, error) {
			return rules.Evaluate([]*rules.Rule{boom}, in, rules.DefaultActions)
		}}
	var out, errs bytes.Buffer
	err := runCheck(o, strings.NewReader(""), &out, &errs)
	var ee *exitError
	if !errors.As(err, &ee) || ee.code != 2 {
		t.Fatalf("err %v, want exit 2", err)
	}
	if want := "doc 1 Deployment shop/before (line 1)\n    ERROR [boom] panicked: assignment to entry in nil map"; !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	if !strings.Contains(out.String(), "DENY [boom] fine") {
		t.Errorf("later objects should still be checked:\n%s", out.String())
	}
	if !strings.Contains(errs.String(), "rule boom panicked on "+td+"bad-docs.yaml") {
		t.Errorf("stderr %q", errs.String())
	}
}

// TestCheckGolden runs the CLI over testdata/check/golden in every format.
// Regenerate with go test ./cmd/webhook -run TestCheckGolden -update and
// review the diff.
func TestCheckGolden(t *testing.T) {
	// SARIF carries the whole catalogue's documentation: its shape is
	// tested in internal/report, with goldens over fixed rules.
	for _, format := range []string{"text", "json", "junit"} {
		t.Run(format, func(t *testing.T) {
			out, errs, code := runCLI(t, "", "check", "-f", td+"golden", "--output", format)
			if code != 1 {
				t.Errorf("exit %d, want 1; stderr %s", code, errs)
			}
			path := filepath.Join("testdata", "check", format+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s (run with -update and review):\n%s", path, out)
			}
		})
	}
}

func TestCheckSARIF(t *testing.T) {
	out, _, code := runCLI(t, "", "check", "-f", td+"golden", "--output", "sarif")
	if code != 1 {
		t.Errorf("exit %d", code)
	}
	var log struct {
		Version string
		Runs    []struct {
			Tool struct {
				Driver struct {
					Rules []struct {
						ID                   string
						DefaultConfiguration struct{ Level string }
					}
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex int
				Level     string
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string }
						Region           struct{ StartLine int }
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatal(err)
	}
	cat := rules.Catalogue()
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Tool.Driver.Rules) != len(cat) {
		t.Fatalf("version %q, %d runs", log.Version, len(log.Runs))
	}
	for _, r := range log.Runs[0].Results {
		if r.RuleIndex < 0 || cat[r.RuleIndex].ID != r.RuleID || r.Level != "error" || r.Locations[0].PhysicalLocation.Region.StartLine < 1 ||
			!strings.HasPrefix(r.Locations[0].PhysicalLocation.ArtifactLocation.URI, td+"golden/") {
			t.Errorf("result %+v", r)
		}
	}
}

// TestExamples: examples/good passes, every file of examples/bad has at
// least one deny finding.
func TestExamples(t *testing.T) {
	out, errs, code := runCLI(t, "", "check", "-f", "../../examples/good")
	if code != 0 {
		t.Errorf("examples/good: exit %d\n%s%s", code, out, errs)
	}
	bad, err := filepath.Glob("../../examples/bad/*.yaml")
	if err != nil || len(bad) == 0 {
		t.Fatalf("no examples/bad: %v", err)
	}
	for _, f := range bad {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(data, []byte("# ")) {
			t.Errorf("%s: the first line should be a comment saying what it shows", f)
		}
		out, errs, code := runCLI(t, "", "check", "-f", f)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s%s", f, code, out, errs)
		}
	}
}

// aliasBomb is a ConfigMap after a good one whose YAML aliases repeat one
// 64 KiB string 100 times: 66 KiB of YAML for 6 MiB of JSON (go-yaml's own
// alias check counts nodes, and lets it through).
var aliasBomb = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\n---\n" +
	"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bomb}\ndata:\n  a: &a " + strings.Repeat("x", 64<<10) + "\n" +
	aliasKeys(100)

func aliasKeys(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "  k%d: *a\n", i)
	}
	return b.String()
}

// TestCheckAliasBomb: the document is refused before it is decoded, named
// by file and document number, and the rest of the file is checked.
func TestCheckAliasBomb(t *testing.T) {
	out, errs, code := runCLI(t, aliasBomb, "check", "-f", "-")
	if code != 2 {
		t.Fatalf("exit %d, want 2\n%s%s", code, out, errs)
	}
	for _, s := range []string{"doc 2 (line 5)\n    ERROR YAML: aliases expand this document", "1 object, 0 deny, 0 warn; 1 error"} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
}

// TestCheckBinary builds the binary and runs it as CI would.
func TestCheckBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "webhook")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	deny, err := os.ReadFile(td + "deny/app.yaml")
	if err != nil {
		t.Fatal(err)
	}
	bomb := filepath.Join(t.TempDir(), "bomb.yaml")
	if err := os.WriteFile(bomb, []byte(aliasBomb), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args  []string
		stdin []byte
		code  int
		out   string
	}{
		{[]string{"check", "-f", td + "good"}, nil, 0, "3 objects, 0 deny"},
		{[]string{"check", "-f", td + "deny"}, nil, 1, `DENY [resources-requests] spec.template.spec.containers[0].resources.requests.memory: container "app": no memory request`},
		{[]string{"check", "-f", td + "bad-docs.yaml"}, nil, 2, "ERROR not a Kubernetes object"},
		{[]string{"check", "-f", "-", "-o", "json"}, deny, 1, `"file":"-","document":1`},
		{[]string{"check"}, nil, 2, ""},
		{[]string{"check", "-f", bomb}, nil, 2, "doc 2 (line 5)\n    ERROR YAML: aliases expand this document from 66.1 KiB to about 6.3 MiB, beyond the limit of 4.0 MiB"},
		{[]string{"check", "-f", bomb, "-o", "json"}, nil, 2, "bomb.yaml: doc 2 (line 5): YAML: aliases expand this document"},
	} {
		cmd := exec.Command(bin, tc.args...)
		cmd.Stdin = bytes.NewReader(tc.stdin)
		var out bytes.Buffer
		cmd.Stdout = &out
		cmd.Stderr = &out
		err := cmd.Run()
		code := 0
		var xe *exec.ExitError
		if errors.As(err, &xe) {
			code = xe.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != tc.code || !strings.Contains(out.String(), tc.out) {
			t.Errorf("%v: exit %d (want %d), output lacks %q:\n%s", tc.args, code, tc.code, tc.out, out.String())
		}
	}
}
