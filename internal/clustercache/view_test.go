package clustercache

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

func om(ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, ResourceVersion: "1"}
}

func ingress(ns, name, class, host string, paths ...string) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	ing := &networkingv1.Ingress{ObjectMeta: om(ns, name)}
	if class != "" {
		ing.Spec.IngressClassName = &class
	}
	r := networkingv1.IngressRule{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}
	for _, p := range paths {
		r.HTTP.Paths = append(r.HTTP.Paths, networkingv1.HTTPIngressPath{Path: p, PathType: &prefix})
	}
	ing.Spec.Rules = []networkingv1.IngressRule{r}
	return ing
}

func key(class, host, path string) rules.IngressKey {
	return rules.IngressKey{Class: class, Host: host, Path: path, PathType: "Prefix"}
}

func refs(rs []rules.ObjectRef) string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Namespace+"/"+r.Name)
	}
	return "[" + strings.Join(out, " ") + "]"
}

// lookups calls every lookup of the ClusterView (and NamespaceLabels) and
// returns their errors by name.
func lookups(c *Cache) map[string]error {
	errs := map[string]error{}
	_, errs["NamespaceLabels"] = c.NamespaceLabels("team-a")
	_, errs["LimitRanges"] = c.LimitRanges("team-a")
	_, errs["IngressClass"] = c.IngressClass("nginx")
	_, errs["DefaultIngressClasses"] = c.DefaultIngressClasses()
	_, errs["IngressClaims"] = claimsOf(c, key("nginx", "shop.example.com", "/"))
	_, errs["IngressHost"] = c.IngressHost("nginx", "shop.example.com")
	_, errs["IngressClasses"] = c.IngressClasses()
	_, errs["Role"] = c.Role("team-a", "reader")
	_, errs["ClusterRole"] = c.ClusterRole("admin")
	_, errs["ClusterRoleIndex"] = c.ClusterRoleIndex()
	_, errs["Bindings"] = c.Bindings(rules.RoleKey{Kind: rules.KindClusterRole, Name: "admin"})
	_, errs["PriorityClass"] = c.PriorityClass("high")
	_, errs["SecretExists"] = c.SecretExists("team-a", "tls")
	return errs
}

func TestUnsyncedLookupsAreUnavailable(t *testing.T) {
	var synced atomic.Bool
	c := newOverStores(Options{SecretLookups: true}, synced.Load)
	// Even with objects in the stores, nothing is answered before sync.
	if err := c.add(&corev1.Namespace{ObjectMeta: om("", "team-a")}); err != nil {
		t.Fatal(err)
	}
	if c.Synced() {
		t.Fatal("Synced before the informers synced")
	}
	want := map[string]string{
		"NamespaceLabels":       `Namespace "team-a"`,
		"LimitRanges":           `LimitRanges of namespace "team-a"`,
		"IngressClass":          `IngressClass "nginx"`,
		"DefaultIngressClasses": "default IngressClass",
		"IngressClaims":         `host "shop.example.com" path "/"`,
		"IngressHost":           `host "shop.example.com"`,
		"IngressClasses":        "the IngressClasses",
		"Role":                  `Role "reader" in namespace "team-a"`,
		"ClusterRole":           `ClusterRole "admin"`,
		"ClusterRoles":          "the ClusterRoles",
		"Bindings":              `the bindings of ClusterRole "admin"`,
		"PriorityClass":         `PriorityClass "high"`,
		"SecretExists":          `Secret "tls" in namespace "team-a"`,
	}
	for name, err := range lookups(c) {
		if !errors.Is(err, rules.ErrUnavailable) {
			t.Errorf("%s before sync: err = %v, want ErrUnavailable", name, err)
			continue
		}
		if !strings.Contains(err.Error(), want[name]) || !strings.Contains(err.Error(), "still syncing") {
			t.Errorf("%s before sync: %q does not say what was asked (%s)", name, err, want[name])
		}
	}
	// The rules turn it into a warning, never a silent pass.
	if v := rules.LookupFailed(lookups(c)["ClusterRole"], nil, `ClusterRole "admin"`); len(v) != 1 || v[0].AtMost != rules.ActionWarn {
		t.Errorf("LookupFailed = %+v, want one warning", v)
	}

	synced.Store(true)
	if !c.Synced() {
		t.Fatal("not Synced after the informers synced")
	}
	for name, err := range lookups(c) {
		if err != nil {
			t.Errorf("%s after sync: %v", name, err)
		}
	}
	// Sync latches: informers never un-sync.
	synced.Store(false)
	if !c.Synced() {
		t.Error("Synced flipped back")
	}
}

func TestSecretLookupsDisabled(t *testing.T) {
	c, err := NewStatic(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ok, err := c.SecretExists("team-a", "tls")
	if ok || !errors.Is(err, rules.ErrNotInInput) {
		t.Errorf("SecretExists without secret lookups = %v, %v; want ErrNotInInput (skip quietly)", ok, err)
	}
	if rules.LookupFailed(err, nil, "secret") != nil {
		t.Error("disabled secret lookups must not warn")
	}
	if _, err := NewStatic(Options{}, &corev1.Secret{ObjectMeta: om("a", "b")}); err == nil {
		t.Error("NewStatic accepted a Secret without SecretLookups")
	}
	if _, err := NewStatic(Options{}, &corev1.ConfigMap{ObjectMeta: om("a", "b")}); err == nil {
		t.Error("NewStatic accepted a ConfigMap")
	}
}

func TestLookups(t *testing.T) {
	never := corev1.PreemptNever
	objs := []runtime.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Labels: map[string]string{"guardrails.dev/mode": "enforce"}}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bare"}},
		&corev1.LimitRange{ObjectMeta: om("team-a", "z-second"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer}}}},
		&corev1.LimitRange{ObjectMeta: om("team-a", "a-first")},
		&corev1.LimitRange{ObjectMeta: om("team-b", "other")},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "alb", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "true"}}},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "traefik", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "True"}}},
		&networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "haproxy", Annotations: map[string]string{networkingv1.AnnotationIsDefaultIngressClass: "false"}}},
		&rbacv1.Role{ObjectMeta: om("team-a", "reader"), Rules: []rbacv1.PolicyRule{{Verbs: []string{"get"}}}},
		&rbacv1.ClusterRole{ObjectMeta: om("", "admin"), Rules: []rbacv1.PolicyRule{{Verbs: []string{"*"}}}},
		&schedulingv1.PriorityClass{ObjectMeta: om("", "high"), Value: 1000, PreemptionPolicy: &never},
		&corev1.Secret{ObjectMeta: om("team-a", "tls"), Data: map[string][]byte{"k": []byte("v")}},
		ingress("team-a", "shop", "nginx", "shop.example.com", "/"),
		ingress("team-b", "shop", "nginx", "SHOP.example.com", "/"),
	}
	c, err := NewStatic(Options{SecretLookups: true}, objs...)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Synced() || c.ReadyCheck(nil) != nil {
		t.Fatal("static cache not synced")
	}

	check := func(what string, got, want any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %v", what, err)
		} else if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %#v, want %#v", what, got, want)
		}
	}

	labels, err := c.NamespaceLabels("team-a")
	check("labels of team-a", labels, map[string]string{"guardrails.dev/mode": "enforce"}, err)
	labels, err = c.NamespaceLabels("bare")
	check("labels of unlabelled namespace", labels, map[string]string{}, err)
	if labels == nil {
		t.Error("an existing unlabelled namespace must not look like a missing one")
	}
	labels, err = c.NamespaceLabels("missing")
	check("labels of missing namespace", labels, map[string]string(nil), err)
	labels, err = c.NamespaceLabels("")
	check("labels of cluster scope", labels, map[string]string(nil), err)

	lrs, err := c.LimitRanges("team-a")
	var names []string
	for _, lr := range lrs {
		names = append(names, lr.Name)
	}
	check("LimitRanges(team-a)", names, []string{"a-first", "z-second"}, err)
	if len(lrs) == 2 && len(lrs[1].Spec.Limits) != 1 {
		t.Error("LimitRange spec not kept")
	}
	lrs, err = c.LimitRanges("team-c")
	check("LimitRanges(team-c)", lrs, []*corev1.LimitRange(nil), err)

	ic, err := c.IngressClass("nginx")
	if err != nil || ic == nil || ic.Spec.Controller != "k8s.io/ingress-nginx" {
		t.Errorf("IngressClass(nginx) = %v, %v", ic, err)
	}
	ic, err = c.IngressClass("missing")
	check("IngressClass(missing)", ic, (*networkingv1.IngressClass)(nil), err)
	defaults, err := c.DefaultIngressClasses()
	check("DefaultIngressClasses", defaults, []string{"alb", "nginx"}, err) // exactly "true", sorted

	role, err := c.Role("team-a", "reader")
	if err != nil || role == nil || len(role.Rules) != 1 {
		t.Errorf("Role(team-a, reader) = %v, %v", role, err)
	}
	role, err = c.Role("team-b", "reader")
	check("Role in another namespace", role, (*rbacv1.Role)(nil), err)
	cr, err := c.ClusterRole("admin")
	if err != nil || cr == nil || cr.Rules[0].Verbs[0] != "*" {
		t.Errorf("ClusterRole(admin) = %v, %v", cr, err)
	}
	cr, err = c.ClusterRole("missing")
	check("ClusterRole(missing)", cr, (*rbacv1.ClusterRole)(nil), err)
	pc, err := c.PriorityClass("high")
	if err != nil || pc == nil || pc.Value != 1000 || *pc.PreemptionPolicy != never {
		t.Errorf("PriorityClass(high) = %v, %v", pc, err)
	}
	pc, err = c.PriorityClass("missing")
	check("PriorityClass(missing)", pc, (*schedulingv1.PriorityClass)(nil), err)

	ok, err := c.SecretExists("team-a", "tls")
	check("SecretExists(team-a/tls)", ok, true, err)
	ok, err = c.SecretExists("team-b", "tls")
	check("SecretExists(team-b/tls)", ok, false, err)
	obj, _, _ := c.secrets.store.GetByKey("team-a/tls")
	if _, isMeta := obj.(*metav1.PartialObjectMetadata); !isMeta {
		t.Errorf("secret stored as %T, want metadata only", obj)
	}

	claims, err := claimsOf(c, key("nginx", "shop.example.com", "/"))
	check("IngressClaims", refs(claims), "[team-a/shop team-b/shop]", err)
	claims, err = claimsOf(c, key("nginx", "other.example.com", "/"))
	check("IngressClaims(unclaimed)", claims, []rules.ObjectRef(nil), err)
	holders, err := c.IngressHost("nginx", "shop.example.com")
	check("IngressHost", holders, []rules.HostHolder{{Namespace: "team-a", Ingress: "shop", ShareWith: []string{}}, {Namespace: "team-b", Ingress: "shop", ShareWith: []string{}}}, err)
	holders, err = c.IngressHost("nginx", "other.example.com")
	check("IngressHost(unserved)", holders, []rules.HostHolder(nil), err)
	classes, err := c.IngressClasses()
	names = nil
	for _, ic := range classes {
		names = append(names, ic.Name)
	}
	check("IngressClasses", names, []string{"alb", "haproxy", "nginx", "traefik"}, err)
}

// TestIngressEvents drives the informer's event handler directly: add,
// update moving the host, resync, delete, tombstones.
func TestIngressEvents(t *testing.T) {
	c := newOverStores(Options{}, func() bool { return true })
	h := c.ingressHandler()
	// trim makes the record the informer would store for ing at
	// resourceVersion rv, with annotations ann.
	trim := func(ing *networkingv1.Ingress, rv string, ann map[string]string) any {
		ing.ResourceVersion, ing.Annotations = rv, ann
		out, _ := TransformIngress(ing)
		if _, ok := out.(*cachedIngress); !ok {
			t.Fatalf("TransformIngress gave %T", out)
		}
		return out
	}
	claims := func(host string) string {
		t.Helper()
		r, err := claimsOf(c, key("nginx", host, "/"))
		if err != nil {
			t.Fatal(err)
		}
		return refs(r)
	}

	a := trim(ingress("team-a", "web", "nginx", "a.example.com", "/"), "1", nil)
	b := trim(ingress("team-b", "web", "nginx", "a.example.com", "/"), "1", nil)
	h.OnAdd(a, true)
	h.OnAdd(b, false)
	if got := claims("a.example.com"); got != "[team-a/web team-b/web]" {
		t.Fatalf("after adds: %s", got)
	}

	// Update that moves team-b's Ingress to another host.
	b2 := trim(ingress("team-b", "web", "nginx", "b.example.com", "/"), "2", nil)
	h.OnUpdate(b, b2)
	if got := claims("a.example.com"); got != "[team-a/web]" {
		t.Errorf("old host after update: %s", got)
	}
	if got := claims("b.example.com"); got != "[team-b/web]" {
		t.Errorf("new host after update: %s", got)
	}

	// A resync replays the same object: nothing changes.
	h.OnUpdate(b2, b2)
	if got := claims("b.example.com"); got != "[team-b/web]" {
		t.Errorf("after resync: %s", got)
	}

	// Becoming a canary drops the claims.
	canary := trim(ingress("team-b", "web", "nginx", "b.example.com", "/"), "3", map[string]string{"nginx.ingress.kubernetes.io/canary": "true"})
	h.OnUpdate(b2, canary)
	if got := claims("b.example.com"); got != "[]" {
		t.Errorf("canary still indexed: %s", got)
	}

	// Delete, and a tombstone carrying the object.
	h.OnDelete(a)
	if got := claims("a.example.com"); got != "[]" {
		t.Errorf("after delete: %s", got)
	}
	d := trim(ingress("team-d", "web", "nginx", "d.example.com", "/"), "1", nil)
	e := trim(ingress("team-e", "web", "nginx", "e.example.com", "/"), "1", nil)
	h.OnAdd(d, false)
	h.OnAdd(e, false)
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "team-d/web", Obj: d})
	// A tombstone whose object is not an Ingress: the key decides.
	h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "team-e/web", Obj: "garbage"})
	if got := claims("d.example.com") + claims("e.example.com"); got != "[][]" {
		t.Errorf("after tombstones: %s", got)
	}
	// Odd input does not panic.
	h.OnAdd(nil, false)
	h.OnAdd("x", false)
	h.OnUpdate(nil, nil)
	h.OnDelete(nil)
	h.OnDelete((*networkingv1.Ingress)(nil))
	h.OnAdd((*cachedIngress)(nil), false)
	h.OnDelete((*cachedIngress)(nil))
	// An Ingress that did not go through the transform is indexed too.
	f := ingress("team-f", "web", "nginx", "f.example.com", "/")
	h.OnAdd(f, false)
	if got := claims("f.example.com"); got != "[team-f/web]" {
		t.Errorf("untransformed Ingress: %s", got)
	}
	h.OnDelete(f)
	if n := c.index.Len(); n != 0 {
		t.Errorf("index holds %d Ingresses, want 0", n)
	}
}

// TestStaticUpdate: adding an Ingress twice through the store path is an
// update, and replaces the claims.
func TestStaticUpdate(t *testing.T) {
	c, err := NewStatic(Options{}, ingress("a", "web", "nginx", "old.example.com", "/"))
	if err != nil {
		t.Fatal(err)
	}
	moved := ingress("a", "web", "nginx", "new.example.com", "/")
	moved.ResourceVersion = "2"
	if err := c.add(moved); err != nil {
		t.Fatal(err)
	}
	old, _ := claimsOf(c, key("nginx", "old.example.com", "/"))
	cur, _ := claimsOf(c, key("nginx", "new.example.com", "/"))
	if len(old) != 0 || len(cur) != 1 {
		t.Errorf("after update: old %v, new %v", old, cur)
	}
}

func TestRBACRules(t *testing.T) {
	format := func(rs []rbacv1.PolicyRule) string {
		var out []string
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%v %v %v", r.APIGroups, r.Resources, r.Verbs))
		}
		return strings.Join(out, "; ")
	}
	base := `[] [namespaces limitranges] [get list watch]; [networking.k8s.io] [ingresses ingressclasses] [get list watch]; ` +
		`[rbac.authorization.k8s.io] [roles clusterroles rolebindings clusterrolebindings] [get list watch]; [scheduling.k8s.io] [priorityclasses] [get list watch]`
	if got := format(RBACRulesFor(Options{})); got != base {
		t.Errorf("RBAC = %s", got)
	}
	if got := format(RBACRulesFor(Options{SecretLookups: true})); got != base+"; [] [secrets] [get list watch]" {
		t.Errorf("RBAC with secrets = %s", got)
	}
	// Every watched kind is covered by the rules, and nothing more.
	for _, opts := range []Options{{}, {SecretLookups: true}} {
		granted := map[string]bool{}
		for _, r := range RBACRulesFor(opts) {
			for _, g := range r.APIGroups {
				for _, res := range r.Resources {
					granted[g+"/"+res] = true
				}
			}
		}
		ks := kinds(opts)
		for _, k := range ks {
			if !granted[k.gvk.Group+"/"+k.resource] {
				t.Errorf("%s/%s watched but not in RBACRules", k.gvk.Group, k.resource)
			}
		}
		if len(granted) != len(ks) {
			t.Errorf("RBACRules grant %d resources, the cache watches %d", len(granted), len(ks))
		}
	}
}

// claimsOf collects what IngressClaims calls back with.
func claimsOf(c *Cache, key rules.IngressKey) ([]rules.ObjectRef, error) {
	var out []rules.ObjectRef
	err := c.IngressClaims(key, func(r rules.ObjectRef) { out = append(out, r) })
	return out, err
}
