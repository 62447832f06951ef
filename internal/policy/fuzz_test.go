package policy_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/inputview"
	"github.com/guardrails-dev/guardrails/internal/manifest"
	"github.com/guardrails-dev/guardrails/internal/policy"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// FuzzEvaluate feeds arbitrary documents through decoding and every rule:
// whatever decodes into a typed object must be judged without a panic
// (a rule panic would turn into an internal error in the server and exit
// code 2 in the CLI). The seed corpus is every rule fixture.
func FuzzEvaluate(f *testing.F) {
	files, _ := filepath.Glob("../rules/testdata/*/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err == nil {
			f.Add(data)
		}
	}
	p := policy.New(config.Default())
	f.Fuzz(func(t *testing.T, doc []byte) {
		obj, ref, err := manifest.Decode(doc)
		if err != nil {
			return
		}
		view := inputview.New()
		view.Add(obj)
		// Judge it as a create and as an update of itself.
		for _, old := range []any{nil, obj} {
			in := &rules.Input{Object: obj, Ref: ref, Cluster: view}
			if old != nil {
				in.Old = obj
			}
			if _, err := p.Evaluate(in, policy.Requester{User: "fuzz"}); err != nil {
				var pe *rules.PanicError
				if errors.As(err, &pe) {
					t.Fatalf("rule %s panicked on %q: %v\n%s", pe.Rule, doc, pe.Value, pe.Stack)
				}
				t.Fatal(err)
			}
		}
	})
}
