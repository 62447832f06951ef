package deployrender

import (
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/clustercache"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// rendered holds one rendered install and its objects.
type rendered struct {
	name string
	docs []byte
	objs []*unstructured.Unstructured
	// secretLookups: the secret-lookups component is in.
	secretLookups bool
	certManager   bool
	// events: the events component is in (RBAC for Events, sideEffects
	// NoneOnDryRun, --events).
	events bool
	// preview, audit, policyReports: the preview, audit and
	// policy-reports components are in (their listing grants, the
	// audit's Lease Role, the PolicyReport CRDs and write access).
	preview, audit, policyReports bool
	// chart: rendered by `helm template` from the chart.
	chart bool
	// tlsSecret is the Secret the pods mount (default
	// guardrails-webhook-tls).
	tlsSecret string
	// externalCA is the caBundle (PEM) of an install whose Secret is not
	// among the rendered objects (the chart's existingSecret mode).
	externalCA []byte
}

var (
	renderOnce sync.Once
	renders    []*rendered
	renderErr  error
)

// installs renders the variants once per test binary: the overlays
// (cert-manager, self-signed with generated certificates), cert-manager
// with each optional component, and the Helm chart with its default
// values and each certificate mode (chartInstalls).
func installs(t *testing.T) []*rendered {
	t.Helper()
	renderOnce.Do(func() {
		root, err := RepoRoot()
		if err != nil {
			renderErr = err
			return
		}
		add := func(r *rendered, docs []byte, err error) {
			if err != nil && renderErr == nil {
				renderErr = fmt.Errorf("%s: %w", r.name, err)
			}
			if err != nil {
				return
			}
			objs, err := Objects(docs)
			if err != nil && renderErr == nil {
				renderErr = fmt.Errorf("%s: %w", r.name, err)
			}
			if r.tlsSecret == "" {
				r.tlsSecret = "guardrails-webhook-tls"
			}
			r.docs, r.objs = docs, objs
			renders = append(renders, r)
		}
		docs, err := Build(filepath.Join(root, CertManagerDir))
		add(&rendered{name: "cert-manager", certManager: true}, docs, err)
		docs, err = BuildSelfSigned(root)
		add(&rendered{name: "self-signed"}, docs, err)
		docs, err = Build(filepath.Join(root, "deploy/testdata/with-secret-lookups"))
		add(&rendered{name: "cert-manager+secret-lookups", secretLookups: true, certManager: true}, docs, err)
		docs, err = Build(filepath.Join(root, "deploy/testdata/with-events"))
		add(&rendered{name: "cert-manager+events", events: true, certManager: true}, docs, err)
		docs, err = Build(filepath.Join(root, "deploy/testdata/with-monitoring"))
		add(&rendered{name: "cert-manager+monitoring", certManager: true}, docs, err)
		docs, err = Build(filepath.Join(root, "deploy/testdata/with-preview"))
		add(&rendered{name: "cert-manager+preview", preview: true, certManager: true}, docs, err)
		docs, err = Build(filepath.Join(root, "deploy/testdata/with-audit"))
		add(&rendered{name: "cert-manager+audit+policy-reports", audit: true, policyReports: true, certManager: true}, docs, err)
		for _, c := range chartInstalls(root) {
			docs, err := c.render()
			add(c.r, docs, err)
		}
	})
	if renderErr != nil {
		t.Fatal(renderErr)
	}
	return renders
}

func mustFind[T any](t *testing.T, r *rendered, kind, name string, out *T) *T {
	t.Helper()
	u := Find(r.objs, kind, name)
	if u == nil {
		t.Fatalf("%s: no %s %s", r.name, kind, name)
	}
	if err := Decode(u, out); err != nil {
		t.Fatalf("%s: %v", r.name, err)
	}
	return out
}

// TestConfigCopies: the ConfigMap's configuration is the embedded default,
// and the secret-lookups component's differs from it in tlsSecretLookups
// only.
func TestConfigCopies(t *testing.T) {
	root := repoRoot(t)
	def := config.DefaultYAML()
	base, err := os.ReadFile(filepath.Join(root, BaseDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(base, def) {
		t.Errorf("deploy/base/config.yaml differs from internal/config/default.yaml: copy it again (cp internal/config/default.yaml deploy/base/config.yaml)")
	}
	comp, err := os.ReadFile(filepath.Join(root, SecretLookupsDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Replace(def, []byte("\n  tlsSecretLookups: false\n"), []byte("\n  tlsSecretLookups: true\n"), 1)
	if bytes.Equal(want, def) {
		t.Fatal("internal/config/default.yaml has no `  tlsSecretLookups: false` line; update the secret-lookups component")
	}
	if !bytes.Equal(comp, want) {
		t.Errorf("%s/config.yaml must be internal/config/default.yaml with tlsSecretLookups: true and nothing else changed", SecretLookupsDir)
	}
	cfg, err := config.Parse(comp, "secret-lookups")
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.Ingress.TLSSecretLookups {
		t.Error("the secret-lookups configuration does not enable tlsSecretLookups")
	}
}

// kindResources maps every kind the rules judge to its resource and scope.
var kindResources = map[schema.GroupKind]struct {
	resource   string
	namespaced bool
}{
	{Kind: "Pod"}:                                                    {"pods", true},
	{Kind: "ReplicationController"}:                                  {"replicationcontrollers", true},
	{Kind: "PodTemplate"}:                                            {"podtemplates", true},
	{Kind: "Namespace"}:                                              {"namespaces", false},
	{Group: "apps", Kind: "Deployment"}:                              {"deployments", true},
	{Group: "apps", Kind: "StatefulSet"}:                             {"statefulsets", true},
	{Group: "apps", Kind: "DaemonSet"}:                               {"daemonsets", true},
	{Group: "apps", Kind: "ReplicaSet"}:                              {"replicasets", true},
	{Group: "batch", Kind: "Job"}:                                    {"jobs", true},
	{Group: "batch", Kind: "CronJob"}:                                {"cronjobs", true},
	{Group: "networking.k8s.io", Kind: "Ingress"}:                    {"ingresses", true},
	{Group: "networking.k8s.io", Kind: "IngressClass"}:               {"ingressclasses", false},
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:              {"priorityclasses", false},
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:               {"roles", true},
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:        {"rolebindings", true},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:        {"clusterroles", false},
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}: {"clusterrolebindings", false},
}

// groupResource is "group/resource" ("/pods" for the core group).
func groupResources(t *testing.T, kinds []schema.GroupKind) (namespaced, cluster map[string]bool) {
	t.Helper()
	namespaced, cluster = map[string]bool{}, map[string]bool{}
	for _, gk := range kinds {
		r, ok := kindResources[gk]
		if !ok {
			t.Fatalf("a rule judges %v, which this test cannot map to a resource: add it to kindResources and to deploy/base/webhooks.yaml", gk)
		}
		if r.namespaced {
			namespaced[gk.Group+"/"+r.resource] = true
		} else {
			cluster[gk.Group+"/"+r.resource] = true
		}
	}
	return namespaced, cluster
}

func catalogueKinds() []schema.GroupKind {
	var out []schema.GroupKind
	for _, r := range rules.Catalogue() {
		out = append(out, r.Kinds...)
	}
	return out
}

// subresources returns, as "group/resource/subresource", the subresources
// the validating handler judges (admission.MetadataSubresources), split by
// scope like groupResources.
func subresources(t *testing.T) (namespaced, cluster map[string]bool) {
	t.Helper()
	namespaced, cluster = map[string]bool{}, map[string]bool{}
	for gk, subs := range admission.MetadataSubresources {
		r, ok := kindResources[gk]
		if !ok {
			t.Fatalf("admission.MetadataSubresources names %v, which this test cannot map to a resource", gk)
		}
		for _, sub := range subs {
			if r.namespaced {
				namespaced[gk.Group+"/"+r.resource+"/"+sub] = true
			} else {
				cluster[gk.Group+"/"+r.resource+"/"+sub] = true
			}
		}
	}
	return namespaced, cluster
}

// ruleSet flattens webhook rules, checking what every rule must hold:
// resources are judged on ops, and subresources (only where sub is set)
// on UPDATE only. It returns resources and subresources apart.
func ruleSet(t *testing.T, where string, rs []admissionregistrationv1.RuleWithOperations, ops []admissionregistrationv1.OperationType, scope admissionregistrationv1.ScopeType, sub bool) (resources, subs map[string]bool) {
	t.Helper()
	resources, subs = map[string]bool{}, map[string]bool{}
	update := []admissionregistrationv1.OperationType{admissionregistrationv1.Update}
	for _, r := range rs {
		if r.Scope == nil || *r.Scope != scope {
			t.Errorf("%s: scope %v, want %s", where, r.Scope, scope)
		}
		if !reflect.DeepEqual(r.APIVersions, []string{"v1"}) {
			t.Errorf("%s: apiVersions %v, want [v1] (matchPolicy Equivalent covers the others)", where, r.APIVersions)
		}
		isSub := slices.ContainsFunc(r.Resources, func(res string) bool { return strings.Contains(res, "/") })
		switch {
		case isSub && !sub:
			t.Errorf("%s: subresources %v: this webhook judges none", where, r.Resources)
		case isSub && !reflect.DeepEqual(r.Operations, update):
			t.Errorf("%s: operations %v on subresources %v, want %v", where, r.Operations, r.Resources, update)
		case !isSub && !reflect.DeepEqual(r.Operations, ops):
			t.Errorf("%s: operations %v, want %v", where, r.Operations, ops)
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				if strings.Contains(res, "*") || g == "*" {
					t.Errorf("%s: %s/%s: no wildcards", where, g, res)
				}
				if strings.Contains(res, "/") {
					if !isSub || strings.Count(res, "/") != 1 {
						t.Errorf("%s: %s/%s: a rule lists resources or subresources, not both", where, g, res)
					}
					subs[g+"/"+res] = true
				} else {
					resources[g+"/"+res] = true
				}
			}
		}
	}
	return resources, subs
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// selects reports whether a webhook's namespaceSelector matches a
// namespace with these labels (the API server adds
// kubernetes.io/metadata.name itself).
func selects(t *testing.T, sel *metav1.LabelSelector, name string, extra map[string]string) bool {
	t.Helper()
	if sel == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	l := labels.Set{"kubernetes.io/metadata.name": name}
	for k, v := range extra {
		l[k] = v
	}
	return s.Matches(l)
}

type common struct {
	name           string
	sideEffects    *admissionregistrationv1.SideEffectClass
	versions       []string
	timeout        *int32
	matchPolicy    *admissionregistrationv1.MatchPolicyType
	client         admissionregistrationv1.WebhookClientConfig
	matchCondition []admissionregistrationv1.MatchCondition
}

func checkCommon(t *testing.T, r *rendered, c common, path string) {
	t.Helper()
	where := r.name + " " + c.name
	// None, or NoneOnDryRun when the webhook records Events (never on a
	// dry run): either way server-side dry-run works.
	wantSE := admissionregistrationv1.SideEffectClassNone
	if r.events {
		wantSE = admissionregistrationv1.SideEffectClassNoneOnDryRun
	}
	if c.sideEffects == nil || *c.sideEffects != wantSE {
		t.Errorf("%s: sideEffects %v, want %s (server-side dry-run)", where, fmtPtr(c.sideEffects), wantSE)
	}
	if !reflect.DeepEqual(c.versions, []string{"v1"}) {
		t.Errorf("%s: admissionReviewVersions %v", where, c.versions)
	}
	if c.timeout == nil || *c.timeout > 5 || *c.timeout < 1 {
		t.Errorf("%s: timeoutSeconds %s, want 1-5", where, fmtPtr(c.timeout))
	}
	if c.matchPolicy == nil || *c.matchPolicy != admissionregistrationv1.Equivalent {
		t.Errorf("%s: matchPolicy %v", where, c.matchPolicy)
	}
	svc := c.client.Service
	if svc == nil || svc.Name != ServiceName || svc.Namespace != Namespace || svc.Path == nil || *svc.Path != path || svc.Port == nil || *svc.Port != 443 {
		t.Errorf("%s: clientConfig.service %+v, want %s/%s:443%s", where, svc, Namespace, ServiceName, path)
	}
	if c.client.URL != nil {
		t.Errorf("%s: clientConfig.url set", where)
	}
	exempt := false
	for _, mc := range c.matchCondition {
		if strings.ReplaceAll(mc.Expression, " ", "") == "request.userInfo.username!='system:apiserver'" {
			exempt = true
		}
	}
	if !exempt {
		t.Errorf("%s: no matchCondition leaving out the API server's own requests (bootstrap RBAC must never wait on the webhook)", where)
	}
	if r.certManager {
		return
	}
	block, _ := pem.Decode(c.client.CABundle)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Errorf("%s: caBundle is not a PEM certificate", where)
	}
}

func TestWebhookConfigurations(t *testing.T) {
	wantNS, wantCluster := groupResources(t, catalogueKinds())
	wantNSSubs, wantClusterSubs := subresources(t)
	wantMutate, _ := groupResources(t, rules.PodKinds)
	create := []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
	createUpdate := []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update}

	for _, r := range installs(t) {
		t.Run(r.name, func(t *testing.T) {
			v, m, err := WebhookConfigurations(r.docs)
			if err != nil {
				t.Fatal(err)
			}
			if r.certManager {
				for _, a := range []map[string]string{v.Annotations, m.Annotations} {
					if a["cert-manager.io/inject-ca-from"] != Namespace+"/guardrails-webhook" {
						t.Errorf("inject-ca-from = %q", a["cert-manager.io/inject-ca-from"])
					}
				}
			} else {
				ca := r.externalCA
				if ca == nil {
					ca = mustFind(t, r, "Secret", r.tlsSecret, &corev1.Secret{}).Data["ca.crt"]
				}
				for _, wh := range v.Webhooks {
					if !bytes.Equal(wh.ClientConfig.CABundle, ca) {
						t.Errorf("%s: caBundle is not the CA of the serving certificate", wh.Name)
					}
				}
				for _, wh := range m.Webhooks {
					if !bytes.Equal(wh.ClientConfig.CABundle, ca) {
						t.Errorf("%s: caBundle is not the CA of the serving certificate", wh.Name)
					}
				}
			}

			// Which validating entry serves which namespace: every
			// combination of mode and failure-policy label, served by
			// exactly the entry whose failure policy matches what the
			// webhook can do there (deny only in enforce and for invalid
			// modes, which it serves as enforce), or by none.
			failNS := "namespaced.validate.guardrails.dev"
			ignoreNS := "namespaced-ignore.validate.guardrails.dev"
			nondenyingNS := "namespaced-nondenying.validate.guardrails.dev"
			clusterWH := "cluster.validate.guardrails.dev"
			namespaced := map[string]*admissionregistrationv1.ValidatingWebhook{}
			for i := range v.Webhooks {
				wh := &v.Webhooks[i]
				checkCommon(t, r, common{wh.Name, wh.SideEffects, wh.AdmissionReviewVersions, wh.TimeoutSeconds, wh.MatchPolicy, wh.ClientConfig, wh.MatchConditions}, "/validate")
				if wh.ObjectSelector != nil && len(wh.ObjectSelector.MatchLabels)+len(wh.ObjectSelector.MatchExpressions) > 0 {
					t.Errorf("%s: objectSelector set: objects could opt themselves out", wh.Name)
				}
				switch wh.Name {
				case failNS, ignoreNS, nondenyingNS:
					namespaced[wh.Name] = wh
				case clusterWH:
				default:
					t.Errorf("unexpected validating webhook %s", wh.Name)
				}
			}
			for _, name := range []string{failNS, ignoreNS, nondenyingNS} {
				if namespaced[name] == nil {
					t.Fatalf("no validating webhook %s", name)
				}
			}
			const absent = "(absent)"
			for _, mode := range []string{absent, "enforce", "warn", "audit", "Enforce", "off"} {
				for _, fp := range []string{absent, "ignore", "fail", "Ignore"} {
					labels := map[string]string{}
					if mode != absent {
						labels["guardrails.dev/mode"] = mode
					}
					if fp != absent {
						labels["guardrails.dev/failure-policy"] = fp
					}
					want := ""
					switch {
					case mode == absent:
					case mode == "warn" || mode == "audit":
						want = nondenyingNS
					case fp == "ignore":
						want = ignoreNS
					default: // enforce, or an invalid mode served as enforce
						want = failNS
					}
					var served []string
					for name, wh := range namespaced {
						if selects(t, wh.NamespaceSelector, "team-a", labels) {
							served = append(served, name)
						}
						if selects(t, wh.NamespaceSelector, Namespace, labels) {
							t.Errorf("%s serves the webhook's own namespace labelled %v", name, labels)
						}
					}
					sort.Strings(served)
					if want == "" && len(served) > 0 || want != "" && (len(served) != 1 || served[0] != want) {
						t.Errorf("mode %s, failure-policy %s: served by %v, want %q", mode, fp, served, want)
					}
				}
			}
			var gotNS, gotCluster, gotNSSubs, gotClusterSubs map[string]bool
			for _, wh := range v.Webhooks {
				switch wh.Name {
				case failNS, ignoreNS, nondenyingNS:
					want := admissionregistrationv1.Ignore
					if wh.Name == failNS {
						want = admissionregistrationv1.Fail
					}
					if wh.FailurePolicy == nil || *wh.FailurePolicy != want {
						t.Errorf("%s: failurePolicy %v, want %s", wh.Name, fmtPtr(wh.FailurePolicy), want)
					}
					got, subs := ruleSet(t, wh.Name, wh.Rules, createUpdate, admissionregistrationv1.NamespacedScope, true)
					if gotNS != nil && (!reflect.DeepEqual(got, gotNS) || !reflect.DeepEqual(subs, gotNSSubs)) {
						t.Errorf("the namespaced entries cover different resources")
					}
					gotNS, gotNSSubs = got, subs
				case clusterWH:
					// Fails open: the API server's fallback policies
					// (TestFallbackComponent) hold what must hold meanwhile.
					if wh.FailurePolicy == nil || *wh.FailurePolicy != admissionregistrationv1.Ignore {
						t.Errorf("%s: failurePolicy %v, want Ignore (see webhooks.yaml)", wh.Name, fmtPtr(wh.FailurePolicy))
					}
					gotCluster, gotClusterSubs = ruleSet(t, wh.Name, wh.Rules, createUpdate, admissionregistrationv1.ClusterScope, true)
					// For Namespace objects the selector is matched against
					// the Namespace's own labels: it must not depend on the
					// mode label (removing it must reach the webhook), and
					// must leave out the webhook's own namespace.
					for _, labels := range []map[string]string{nil, {"guardrails.dev/mode": "enforce"}, {"guardrails.dev/failure-policy": "ignore"}} {
						if !selects(t, wh.NamespaceSelector, "team-a", labels) {
							t.Errorf("%s: a Namespace labelled %v is not judged", wh.Name, labels)
						}
						if selects(t, wh.NamespaceSelector, Namespace, labels) {
							t.Errorf("%s: the webhook's own Namespace labelled %v is judged", wh.Name, labels)
						}
					}
				}
			}
			if !reflect.DeepEqual(keys(gotNS), keys(wantNS)) {
				t.Errorf("namespaced entries cover %v, the rules judge %v", keys(gotNS), keys(wantNS))
			}
			// IngressClass and PriorityClass are judged by no rule of their
			// own (they are looked up), so only the kinds the rules judge.
			if !reflect.DeepEqual(keys(gotCluster), keys(wantCluster)) {
				t.Errorf("cluster entry covers %v, the rules judge %v", keys(gotCluster), keys(wantCluster))
			}
			// The side doors: subresources whose updates change metadata.
			if !reflect.DeepEqual(keys(gotNSSubs), keys(wantNSSubs)) {
				t.Errorf("namespaced entries cover the subresources %v, the handler judges %v", keys(gotNSSubs), keys(wantNSSubs))
			}
			if !reflect.DeepEqual(keys(gotClusterSubs), keys(wantClusterSubs)) {
				t.Errorf("cluster entry covers the subresources %v, the handler judges %v", keys(gotClusterSubs), keys(wantClusterSubs))
			}

			if len(m.Webhooks) == 0 {
				t.Fatal("no mutating webhook")
			}
			for _, wh := range m.Webhooks {
				checkCommon(t, r, common{wh.Name, wh.SideEffects, wh.AdmissionReviewVersions, wh.TimeoutSeconds, wh.MatchPolicy, wh.ClientConfig, wh.MatchConditions}, "/mutate")
				if wh.FailurePolicy == nil || *wh.FailurePolicy != admissionregistrationv1.Ignore {
					t.Errorf("%s: failurePolicy %v: mutation must never block", wh.Name, wh.FailurePolicy)
				}
				if wh.ReinvocationPolicy == nil || *wh.ReinvocationPolicy != admissionregistrationv1.IfNeededReinvocationPolicy {
					t.Errorf("%s: reinvocationPolicy %v", wh.Name, wh.ReinvocationPolicy)
				}
				got, _ := ruleSet(t, wh.Name, wh.Rules, create, admissionregistrationv1.NamespacedScope, false)
				if !reflect.DeepEqual(keys(got), keys(wantMutate)) {
					t.Errorf("%s covers %v, mutation touches %v", wh.Name, keys(got), keys(wantMutate))
				}
				if selects(t, wh.NamespaceSelector, Namespace, map[string]string{"guardrails.dev/mode": "enforce"}) {
					t.Errorf("%s serves the webhook's own namespace", wh.Name)
				}
				if selects(t, wh.NamespaceSelector, "team-d", nil) || !selects(t, wh.NamespaceSelector, "team-a", map[string]string{"guardrails.dev/mode": "warn"}) {
					t.Errorf("%s: not served exactly where guardrails.dev/mode is set", wh.Name)
				}
			}
		})
	}
}

func podLabels(d *appsv1.Deployment) labels.Set { return labels.Set(d.Spec.Template.Labels) }

func TestWorkload(t *testing.T) {
	root := repoRoot(t)
	serveSrc, err := os.ReadFile(filepath.Join(root, "cmd/webhook/serve.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range installs(t) {
		t.Run(r.name, func(t *testing.T) {
			for _, o := range r.objs {
				if o.GetKind() == "Namespace" || o.GetKind() == "CustomResourceDefinition" {
					continue
				}
				ns := o.GetNamespace()
				switch o.GetKind() {
				case "ClusterRole", "ClusterRoleBinding", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration",
					"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding":
					if ns != "" {
						t.Errorf("%s %s has namespace %q", o.GetKind(), o.GetName(), ns)
					}
				default:
					if ns != Namespace {
						t.Errorf("%s %s is in namespace %q, want %s", o.GetKind(), o.GetName(), ns, Namespace)
					}
				}
			}

			d := mustFind(t, r, "Deployment", "guardrails-webhook", &appsv1.Deployment{})
			if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
				t.Errorf("replicas %v, want 2 or more", d.Spec.Replicas)
			}
			sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
			if err != nil || !sel.Matches(podLabels(d)) {
				t.Fatalf("selector %v does not match the pod labels", d.Spec.Selector)
			}
			ps := d.Spec.Template.Spec
			spread := false
			for _, c := range ps.TopologySpreadConstraints {
				if c.TopologyKey == corev1.LabelHostname && c.WhenUnsatisfiable == corev1.DoNotSchedule && c.MaxSkew == 1 {
					s, _ := metav1.LabelSelectorAsSelector(c.LabelSelector)
					spread = s != nil && s.Matches(podLabels(d))
				}
			}
			if ps.Affinity != nil && ps.Affinity.PodAntiAffinity != nil {
				for _, a := range ps.Affinity.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution {
					spread = spread || a.TopologyKey == corev1.LabelHostname
				}
			}
			if !spread {
				t.Error("replicas may share a node: no hostname topology spread (DoNotSchedule) or required anti-affinity")
			}
			if ps.PriorityClassName != rules.SystemClusterCritical {
				t.Errorf("priorityClassName %q", ps.PriorityClassName)
			}
			if ps.SecurityContext == nil || ps.SecurityContext.RunAsNonRoot == nil || !*ps.SecurityContext.RunAsNonRoot ||
				ps.SecurityContext.SeccompProfile == nil || ps.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod securityContext %+v", ps.SecurityContext)
			}
			if ps.HostNetwork || ps.HostPID || ps.HostIPC {
				t.Error("host namespaces")
			}
			if len(ps.Containers) != 1 || len(ps.InitContainers) != 0 {
				t.Fatalf("want one container, have %d (+%d init)", len(ps.Containers), len(ps.InitContainers))
			}
			c := ps.Containers[0]
			sc := c.SecurityContext
			if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
				sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.Privileged != nil && *sc.Privileged ||
				sc.Capabilities == nil || !reflect.DeepEqual(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 ||
				sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("container securityContext is not restricted: %+v", sc)
			}
			for _, res := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[res]; !ok {
					t.Errorf("no %s request", res)
				}
				if _, ok := c.Resources.Limits[res]; !ok {
					t.Errorf("no %s limit", res)
				}
			}

			ports := map[string]int32{}
			for _, p := range c.Ports {
				ports[p.Name] = p.ContainerPort
			}
			if ports["webhook"] != 9443 || ports["metrics"] != 8080 || ports["health"] != 8081 {
				t.Errorf("container ports %v", ports)
			}
			probe := func(what string, p *corev1.Probe, path string) {
				if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromString("health") {
					t.Errorf("%s probe %+v, want GET %s on port health", what, p, path)
				}
			}
			probe("readiness", c.ReadinessProbe, "/readyz")
			probe("liveness", c.LivenessProbe, "/healthz")

			// Flags: each one exists in `webhook serve`, and the mounts
			// are where they point.
			args := map[string]string{}
			for _, a := range c.Args[1:] {
				k, v, ok := strings.Cut(strings.TrimPrefix(a, "--"), "=")
				if !ok || !strings.HasPrefix(a, "--") {
					t.Errorf("arg %q: want --flag=value", a)
					continue
				}
				if !bytes.Contains(serveSrc, []byte(`"`+k+`"`)) {
					t.Errorf("arg %q: `webhook serve` has no flag --%s", a, k)
				}
				args[k] = v
			}
			if len(c.Args) == 0 || c.Args[0] != "serve" {
				t.Fatalf("args %v: want serve first", c.Args)
			}
			if args["port"] != "9443" || args["health-probe-bind-address"] != ":8081" || args["metrics-bind-address"] != ":8080" {
				t.Errorf("serve flags %v", args)
			}
			mounts := map[string]corev1.VolumeMount{}
			for _, vm := range c.VolumeMounts {
				mounts[vm.Name] = vm
				if !vm.ReadOnly || vm.SubPath != "" {
					t.Errorf("mount %s: want a read-only directory mount (a subPath never sees Secret updates)", vm.Name)
				}
			}
			vols := map[string]corev1.Volume{}
			for _, v := range ps.Volumes {
				vols[v.Name] = v
			}
			if mounts["certs"].MountPath != args["cert-dir"] || vols["certs"].Secret == nil || vols["certs"].Secret.SecretName != r.tlsSecret {
				t.Errorf("--cert-dir=%s, certs mount %+v, volume %+v", args["cert-dir"], mounts["certs"], vols["certs"])
			}
			if filepath.Join(mounts["config"].MountPath, "config.yaml") != args["config"] || vols["config"].ConfigMap == nil {
				t.Fatalf("--config=%s, config mount %+v", args["config"], mounts["config"])
			}
			cm := mustFind(t, r, "ConfigMap", vols["config"].ConfigMap.Name, &corev1.ConfigMap{})
			wantCfg := config.DefaultYAML()
			if r.secretLookups {
				wantCfg = bytes.Replace(wantCfg, []byte("tlsSecretLookups: false"), []byte("tlsSecretLookups: true"), 1)
			}
			if cm.Data["config.yaml"] != string(wantCfg) {
				t.Errorf("ConfigMap %s config.yaml is not the expected configuration", cm.Name)
			}
			if cfg, err := config.Parse([]byte(cm.Data["config.yaml"]), cm.Name); err != nil {
				t.Error(err)
			} else if cfg.Ingress.TLSSecretLookups != r.secretLookups {
				t.Errorf("tlsSecretLookups = %v", cfg.Ingress.TLSSecretLookups)
			}

			if r.certManager {
				crt := Find(r.objs, "Certificate", "guardrails-webhook")
				if crt == nil {
					t.Fatal("no Certificate guardrails-webhook (the inject-ca-from source)")
				}
				secret, _, _ := unstructured.NestedString(crt.Object, "spec", "secretName")
				names, _, _ := unstructured.NestedStringSlice(crt.Object, "spec", "dnsNames")
				if secret != r.tlsSecret || !reflect.DeepEqual(names, []string{"guardrails-webhook.guardrails-system.svc", "guardrails-webhook.guardrails-system.svc.cluster.local"}) {
					t.Errorf("Certificate: secretName %q dnsNames %v", secret, names)
				}
			} else if r.externalCA == nil {
				s := mustFind(t, r, "Secret", r.tlsSecret, &corev1.Secret{})
				if s.Type != corev1.SecretTypeTLS || len(s.Data["tls.crt"]) == 0 || len(s.Data["tls.key"]) == 0 || len(s.Data["ca.crt"]) == 0 || len(s.Data) != 3 {
					t.Errorf("Secret %s: type %s, keys %v (want tls.crt, tls.key, ca.crt only: never the CA key)", s.Name, s.Type, keys(secretKeys(s)))
				}
			}

			svc := mustFind(t, r, "Service", ServiceName, &corev1.Service{})
			if !labels.SelectorFromSet(svc.Spec.Selector).Matches(podLabels(d)) {
				t.Error("the Service does not select the pods")
			}
			webhookPort := false
			for _, p := range svc.Spec.Ports {
				if p.Port == 443 && (p.TargetPort == intstr.FromString("webhook") || p.TargetPort == intstr.FromInt32(9443)) {
					webhookPort = true
				}
			}
			if !webhookPort {
				t.Errorf("Service ports %+v: want 443 -> webhook (9443)", svc.Spec.Ports)
			}

			pdb := mustFind(t, r, "PodDisruptionBudget", "guardrails-webhook", &policyv1.PodDisruptionBudget{})
			if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != intstr.FromInt32(1) {
				t.Errorf("PDB minAvailable %v, want 1", pdb.Spec.MinAvailable)
			}
			if s, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector); err != nil || !s.Matches(podLabels(d)) {
				t.Error("the PDB does not select the pods")
			}

			np := mustFind(t, r, "NetworkPolicy", "guardrails-webhook", &networkingv1.NetworkPolicy{})
			if s, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector); err != nil || !s.Matches(podLabels(d)) {
				t.Error("the NetworkPolicy does not select the pods")
			}
			if !reflect.DeepEqual(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
				t.Errorf("policyTypes %v", np.Spec.PolicyTypes)
			}
			open := map[int32]bool{}
			for _, rule := range np.Spec.Ingress {
				if len(rule.Ports) == 0 {
					t.Error("an ingress rule opens every port")
				}
				for _, p := range rule.Ports {
					if p.Port == nil || p.EndPort != nil {
						t.Errorf("port %+v: want one named or numbered port", p)
						continue
					}
					n := p.Port.IntVal
					if p.Port.Type == intstr.String {
						n = ports[p.Port.StrVal]
					}
					open[n] = true
				}
			}
			if !reflect.DeepEqual(open, map[int32]bool{9443: true, 8080: true}) {
				t.Errorf("NetworkPolicy opens %v, want exactly the webhook (9443) and metrics (8080) ports", open)
			}
		})
	}
}

func secretKeys(s *corev1.Secret) map[string]bool {
	out := map[string]bool{}
	for k := range s.Data {
		out[k] = true
	}
	return out
}

func TestRBAC(t *testing.T) {
	for _, r := range installs(t) {
		t.Run(r.name, func(t *testing.T) {
			var roles int
			for _, o := range r.objs {
				switch o.GetKind() {
				case "Role", "RoleBinding":
					// Only the audit's Lease (TestAuditComponents).
					if !r.audit || o.GetName() != "guardrails-audit-lease" {
						t.Errorf("unexpected %s %s", o.GetKind(), o.GetName())
					}
				case "ClusterRole", "ClusterRoleBinding":
					roles++
				}
			}
			wantRoles := 2
			for _, component := range []bool{r.preview && !r.audit, r.audit, r.policyReports} {
				if component {
					wantRoles += 2
				}
			}
			if r.events {
				wantRoles += 2
				// Events only: create, and patch for the count of a
				// repeated Event.
				er := mustFind(t, r, "ClusterRole", ClusterRoleName+"-events", &rbacv1.ClusterRole{})
				wantRules := []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"create", "patch"}}}
				if !reflect.DeepEqual(er.Rules, wantRules) {
					t.Errorf("events ClusterRole rules %+v, want %+v", er.Rules, wantRules)
				}
				erb := mustFind(t, r, "ClusterRoleBinding", ClusterRoleName+"-events", &rbacv1.ClusterRoleBinding{})
				if erb.RoleRef.Name != er.Name || !reflect.DeepEqual(erb.Subjects, []rbacv1.Subject{{Kind: "ServiceAccount", Name: "guardrails-webhook", Namespace: Namespace}}) {
					t.Errorf("events ClusterRoleBinding %+v", erb)
				}
			}
			if roles != wantRoles {
				t.Errorf("%d ClusterRoles and ClusterRoleBindings, want %d", roles, wantRoles)
			}
			cr := mustFind(t, r, "ClusterRole", ClusterRoleName, &rbacv1.ClusterRole{})
			want := clustercache.RBACRulesFor(clustercache.Options{SecretLookups: r.secretLookups})
			if !reflect.DeepEqual(cr.Rules, want) {
				t.Errorf("ClusterRole rules\n got %+v\nwant %+v (clustercache.RBACRulesFor)", cr.Rules, want)
			}
			secrets := false
			for _, rule := range cr.Rules {
				for _, res := range rule.Resources {
					secrets = secrets || res == "secrets" || res == "*"
				}
				for _, v := range rule.Verbs {
					if v != "get" && v != "list" && v != "watch" {
						t.Errorf("verb %q: the webhook only reads", v)
					}
				}
			}
			if secrets != r.secretLookups {
				t.Errorf("secrets granted: %v, want %v (only with the secret-lookups component)", secrets, r.secretLookups)
			}
			crb := mustFind(t, r, "ClusterRoleBinding", ClusterRoleName, &rbacv1.ClusterRoleBinding{})
			d := mustFind(t, r, "Deployment", "guardrails-webhook", &appsv1.Deployment{})
			wantSubj := []rbacv1.Subject{{Kind: "ServiceAccount", Name: d.Spec.Template.Spec.ServiceAccountName, Namespace: Namespace}}
			if crb.RoleRef.Name != ClusterRoleName || crb.RoleRef.Kind != "ClusterRole" || !reflect.DeepEqual(crb.Subjects, wantSubj) {
				t.Errorf("ClusterRoleBinding %+v", crb)
			}
			mustFind(t, r, "ServiceAccount", d.Spec.Template.Spec.ServiceAccountName, &corev1.ServiceAccount{})
		})
	}
}

// TestCertManagerCRDStubs: the test stubs define every cert-manager and
// prometheus-operator kind the installs use, with the right group, version
// and scope.
func TestCertManagerCRDStubs(t *testing.T) {
	root := repoRoot(t)
	var objs []*unstructured.Unstructured
	for _, f := range []string{CertManagerCRDs, PrometheusOperatorCRDs} {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		o, err := Objects(b)
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, o...)
	}
	defined := map[string]bool{}
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" || o.GetLabels()["guardrails.dev/test-stub"] != "true" {
			t.Errorf("%s %s is not a CRD labelled as a test stub", o.GetKind(), o.GetName())
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		versions, _, _ := unstructured.NestedSlice(o.Object, "spec", "versions")
		for _, v := range versions {
			vm, _ := v.(map[string]any)
			if served, _ := vm["served"].(bool); served && scope == "Namespaced" {
				defined[fmt.Sprintf("%s/%v/%s", group, vm["name"], kind)] = true
			}
		}
	}
	for _, r := range installs(t) {
		for _, o := range r.objs {
			gv := o.GetAPIVersion()
			if (strings.HasPrefix(gv, "cert-manager.io/") || strings.HasPrefix(gv, "monitoring.coreos.com/")) && !defined[gv+"/"+o.GetKind()] {
				t.Errorf("%s: %s %s has no stub CRD", r.name, gv, o.GetKind())
			}
		}
	}
}

// TestLocal: the locally registered configurations are deploy/base's with
// a URL instead of the Service.
func TestLocal(t *testing.T) {
	root := repoRoot(t)
	ca := []byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	v, m, err := Local(root, "https://127.0.0.1:9443/", ca)
	if err != nil {
		t.Fatal(err)
	}
	docs, err := Build(filepath.Join(root, BaseDir))
	if err != nil {
		t.Fatal(err)
	}
	bv, bm, err := WebhookConfigurations(docs)
	if err != nil {
		t.Fatal(err)
	}
	for i, wh := range v.Webhooks {
		if wh.ClientConfig.URL == nil || *wh.ClientConfig.URL != "https://127.0.0.1:9443/validate" || wh.ClientConfig.Service != nil || !bytes.Equal(wh.ClientConfig.CABundle, ca) {
			t.Errorf("%s: clientConfig %+v", wh.Name, wh.ClientConfig)
		}
		wh.ClientConfig = bv.Webhooks[i].ClientConfig
		if !reflect.DeepEqual(wh, bv.Webhooks[i]) {
			t.Errorf("%s differs from deploy/base beyond clientConfig", wh.Name)
		}
		if selects(t, wh.NamespaceSelector, Namespace, map[string]string{"guardrails.dev/mode": "enforce"}) {
			t.Errorf("%s serves %s when registered locally", wh.Name, Namespace)
		}
	}
	for i, wh := range m.Webhooks {
		if wh.ClientConfig.URL == nil || *wh.ClientConfig.URL != "https://127.0.0.1:9443/mutate" || wh.ClientConfig.Service != nil {
			t.Errorf("%s: clientConfig %+v", wh.Name, wh.ClientConfig)
		}
		wh.ClientConfig = bm.Webhooks[i].ClientConfig
		if !reflect.DeepEqual(wh, bm.Webhooks[i]) {
			t.Errorf("%s differs from deploy/base beyond clientConfig", wh.Name)
		}
	}
	if _, _, err := Local(root, "http://127.0.0.1:9443", ca); err == nil {
		t.Error("plain http accepted")
	}
}

// TestOwnRulesPass: `webhook check` finds no deny in what we install (we
// obey our own rules).
func TestOwnRulesPass(t *testing.T) {
	bin := webhookBinary(t)
	for _, r := range installs(t) {
		t.Run(r.name, func(t *testing.T) {
			cmd := exec.Command(bin, "check", "-f", "-", "--output", "json")
			cmd.Stdin = bytes.NewReader(r.docs)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var out struct {
				Findings []struct {
					Rule, Severity, Kind, Name, Field, Message string
				}
				Summary struct{ Objects, Deny, Warn int }
			}
			if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
				t.Fatalf("webhook check: %v (%v): %s%s", err, jerr, stdout.String(), stderr.String())
			}
			for _, f := range out.Findings {
				msg := fmt.Sprintf("%s %s %s/%s %s: %s", f.Severity, f.Rule, f.Kind, f.Name, f.Field, f.Message)
				if f.Severity == "deny" {
					if f.Rule == "priority-reserved-class" && f.Name == "guardrails-webhook" {
						msg += " (Guardrails must be in the critical add-on table of internal/rules/critical_addons.go: it runs system-cluster-critical by design)"
					}
					t.Error(msg)
				} else {
					t.Log(msg)
				}
			}
			if err != nil || out.Summary.Deny != 0 {
				t.Errorf("webhook check: %v, %d deny findings", err, out.Summary.Deny)
			}
			if out.Summary.Objects < 10 {
				t.Errorf("webhook check judged only %d objects", out.Summary.Objects)
			}
		})
	}
}

// webhookBinary builds cmd/webhook ($GUARDRAILS_WEBHOOK_BINARY names a
// binary to use instead).
func webhookBinary(t *testing.T) string {
	t.Helper()
	if b := os.Getenv("GUARDRAILS_WEBHOOK_BINARY"); b != "" {
		return b
	}
	bin := filepath.Join(t.TempDir(), "webhook")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		goBin = "go"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/webhook")
	cmd.Dir = repoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/webhook: %v\n%s", err, out)
	}
	return bin
}

func fmtPtr[T any](p *T) string {
	if p == nil {
		return "unset"
	}
	return fmt.Sprint(*p)
}
