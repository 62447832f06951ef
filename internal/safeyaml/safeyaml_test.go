package safeyaml

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// laughs is the billion-laughs document: levels of anchors, each a list
// of ten aliases of the one before.
func laughs(levels int) string {
	var b strings.Builder
	b.WriteString("l0: &l0 lol\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

// longString is a ConfigMap whose values alias one anchored string of
// size bytes, n times: few nodes, so go-yaml v2's alias ratio lets it
// through, but the JSON repeats the string n times.
func longString(size, n int) string {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  a: &a " + strings.Repeat("x", size) + "\n")
	for i := range n {
		fmt.Fprintf(&b, "  k%d: *a\n", i)
	}
	return b.String()
}

const anchored = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: app
        env: &env
        - {name: LOG_LEVEL, value: info}
        - {name: REGION, value: eu-west-1}
        resources: &res
          requests: {cpu: 100m, memory: 128Mi}
      - name: sidecar
        env: *env
        resources:
          <<: *res
          limits: {memory: 256Mi}
`

func TestToJSONSameAsYAMLToJSON(t *testing.T) {
	for name, doc := range map[string]string{
		"no anchors":          "a: 1\nb: [x, y]\nc: yes\n",
		"anchors":             anchored,
		"an anchor, no alias": "a: &a 1\nb: '*'\n",
		"small laughs":        laughs(3),            // 1,000 lols: below the floor
		"below the ratio":     longString(2<<20, 2), // 6 MiB: above the floor, 3 times its size
		"empty":               "",
		"comment":             "# nothing\n",
	} {
		t.Run(name, func(t *testing.T) {
			want, werr := yaml.YAMLToJSON([]byte(doc))
			got, err := ToJSON([]byte(doc))
			if (err != nil) != (werr != nil) || string(got) != string(want) {
				t.Errorf("ToJSON = %.200s, %v; YAMLToJSON = %.200s, %v", got, err, want, werr)
			}
		})
	}
}

func TestToJSONRefusesExpansion(t *testing.T) {
	for _, tc := range []struct {
		name     string
		doc      string
		expanded string // in the message
	}{
		// 64 KiB × 101 = 6.3 MiB: above the 4 MiB floor and 4 × 64 KiB.
		{"long string", longString(64<<10, 100), "to about 6.3 MiB"},
		{"billion laughs", laughs(9), "to about 12.3 GiB"},
		// 10^40 lols: counting saturates, and takes no time (each anchor
		// is sized once).
		{"beyond counting", laughs(40), "to more than 1.0 EiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js, err := ToJSON([]byte(tc.doc))
			var ee *ExpansionError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v (%d bytes of JSON), want an ExpansionError", err, len(js))
			}
			if ee.Expanded <= ee.Limit || ee.Limit != max(DefaultLimits.Floor, 4*ee.Written) {
				t.Errorf("%+v", ee)
			}
			for _, s := range []string{"aliases expand this document from ", tc.expanded, "beyond the limit of 4.0 MiB (4 times its size, at least 4.0 MiB)", "use fewer aliases"} {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message %q lacks %q", err, s)
				}
			}
			if _, err := ToJSONStrict([]byte(tc.doc)); !errors.As(err, &ee) {
				t.Errorf("strict: %v", err)
			}
		})
	}
}

func TestCheckAliasesLimits(t *testing.T) {
	doc := []byte(longString(1000, 9)) // 10 copies of 1,000 bytes
	for _, tc := range []struct {
		l    Limits
		pass bool
	}{
		{Limits{Ratio: 20, Floor: 0}, true},
		{Limits{Ratio: 5, Floor: 0}, false},
		{Limits{Ratio: 5, Floor: 20_000}, true}, // the floor lets small documents be
		{Limits{Ratio: 1, Floor: 1}, false},
	} {
		err := CheckAliases(doc, tc.l)
		if (err == nil) != tc.pass {
			t.Errorf("%+v: %v, want pass=%v", tc.l, err, tc.pass)
		}
	}
}

func TestSelfReference(t *testing.T) {
	for _, doc := range []string{"a: &a [*a]\n", "a: &a {b: [1, *a]}\n"} {
		if _, err := ToJSON([]byte(doc)); !errors.Is(err, ErrSelfReference) {
			t.Errorf("%q: %v", doc, err)
		}
	}
}

// TestParseErrorsLeftToTheDecoder: the check does not word YAML errors,
// the decoder does, as before.
func TestParseErrorsLeftToTheDecoder(t *testing.T) {
	for _, doc := range []string{"a: &a [\nb: *a\n", "a: *nope &x\n"} {
		_, werr := yaml.YAMLToJSON([]byte(doc))
		_, err := ToJSON([]byte(doc))
		if werr == nil || err == nil || err.Error() != werr.Error() {
			t.Errorf("%q: %v, want %v", doc, err, werr)
		}
	}
}

// TestV2Fallback covers documents go-yaml v3 cannot parse: they are judged
// on go-yaml v2's expanded tree.
func TestV2Fallback(t *testing.T) {
	if err := checkExpandedV2([]byte(longString(64<<10, 100)), DefaultLimits); err == nil {
		t.Error("a long string repeated 100 times passed")
	}
	if err := checkExpandedV2([]byte(anchored), DefaultLimits); err != nil {
		t.Error(err)
	}
	if err := checkExpandedV2([]byte("a: [\n"), DefaultLimits); err != nil {
		t.Errorf("a parse error is the decoder's to report: %v", err)
	}
}

func FuzzCheckAliases(f *testing.F) {
	for _, s := range []string{anchored, laughs(3), "a: &a [*a]\n", "&a a: *a\n", "- &x\n- *x\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if err := CheckAliases(doc, Limits{Ratio: 4, Floor: 1 << 16}); err != nil {
			return
		}
		// What passes decodes to a bounded JSON.
		// JSON escapes take up to 6 bytes per byte; a written node at
		// least one byte of the document.
		if js, err := yaml.YAMLToJSON(doc); err == nil && len(js) > 6*max(4*(NodeCost+1)*len(doc), 1<<16)+1024 {
			t.Errorf("%d bytes of YAML passed and decoded to %d bytes of JSON", len(doc), len(js))
		}
	})
}

// BenchmarkToJSON compares ToJSON with sigs.k8s.io/yaml's YAMLToJSON (the
// baseline of the same run) on a Deployment with anchors: the check costs
// one more parse, and nothing for documents without anchors.
func BenchmarkToJSON(b *testing.B) {
	for name, doc := range map[string][]byte{"anchors": []byte(anchored), "no-anchors": []byte(strings.ReplaceAll(strings.ReplaceAll(anchored, "&", ""), "*", ""))} {
		b.Run(name+"/YAMLToJSON", func(b *testing.B) {
			for b.Loop() {
				if _, err := yaml.YAMLToJSON(doc); err != nil && name == "anchors" {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/ToJSON", func(b *testing.B) {
			for b.Loop() {
				if _, err := ToJSON(doc); err != nil && name == "anchors" {
					b.Fatal(err)
				}
			}
		})
	}
}
