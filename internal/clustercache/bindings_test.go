package clustercache

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

func crb(name, role string, subjects ...rbacv1.Subject) *rbacv1.ClusterRoleBinding {
	return &rbacv1.ClusterRoleBinding{ObjectMeta: om("", name), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role}, Subjects: subjects}
}

func rb(ns, name, kind, role string, subjects ...rbacv1.Subject) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{ObjectMeta: om(ns, name), RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: kind, Name: role}, Subjects: subjects}
}

var alice = rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: "User", Name: "alice"}

func bindingNames(bs []*rules.Binding) string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Kind+":"+b.Namespace+"/"+b.Name)
	}
	return strings.Join(out, " ")
}

func TestTransformBindings(t *testing.T) {
	labels := map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults", "app": "x"}
	in := &rbacv1.ClusterRoleBinding{ObjectMeta: fullMeta("", "b", labels, lastApplied),
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"}, Subjects: []rbacv1.Subject{alice}}
	out, _ := TransformClusterRoleBinding(in)
	want := &cachedBinding{Binding: rules.Binding{Kind: rules.KindClusterRoleBinding, Name: "b",
		Labels: map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}, RoleRef: in.RoleRef, Subjects: in.Subjects}, resourceVersion: "42"}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("ClusterRoleBinding:\n got %s\nwant %s", toJSON(t, out), toJSON(t, want))
	}
	inRB := &rbacv1.RoleBinding{ObjectMeta: fullMeta("team-a", "b", map[string]string{"app": "x"}, lastApplied),
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "r"}, Subjects: []rbacv1.Subject{alice}}
	outRB, _ := TransformRoleBinding(inRB)
	wantRB := &cachedBinding{Binding: rules.Binding{Kind: rules.KindRoleBinding, Namespace: "team-a", Name: "b", RoleRef: inRB.RoleRef, Subjects: inRB.Subjects}, resourceVersion: "42"}
	if !reflect.DeepEqual(outRB, wantRB) {
		t.Errorf("RoleBinding:\n got %s\nwant %s", toJSON(t, outRB), toJSON(t, wantRB))
	}
	// The store keys it and tells resyncs from updates as it would the
	// RoleBinding (meta.Accessor: namespace, name, resourceVersion).
	if key, err := toolscache.MetaNamespaceKeyFunc(outRB); err != nil || key != "team-a/b" {
		t.Errorf("store key = %q, %v; want team-a/b", key, err)
	}
	if m, err := meta.Accessor(outRB); err != nil || m.GetResourceVersion() != "42" || m.GetName() != "b" || m.GetNamespace() != "team-a" {
		t.Errorf("meta.Accessor = %v, %v", m, err)
	}
	// Idempotent.
	again, _ := TransformRoleBinding(outRB)
	if again != outRB {
		t.Error("TransformRoleBinding is not idempotent")
	}
}

func TestBindingLookups(t *testing.T) {
	c, err := NewStatic(Options{},
		crb("alice-widget", "widget", alice),
		rb("team-a", "alice-widget", "ClusterRole", "widget", alice),
		rb("team-a", "ci", "Role", "deployer", alice),
		&rbacv1.ClusterRole{ObjectMeta: om("", "widget")},
		&rbacv1.ClusterRole{ObjectMeta: om("", "view")},
	)
	if err != nil {
		t.Fatal(err)
	}
	bs, err := c.Bindings(rules.RoleKey{Kind: rules.KindClusterRole, Name: "widget"})
	if got, want := bindingNames(bs), "ClusterRoleBinding:/alice-widget RoleBinding:team-a/alice-widget"; err != nil || got != want {
		t.Errorf("Bindings(widget) = %s, %v; want %s", got, err, want)
	}
	bs, err = c.Bindings(rules.RoleKey{Kind: rules.KindRole, Namespace: "team-a", Name: "deployer"})
	if got := bindingNames(bs); err != nil || got != "RoleBinding:team-a/ci" {
		t.Errorf("Bindings(team-a/deployer) = %s, %v", got, err)
	}
	if bs, err := c.Bindings(rules.RoleKey{Kind: rules.KindRole, Namespace: "team-b", Name: "deployer"}); err != nil || len(bs) != 0 {
		t.Errorf("Bindings(team-b/deployer) = %s, %v; want none", bindingNames(bs), err)
	}
	crs, err := c.ClusterRoleIndex()
	if err != nil || len(crs.All()) != 2 {
		t.Errorf("ClusterRoleIndex().All() = %v, %v; want 2 ClusterRoles", crs, err)
	}
}

func TestBindingEvents(t *testing.T) {
	c, _ := NewStatic(Options{})
	key := rules.RoleKey{Kind: rules.KindClusterRole, Name: "widget"}
	h := c.bindingHandler(rules.KindClusterRoleBinding)
	h.OnAdd(crb("a", "widget", alice), true)
	h.OnAdd(crb("b", "widget", alice), false)
	h.OnUpdate(crb("b", "widget", alice), crb("b", "widget"))
	if bs := c.bindings.Bindings(key); bindingNames(bs) != "ClusterRoleBinding:/a ClusterRoleBinding:/b" || len(bs[1].Subjects) != 0 {
		t.Fatalf("after add and update: %s", bindingNames(bs))
	}
	h.OnDelete(crb("a", "widget"))
	// A tombstone with the last known object, then one with only the key.
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "b"})
	if bs := c.bindings.Bindings(key); len(bs) != 0 {
		t.Errorf("after deletes: %s", bindingNames(bs))
	}
	hr := c.bindingHandler(rules.KindRoleBinding)
	hr.OnAdd(rb("team-a", "x", "ClusterRole", "widget", alice), false)
	hr.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "team-a/x", Obj: rb("team-a", "x", "ClusterRole", "widget")})
	hr.OnAdd("not a binding", false)
	if c.bindings.Len() != 0 {
		t.Errorf("%d bindings left", c.bindings.Len())
	}
}

// fakeLive is a liveReader with canned answers.
type fakeLive struct {
	cr    *rbacv1.ClusterRole
	r     *rbacv1.Role
	bs    []*rules.Binding
	err   error
	calls int
}

func (f *fakeLive) clusterRole(context.Context, string) (*rbacv1.ClusterRole, error) {
	f.calls++
	return f.cr, f.err
}

func (f *fakeLive) role(context.Context, string, string) (*rbacv1.Role, error) {
	f.calls++
	return f.r, f.err
}

func (f *fakeLive) bindings(context.Context, rules.RoleKey) ([]*rules.Binding, error) {
	f.calls++
	return f.bs, f.err
}

// TestLiveReads: what the informers may not have seen yet is read from the
// API server: a role the cache does not hold, and the bindings of a role.
func TestLiveReads(t *testing.T) {
	c, _ := NewStatic(Options{}, &rbacv1.ClusterRole{ObjectMeta: om("", "cached")}, crb("cached", "widget", alice))
	live := &fakeLive{cr: &rbacv1.ClusterRole{ObjectMeta: om("", "fresh")}, r: &rbacv1.Role{ObjectMeta: om("team-a", "fresh")}}
	c.live = live

	if cr, err := c.ClusterRole("cached"); err != nil || cr == nil || cr.Name != "cached" || live.calls != 0 {
		t.Errorf("a cached ClusterRole is read from the cache: %v, %v, %d live calls", cr, err, live.calls)
	}
	if cr, err := c.ClusterRole("fresh"); err != nil || cr == nil || cr.Name != "fresh" {
		t.Errorf("a ClusterRole missing from the cache is read live: %v, %v", cr, err)
	}
	if r, err := c.Role("team-a", "fresh"); err != nil || r == nil {
		t.Errorf("a Role missing from the cache is read live: %v, %v", r, err)
	}
	key := rules.RoleKey{Kind: rules.KindClusterRole, Name: "widget"}
	live.bs = []*rules.Binding{{Kind: rules.KindClusterRoleBinding, Name: "just-created"}}
	if bs, err := c.Bindings(key); err != nil || bindingNames(bs) != "ClusterRoleBinding:/just-created" {
		t.Errorf("Bindings answers from the API server: %s, %v", bindingNames(bs), err)
	}

	// The API server cannot be reached: the cache answers when it knows a
	// binding; else the check cannot be made (a warning, not a pass).
	live.err = errors.New("connection refused")
	if bs, err := c.Bindings(key); err != nil || bindingNames(bs) != "ClusterRoleBinding:/cached" {
		t.Errorf("Bindings with the API server away: %s, %v; want the cached one", bindingNames(bs), err)
	}
	if _, err := c.Bindings(rules.RoleKey{Kind: rules.KindClusterRole, Name: "other"}); !errors.Is(err, rules.ErrUnavailable) {
		t.Errorf("Bindings with the API server away and nothing cached: %v, want ErrUnavailable", err)
	}
	if _, err := c.ClusterRole("fresh"); !errors.Is(err, rules.ErrUnavailable) {
		t.Errorf("ClusterRole with the API server away: %v, want ErrUnavailable", err)
	}
	// Not found in the API server either: it does not exist.
	live.err, live.cr = nil, nil
	if cr, err := c.ClusterRole("gone"); err != nil || cr != nil {
		t.Errorf("ClusterRole that does not exist: %v, %v", cr, err)
	}
}
