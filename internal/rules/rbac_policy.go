package rules

// Helpers shared by the RBAC rules (rbac-cluster-admin, rbac-broad-subject,
// rbac-escalation): what a set of PolicyRules grants, how subjects and role
// references are named in messages, and the shapes of the objects that
// kube-apiserver (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) and
// kubeadm create themselves, so that a dump of a real cluster's RBAC does
// not raise alarms about the cluster's own defaults.

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/component-helpers/auth/rbac/validation"
)

const (
	rbacAPIGroup = rbacv1.GroupName // rbac.authorization.k8s.io

	// bootstrapLabel is carried by every object of the API server's
	// bootstrap policy. Anyone may set it, so it never exempts anything on
	// its own: it only narrows exemptions that also check name and content.
	rbacBootstrapLabelKey   = "kubernetes.io/bootstrapping"
	rbacBootstrapLabelValue = "rbac-defaults"

	// rbacSystemMasters is the group the API server's authorizer lets do
	// anything before RBAC is consulted; binding cluster-admin to it adds
	// nothing.
	rbacSystemMasters = "system:masters"
)

// rbacHasStar reports whether list holds "*" (rbacv1.ResourceAll, the same
// value as VerbAll and APIGroupAll).
func rbacHasStar(list []string) bool { return slices.Contains(list, rbacv1.ResourceAll) }

// rbacClusterAdminLabels are the labels the bootstrap cluster-admin ClusterRole
// carries. An aggregationRule selector that matches them pulls
// cluster-admin's rules into the aggregated role.
var rbacClusterAdminLabels = labels.Set{rbacBootstrapLabelKey: rbacBootstrapLabelValue}

// rbacSelectsClusterAdmin reports whether an aggregation selector
// matches the bootstrap cluster-admin ClusterRole (an empty selector
// matches every ClusterRole). Unparseable selectors match nothing: the API
// server rejects them.
func rbacSelectsClusterAdmin(sel metav1.LabelSelector) bool {
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		return false
	}
	return s.Matches(rbacClusterAdminLabels)
}

// rbacAggregatesClusterAdmin returns the index of the first aggregation
// selector of cr that selects cluster-admin, or -1.
func rbacAggregatesClusterAdmin(cr *rbacv1.ClusterRole) int {
	if cr == nil || cr.AggregationRule == nil {
		return -1
	}
	for i, sel := range cr.AggregationRule.ClusterRoleSelectors {
		if rbacSelectsClusterAdmin(sel) {
			return i
		}
	}
	return -1
}

// rbacSubjectString names a subject the way kubectl does: User "alice",
// Group "ops", ServiceAccount "ns/name". A ServiceAccount subject of a
// RoleBinding without namespace means the binding's namespace (that is how
// the authorizer reads it).
func rbacSubjectString(s rbacv1.Subject, bindingNamespace string) string {
	return string(appendRBACSubject(nil, s, bindingNamespace))
}

// appendRBACSubject appends rbacSubjectString(s, bindingNamespace) to b.
func appendRBACSubject(b []byte, s rbacv1.Subject, bindingNamespace string) []byte {
	switch s.Kind {
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return appendQuoted(append(b, "ServiceAccount "...), ns+"/"+s.Name) // what %q writes
	case "":
		return appendQuoted(b, s.Name)
	}
	b = append(append(b, s.Kind...), ' ')
	return appendQuoted(b, s.Name)
}

// appendQuoted appends s quoted as strconv.Quote (and fmt's %q) does,
// without its rune-by-rune look at the plain ASCII that names are.
func appendQuoted(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return strconv.AppendQuote(b, s)
		}
	}
	return append(append(append(b, '"'), s...), '"')
}

// rbacSubjectsString joins subject names for a message.
func rbacSubjectsString(ss []rbacv1.Subject, bindingNamespace string) string {
	return string(appendRBACSubjects(nil, ss, bindingNamespace))
}

// appendRBACSubjects appends rbacSubjectsString(ss, bindingNamespace) to b.
func appendRBACSubjects(b []byte, ss []rbacv1.Subject, bindingNamespace string) []byte {
	for i, s := range ss {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendRBACSubject(b, s, bindingNamespace)
	}
	return b
}

// rbacGroupsString describes the API groups of a rule.
func rbacGroupsString(groups []string) string {
	if rbacHasStar(groups) {
		return "every API group"
	}
	if len(groups) == 1 {
		if groups[0] == "" {
			return "the core API group"
		}
		return fmt.Sprintf("API group %q", groups[0])
	}
	return "API groups " + rbacQuoteList(groups, 0)
}

// rbacQuoteList quotes and joins items, sorted and de-duplicated; with max > 0
// it shows at most max of them and says how many more there are.
func rbacQuoteList(items []string, max int) string {
	seen := map[string]bool{}
	var u []string
	for _, s := range items {
		if !seen[s] {
			seen[s] = true
			u = append(u, s)
		}
	}
	sort.Strings(u)
	more := 0
	if max > 0 && len(u) > max {
		more = len(u) - max
		u = u[:max]
	}
	q := make([]string, len(u))
	for i, s := range u {
		q[i] = fmt.Sprintf("%q", s)
	}
	out := strings.Join(q, ", ")
	if more > 0 {
		out += fmt.Sprintf(" and %d more", more)
	}
	return out
}

// rbacAnyCovered reports whether allowed grants everything r grants (the
// API server's covering logic).
func rbacAnyCovered(r rbacv1.PolicyRule, allowed []rbacv1.PolicyRule) bool {
	ok, _ := validation.Covers(allowed, []rbacv1.PolicyRule{r})
	return ok
}

var (
	rbacReadWrite = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	rbacStar      = []string{"*"}
)

// rbacBootstrapRoleGrants lists, for the bootstrap ClusterRoles of
// kube-apiserver that rbac-escalation would otherwise flag, the rules they
// legitimately hold (plugin/pkg/auth/authorizer/rbac/bootstrappolicy,
// policy.go and controller_policy.go, current and recent releases). A
// ClusterRole with one of these names and the bootstrap label is exempt
// only for rules covered by these; anything added to it is still flagged.
var rbacBootstrapRoleGrants = map[string][]rbacv1.PolicyRule{
	"cluster-admin": {{Verbs: rbacStar, APIGroups: rbacStar, Resources: rbacStar}},
	"system:aggregate-to-edit": {
		{Verbs: []string{"impersonate"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts"}},
		{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}},
		{Verbs: rbacReadWrite, APIGroups: []string{""}, Resources: []string{
			"pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward",
			"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts",
			"services", "services/proxy", "endpoints", "persistentvolumeclaims", "configmaps", "secrets",
		}},
	},
	"system:kube-controller-manager": {
		{Verbs: []string{"list", "watch"}, APIGroups: rbacStar, Resources: rbacStar},
		{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}},
	},
	// The Node authorizer limits what each node may do with these.
	"system:node": {{Verbs: []string{"create"}, APIGroups: []string{""}, Resources: []string{"serviceaccounts/token"}}},
	"system:kubelet-api-admin": {{Verbs: rbacStar, APIGroups: []string{""}, Resources: []string{
		"nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log", "nodes/pods", "nodes/healthz", "nodes/configz",
	}}},
	"system:controller:clusterrole-aggregation-controller":  {{Verbs: []string{"escalate", "get", "list", "watch", "update", "patch"}, APIGroups: []string{rbacAPIGroup}, Resources: []string{"clusterroles"}}},
	"system:controller:generic-garbage-collector":           {{Verbs: []string{"get", "list", "watch", "patch", "update", "delete"}, APIGroups: rbacStar, Resources: rbacStar}},
	"system:controller:namespace-controller":                {{Verbs: []string{"get", "list", "watch", "delete", "deletecollection"}, APIGroups: rbacStar, Resources: rbacStar}},
	"system:controller:resourcequota-controller":            {{Verbs: []string{"list", "watch"}, APIGroups: rbacStar, Resources: rbacStar}},
	"system:controller:storage-version-migrator-controller": {{Verbs: []string{"list", "create", "patch"}, APIGroups: rbacStar, Resources: rbacStar}},
	"system:controller:horizontal-pod-autoscaler": {
		{Verbs: []string{"get", "list"}, APIGroups: []string{"custom.metrics.k8s.io", "external.metrics.k8s.io"}, Resources: rbacStar},
	},
}

// rbacBootstrapGrants reports whether obj looks like the bootstrap
// ClusterRole of its name (name in the table and the bootstrap label) and
// returns the rules it may hold.
func rbacBootstrapGrants(cr *rbacv1.ClusterRole) ([]rbacv1.PolicyRule, bool) {
	if cr == nil || cr.Labels[rbacBootstrapLabelKey] != rbacBootstrapLabelValue {
		return nil, false
	}
	g, ok := rbacBootstrapRoleGrants[cr.Name]
	return g, ok
}

const (
	rbacSubjAnonymous       = "User:system:anonymous"
	rbacSubjUnauthenticated = "Group:system:unauthenticated"
	rbacSubjAuthenticated   = "Group:system:authenticated"
	rbacSubjServiceAccounts = "Group:system:serviceaccounts"
)

func rbacSubjectKey(s rbacv1.Subject) string { return s.Kind + ":" + s.Name }

// rbacBroadSubjects describes the subjects rbac-broad-subject looks for.
var rbacBroadSubjects = map[string]string{
	rbacSubjAnonymous:       "every unauthenticated request",
	rbacSubjUnauthenticated: "every unauthenticated request",
	rbacSubjAuthenticated:   "every authenticated user and service account",
	rbacSubjServiceAccounts: "every service account in every namespace",
}

// rbacPublicClusterRoles are the bootstrap ClusterRoles made to be bound to
// broad groups. system:discovery and system:basic-user were bound to
// system:unauthenticated too before Kubernetes 1.14, and upgraded clusters
// keep that subject (reconciliation never removes subjects);
// system:service-account-issuer-discovery is bound to system:serviceaccounts
// by default and the Kubernetes documentation leaves binding it to
// authenticated or unauthenticated users to the administrator (public OIDC
// discovery for workload identity federation).
var rbacPublicClusterRoles = map[string]sets.Set[string]{
	"system:discovery":                        sets.New(rbacSubjAuthenticated, rbacSubjUnauthenticated, rbacSubjAnonymous),
	"system:basic-user":                       sets.New(rbacSubjAuthenticated, rbacSubjUnauthenticated, rbacSubjAnonymous),
	"system:public-info-viewer":               sets.New(rbacSubjAuthenticated, rbacSubjUnauthenticated, rbacSubjAnonymous),
	"system:service-account-issuer-discovery": sets.New(rbacSubjServiceAccounts, rbacSubjAuthenticated, rbacSubjUnauthenticated, rbacSubjAnonymous),
	// OpenShift's counterpart of system:public-info-viewer.
	"system:openshift:public-info-viewer": sets.New(rbacSubjAuthenticated, rbacSubjUnauthenticated, rbacSubjAnonymous),
	// ClusterTrustBundles hold public CA certificates for workloads
	// (bound to system:serviceaccounts by default since 1.33).
	"system:cluster-trust-bundle-discovery": sets.New(rbacSubjServiceAccounts, rbacSubjAuthenticated),
}

// rbacTrustBundleRule reports whether a rule grants only reads of
// ClusterTrustBundles, as system:cluster-trust-bundle-discovery does.
func rbacTrustBundleRule(r rbacv1.PolicyRule) bool {
	return len(r.NonResourceURLs) == 0 && len(r.Verbs) > 0 && len(r.Resources) > 0 &&
		sets.New(rbacReadVerbs...).HasAll(r.Verbs...) &&
		slices.Equal(r.APIGroups, []string{rbacCertificatesGroup}) &&
		sets.New("clustertrustbundles").HasAll(r.Resources...)
}

// rbacPublicURLs are the non-resource URLs the public bootstrap roles grant
// across releases: discovery, health, version, OpenAPI and OIDC discovery.
var rbacPublicURLs = sets.New(
	"/api", "/api/*", "/apis", "/apis/*",
	"/healthz", "/healthz/*", "/livez", "/livez/*", "/readyz", "/readyz/*", "/version", "/version/",
	"/openapi", "/openapi/*", "/swaggerapi", "/swaggerapi/*", "/swagger.json", "/swagger-2.0.0.pb-v1",
	"/.well-known", "/.well-known/*", "/.well-known/openid-configuration", "/.well-known/openid-configuration/",
	"/openid/v1/jwks", "/openid/v1/jwks/",
)

// rbacPublicSelfReviews are the resources system:basic-user lets everyone
// create: questions about one's own permissions and identity.
var rbacPublicSelfReviews = sets.New(
	"authorization.k8s.io/selfsubjectaccessreviews",
	"authorization.k8s.io/selfsubjectrulesreviews",
	"authentication.k8s.io/selfsubjectreviews",
)

// rbacPublicRule reports whether a rule stays within what the public bootstrap
// roles grant.
func rbacPublicRule(r rbacv1.PolicyRule) bool {
	if len(r.NonResourceURLs) > 0 {
		if len(r.Resources) > 0 {
			return false
		}
		for _, v := range r.Verbs {
			if v != "get" && v != "head" {
				return false
			}
		}
		for _, u := range r.NonResourceURLs {
			if !rbacPublicURLs.Has(u) {
				return false
			}
		}
		return true
	}
	for _, v := range r.Verbs {
		if v != "create" {
			return false
		}
	}
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			if !rbacPublicSelfReviews.Has(g + "/" + res) {
				return false
			}
		}
	}
	return len(r.APIGroups) > 0 && len(r.Resources) > 0
}

// rbacKubeadmClusterInfoName describes the RoleBinding kubeadm creates so that
// joining nodes can read kube-public/cluster-info anonymously (the
// "discovery-token" join flow).
const (
	rbacKubeadmClusterInfoName      = "kubeadm:bootstrap-signer-clusterinfo"
	rbacKubeadmClusterInfoNamespace = "kube-public"
)

// rbacClusterInfoRule reports whether a rule grants only get on the
// cluster-info ConfigMap, as kubeadm's Role does.
func rbacClusterInfoRule(r rbacv1.PolicyRule) bool {
	if len(r.NonResourceURLs) > 0 {
		return false
	}
	for _, v := range r.Verbs {
		if v != "get" {
			return false
		}
	}
	for _, g := range r.APIGroups {
		if g != "" {
			return false
		}
	}
	for _, res := range r.Resources {
		if res != "configmaps" {
			return false
		}
	}
	if len(r.ResourceNames) == 0 {
		return false
	}
	for _, n := range r.ResourceNames {
		if n != "cluster-info" {
			return false
		}
	}
	return true
}

// rbacBootstrapBindings are the API server's own ClusterRoleBindings of
// roles that hold cluster-admin-equivalent or sensitive permissions by
// design (plugin/pkg/auth/authorizer/rbac/bootstrappolicy, 1.37): the
// controller manager's identity, and the controllers that read, patch or
// delete everything (garbage collector, namespace deletion, quota,
// storage version migration, legacy token cleanup) or write ClusterRoles
// (aggregation). The
// exemption pins all of it: name, the bootstrap label, roleRef, and the
// one subject; a binding that differs in anything is judged like any other.
var rbacBootstrapBindings = func() map[string]rbacv1.Subject {
	m := map[string]rbacv1.Subject{
		"system:kube-controller-manager": {APIGroup: rbacAPIGroup, Kind: rbacv1.UserKind, Name: "system:kube-controller-manager"},
	}
	// "system:controller:<name>" binds ClusterRole "system:controller:<name>"
	// to ServiceAccount kube-system/<name>.
	for _, c := range []string{
		"clusterrole-aggregation-controller",
		"generic-garbage-collector",
		"legacy-service-account-token-cleaner",
		"namespace-controller",
		"resourcequota-controller",
		"storage-version-migrator-controller",
	} {
		m["system:controller:"+c] = rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: c, Namespace: "kube-system"}
	}
	return m
}()

// rbacBootstrapBinding reports whether b is one of rbacBootstrapBindings,
// exactly as the bootstrap policy writes it.
func rbacBootstrapBinding(b *Binding) bool {
	want, ok := rbacBootstrapBindings[b.Name]
	return ok && b.Kind == KindClusterRoleBinding &&
		b.Labels[rbacBootstrapLabelKey] == rbacBootstrapLabelValue &&
		b.RoleRef == rbacv1.RoleRef{APIGroup: rbacAPIGroup, Kind: KindClusterRole, Name: b.Name} &&
		len(b.Subjects) == 1 && b.Subjects[0] == want
}
