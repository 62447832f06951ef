package hostile

import (
	"strings"
	"testing"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// TestIngressIsValid: the API server would admit the object's metadata (so
// a tenant can send it), and it is as big as stated.
func TestIngressIsValid(t *testing.T) {
	ing := Ingress("team-a", "flood")
	if errs := apivalidation.ValidateAnnotations(ing.Annotations, field.NewPath("metadata", "annotations")); len(errs) > 0 {
		t.Fatal(errs.ToAggregate())
	}
	size := 0
	for k, v := range ing.Annotations {
		size += len(k) + len(v)
		if !strings.HasPrefix(k, "nginx.ingress.kubernetes.io/") {
			t.Errorf("%q", k)
		}
	}
	if size > AnnotationBytes || size < AnnotationBytes-100 || len(ing.Annotations) != 2782 {
		t.Errorf("%d annotations of %d bytes", len(ing.Annotations), size)
	}
}
