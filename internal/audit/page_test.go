package audit

import (
	"context"
	"fmt"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
)

// pagedKind serves n Pods in pages of the limit asked for; expireAt makes
// the continue of that page expire once (the API server's 410 with an
// inconsistent continue token).
func pagedKind(n int, expireAt string, calls *[]metav1.ListOptions) Kind {
	expired := false
	return Kind{GroupKind: schema.GroupKind{Kind: "Pod"}, Version: "v1", Resource: "pods", Namespaced: true,
		list: func(_ context.Context, _ kubernetes.Interface, _ string, opts metav1.ListOptions) ([]runtime.Object, metav1.ListMeta, error) {
			*calls = append(*calls, opts)
			if opts.Continue == expireAt && expireAt != "" && !expired {
				expired = true
				st := apierrors.NewResourceExpired("continue too old").ErrStatus
				st.ListMeta.Continue = expireAt + "-inconsistent"
				return nil, metav1.ListMeta{}, &apierrors.StatusError{ErrStatus: st}
			}
			start := 0
			if opts.Continue != "" {
				fmt.Sscanf(opts.Continue, "from-%d", &start)
			}
			var out []runtime.Object
			for i := start; i < n && i < start+int(opts.Limit); i++ {
				out = append(out, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i)}})
			}
			meta := metav1.ListMeta{}
			if next := start + int(opts.Limit); next < n {
				meta.Continue = fmt.Sprintf("from-%d", next)
			}
			return out, meta, nil
		}}
}

func TestEachPage(t *testing.T) {
	var calls []metav1.ListOptions
	var pages []int
	inconsistent, err := eachPage(context.Background(), nil, pagedKind(7, "", &calls), "", 3, func(items []runtime.Object) error {
		pages = append(pages, len(items))
		return nil
	})
	if err != nil || inconsistent {
		t.Fatalf("eachPage = %v, inconsistent %v", err, inconsistent)
	}
	if !slices.Equal(pages, []int{3, 3, 1}) {
		t.Errorf("pages %v, want [3 3 1]", pages)
	}
	for _, c := range calls {
		if c.Limit != 3 {
			t.Errorf("a LIST without the limit: %+v", c)
		}
	}
}

// TestEachPageExpiredContinue: an expired continue token goes on with the
// inconsistent token of the 410, never with a full list.
func TestEachPageExpiredContinue(t *testing.T) {
	var calls []metav1.ListOptions
	n := 0
	k := pagedKind(7, "from-3", &calls)
	base := k.list
	k.list = func(ctx context.Context, c kubernetes.Interface, ns string, opts metav1.ListOptions) ([]runtime.Object, metav1.ListMeta, error) {
		if opts.Continue == "from-3-inconsistent" {
			opts.Continue = "from-3"
		}
		return base(ctx, c, ns, opts)
	}
	inconsistent, err := eachPage(context.Background(), nil, k, "", 3, func(items []runtime.Object) error { n += len(items); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if !inconsistent || n != 7 {
		t.Errorf("inconsistent %v, %d objects; want true, 7", inconsistent, n)
	}
	for _, c := range calls {
		if c.Limit == 0 {
			t.Errorf("fell back to a full list: %+v", c)
		}
	}
}
