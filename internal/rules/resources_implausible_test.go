package rules

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func TestSuggestMemory(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"512", "512Mi"},
		{"256m", "256Mi"},
		{"100Ki", "100Mi"},
		{"1k", "1Mi"},
		{"1e3", ""},
		{"1.5k", "1500Mi"}, // quantities are canonical: 1.5k is 1500,
	} {
		if got := suggestMemory(resource.MustParse(tc.in)); got != tc.want {
			t.Errorf("suggestMemory(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFormatRatio(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{100.5, "100.5"}, {200, "200"}, {1024.4, "1024"}} {
		if got := formatRatio(tc.in); got != tc.want {
			t.Errorf("formatRatio(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
