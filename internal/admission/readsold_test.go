package admission

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// TestOnlyNamespaceRulesReadOld keeps readsOld true: the validating
// handler decodes the old object of an UPDATE before judging only for the
// kinds readsOld names, so every rule that reads rules.Input.Old must
// judge only such kinds. A rule starting to read Input.Old fails here
// until readsOld covers its kinds.
func TestOnlyNamespaceRulesReadOld(t *testing.T) {
	files, err := filepath.Glob("../rules/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("rule sources: %v %v", files, err)
	}
	readsOldField := regexp.MustCompile(`\bin\.Old\b`)
	var readers []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if readsOldField.Match(src) {
			readers = append(readers, filepath.Base(f))
		}
	}
	if want := []string{"namespace_mode_label.go"}; !slices.Equal(readers, want) {
		t.Fatalf("rule files reading in.Old: %q, want %q: make readsOld cover the kinds of the new reader", readers, want)
	}
	for _, r := range rules.Catalogue() {
		if r.ID != "namespace-mode-label" {
			continue
		}
		for _, gk := range r.Kinds {
			if !readsOld(gk) {
				t.Errorf("%s judges %v, which readsOld does not name", r.ID, gk)
			}
		}
	}
	if readsOld(schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		t.Error("readsOld(Deployment): the old Deployment is decoded only for deny findings")
	}
}
