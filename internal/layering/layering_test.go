package layering

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/guardrails-dev/guardrails"

// arrow forbids package from (a module-relative directory, or a prefix
// ending in "/") to import to.
type arrow struct {
	from, to string
	why      string
}

// forbidden are the arrows the layering excludes. "*" is every package
// of the module; "only:" lists the one set a package may import.
var forbidden = []arrow{
	{"internal/rules", "*", "rules is the bottom layer: it imports no other Guardrails package"},
	{"internal/config", "!internal/rules internal/safeyaml", "config reads the file (YAML through safeyaml); it knows only the rules' vocabulary"},
	{"internal/safeyaml", "*", "safeyaml is YAML decoding with a bound: no Guardrails vocabulary"},
	{"internal/ingressindex", "!internal/rules internal/heapcost", "the Ingress index sits right above rules (its memory benchmark measures with heapcost)"},
	{"internal/bindingindex", "!internal/rules internal/heapcost", "the binding index sits right above rules (its memory benchmark measures with heapcost)"},
	{"internal/kept", "!internal/rules", "what a view keeps of an object sits right above rules: both views (the server's cache, the CLI's view) build their records with it"},
	{"internal/heapcost", "*", "heapcost measures the heap for benchmarks: no Guardrails vocabulary"},
	{"internal/policy", "!internal/rules internal/config", "policy joins rules and config, nothing else"},
	{"internal/manifest", "internal/admission", "the file reader never needs the server"},
	{"internal/manifest", "internal/clustercache", "the file reader never needs the server"},
	{"internal/inputview", "internal/admission", "the CLI's view never needs the server"},
	{"internal/inputview", "internal/clustercache", "the CLI's view never needs the server"},
	{"internal/report", "internal/admission", "reports never need the server"},
	{"internal/admission", "internal/manifest", "the server must not depend on the file reader"},
	{"internal/admission", "internal/inputview", "the server must not depend on the CLI's view"},
	{"internal/admission", "internal/report", "the server must not depend on the CLI's reports"},
	{"internal/clustercache", "internal/manifest", "the server's cache must not depend on the file reader"},
	{"internal/clustercache", "internal/inputview", "the server's cache must not depend on the CLI's view"},
	{"internal/clustercache", "internal/admission", "the cache is below the handlers"},
	{"internal/audit", "internal/admission", "the audit is below the handlers (the preview calls it)"},
	{"internal/audit", "internal/manifest", "the audit reads the cluster, never files"},
	{"internal/audit", "internal/inputview", "the audit reads the cluster, never the CLI's view"},
	{"internal/audit", "internal/report", "the audit hands objects over; the CLI writes reports"},
	{"internal/audit", "internal/clustercache", "the audit reads the cluster state through its State interface"},
	{"internal/policyreport", "internal/admission", "reports are written from the audit, not the handlers"},
	{"internal/policyreport", "internal/report", "PolicyReports are not the CLI's reports"},
	{"internal/configreload", "internal/admission", "the reloader is below the handlers that read its policy"},
	{"internal/configreload", "internal/audit", "the reloader knows only the configuration and the policy"},
	{"internal/admission", "internal/events", "the handlers record Events through admission.EventRecorder; serve wires the recorder"},
	{"internal/events", "!internal/rules", "the Event recorder knows only the rules' vocabulary"},
	{"internal/review", "!internal/jsonstring", "the AdmissionReview reader is transport: no Guardrails vocabulary (only the JSON string writer)"},
	{"internal/jsonstring", "*", "jsonstring writes JSON strings: no Guardrails vocabulary"},
	{"internal/typedjson", "*", "typedjson is a JSON decoder: no Guardrails vocabulary"},
	{"", "cmd/", "nothing imports the binary"},
	{"", "hack/", "nothing imports the tools under hack/"},
}

// imports maps a package directory (module-relative) to the module
// packages its files import: production files and in-package tests, not
// external test packages (package x_test).
func imports(t *testing.T, root string) map[string]map[string][]string {
	t.Helper()
	out := map[string]map[string][]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bin") {
				return filepath.SkipDir
			}
			if path != root {
				if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
					return filepath.SkipDir // another module (hack/kube-apiserver, hack/etcd)
				}
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		if strings.HasSuffix(f.Name.Name, "_test") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			if to, ok := strings.CutPrefix(p, module+"/"); ok {
				if out[rel] == nil {
					out[rel] = map[string][]string{}
				}
				out[rel][to] = append(out[rel][to], filepath.Base(path))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// violations lists the forbidden arrows in imps, one line each.
func violations(imps map[string]map[string][]string) []string {
	var out []string
	for from, tos := range imps {
		for to, files := range tos {
			for _, a := range forbidden {
				if !applies(a.from, from) || !hits(a.to, from, to) {
					continue
				}
				out = append(out, from+" imports "+to+" ("+strings.Join(files, ", ")+"): "+a.why)
			}
		}
	}
	sort.Strings(out)
	return out
}

func applies(pattern, pkg string) bool {
	return pattern == "" || pkg == pattern || strings.HasPrefix(pkg, pattern+"/")
}

func hits(pattern, from, to string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasPrefix(pattern, "!"):
		return !slices.Contains(strings.Fields(pattern[1:]), to)
	case strings.HasSuffix(pattern, "/"):
		return strings.HasPrefix(to, pattern) && !strings.HasPrefix(from, pattern)
	}
	return to == pattern || strings.HasPrefix(to, pattern+"/")
}

func TestLayering(t *testing.T) {
	imps := imports(t, filepath.Join("..", ".."))
	if len(imps["internal/admission"]) == 0 || len(imps["cmd/webhook"]) == 0 {
		t.Fatalf("read no imports of internal/admission or cmd/webhook: is the module root ../..? got %v", imps)
	}
	for _, v := range violations(imps) {
		t.Error(v)
	}
}

// TestLayeringCatches: the checker reports a forbidden arrow of each kind
// (a test of the test: it must be able to fail).
func TestLayeringCatches(t *testing.T) {
	for _, tc := range []struct{ from, to string }{
		{"internal/rules", "internal/config"},
		{"internal/admission", "internal/manifest"},
		{"internal/manifest", "internal/admission"},
		{"internal/inputview", "internal/clustercache"},
		{"internal/policy", "internal/metrics"},
		{"internal/report", "cmd/webhook"},
		{"internal/sandbox", "hack/load"},
		{"internal/audit", "internal/admission"},
		{"internal/audit", "internal/report"},
		{"internal/typedjson", "internal/rules"},
		{"internal/review", "internal/rules"},
		{"internal/jsonstring", "internal/rules"},
	} {
		got := violations(map[string]map[string][]string{tc.from: {tc.to: {"x.go"}}})
		if len(got) == 0 {
			t.Errorf("%s → %s was not reported", tc.from, tc.to)
		}
	}
	for _, tc := range []struct{ from, to string }{
		{"internal/policy", "internal/config"},
		{"internal/admission", "internal/policy"},
		{"cmd/webhook", "internal/admission"},
		{"hack/load", "internal/admission"},
		{"hack/load/sub", "hack/load"},
		{"internal/admission", "internal/audit"},
		{"internal/policyreport", "internal/audit"},
		{"internal/admission", "internal/typedjson"},
		{"internal/manifest", "internal/typedjson"},
		{"internal/review", "internal/jsonstring"},
		{"internal/fastyaml", "internal/jsonstring"},
	} {
		if got := violations(map[string]map[string][]string{tc.from: {tc.to: {"x.go"}}}); len(got) > 0 {
			t.Errorf("%s → %s reported: %v", tc.from, tc.to, got)
		}
	}
}
