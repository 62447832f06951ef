package admission

import (
	"regexp"
	"testing"
)

// TestAnyIndex: anyIndex replaces what the regular expression \[\d+\]
// matches with "[*]", and nothing else.
func TestAnyIndex(t *testing.T) {
	re := regexp.MustCompile(`\[\d+\]`)
	for _, path := range []string{
		"", "spec", "spec.containers[0].resources.requests.memory", "spec.rules[12].http.paths[3].path",
		"metadata.annotations[nginx.ingress.kubernetes.io/server-alias]", "a[]", "a[1", "a[1a]", "[0]", "a[0][1]",
		"a[[0]]", "a[01]x[", "metadata.labels[x[0]]", "subjects[٣]",
	} {
		if got, want := anyIndex(path), re.ReplaceAllString(path, "[*]"); got != want {
			t.Errorf("anyIndex(%q) = %q, want %q", path, got, want)
		}
	}
}
