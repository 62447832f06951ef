package clustercache

import (
	"context"
	"fmt"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/pager"

	"github.com/guardrails-dev/guardrails/internal/bindingindex"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// The informers follow the API server by a few milliseconds. For RBAC that
// gap is an attack: create a binding of a role that does not exist yet and,
// a moment later, the role as cluster-admin; or the role a moment before a
// binding of it. Either request would be judged against a cache that has
// not seen the other object yet. So two RBAC answers are confirmed with
// the API server itself (consistent reads, bounded by
// Options.LiveReadTimeout): a role that the cache does not hold, and the
// bindings of a role whose write makes it cluster-admin-equivalent (the
// rules ask for those only then, so the cost is paid on rare writes).
// Two requests in flight at the very same moment can still pass each
// other; the background audit reports what they leave behind.

// liveReader reads RBAC objects from the API server.
type liveReader interface {
	clusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error)
	role(ctx context.Context, namespace, name string) (*rbacv1.Role, error)
	bindings(ctx context.Context, role rules.RoleKey) ([]*rules.Binding, error)
}

// apiReader is the liveReader of a real API server.
type apiReader struct {
	client  kubernetes.Interface
	timeout time.Duration
}

func newAPIReader(cfg *rest.Config, timeout time.Duration) (*apiReader, error) {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	cfg = rest.CopyConfig(cfg)
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("client for live reads: %w", err)
	}
	return &apiReader{client: cs, timeout: timeout}, nil
}

func (a *apiReader) clusterRole(ctx context.Context, name string) (*rbacv1.ClusterRole, error) {
	cr, err := a.client.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, _ := TransformClusterRole(cr)
	return t.(*rbacv1.ClusterRole), nil
}

func (a *apiReader) role(ctx context.Context, namespace, name string) (*rbacv1.Role, error) {
	r, err := a.client.RbacV1().Roles(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	t, _ := TransformRole(r)
	return t.(*rbacv1.Role), nil
}

// bindings lists the bindings of role: the ClusterRoleBindings and every
// namespace's RoleBindings for a ClusterRole, the RoleBindings of its
// namespace for a Role. Lists are paged; an empty resourceVersion makes
// them consistent reads.
func (a *apiReader) bindings(ctx context.Context, role rules.RoleKey) ([]*rules.Binding, error) {
	var out []*rules.Binding
	keep := func(obj runtime.Object) error {
		b := rules.BindingOf(obj)
		if k, ok := b.Role(); ok && k == role {
			out = append(out, b)
		}
		return nil
	}
	rbc := a.client.RbacV1()
	namespace := ""
	if role.Kind == rules.KindRole {
		namespace = role.Namespace
	} else {
		p := pager.New(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return rbc.ClusterRoleBindings().List(ctx, o)
		})
		if err := p.EachListItem(ctx, metav1.ListOptions{}, keep); err != nil {
			return nil, fmt.Errorf("list ClusterRoleBindings: %w", err)
		}
	}
	p := pager.New(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
		return rbc.RoleBindings(namespace).List(ctx, o)
	})
	if err := p.EachListItem(ctx, metav1.ListOptions{}, keep); err != nil {
		return nil, fmt.Errorf("list RoleBindings: %w", err)
	}
	bindingindex.Sort(out)
	return out, nil
}

func (c *Cache) liveContext() (context.Context, context.CancelFunc) {
	d := c.opts.LiveReadTimeout
	if d <= 0 {
		d = 2 * time.Second
	}
	return context.WithTimeout(context.Background(), d)
}
