package rules

// What makes a role cluster-admin in all but name.
//
// A role is cluster-admin-equivalent when its rules let the holder obtain
// every permission: directly (every verb on every resource), or through a
// permission that hands out permissions — writing or binding roles past
// RBAC's escalation check, acting as another identity, minting another
// identity's credentials, running code in any pod, seeing or rewriting
// every request the API server admits. Each such permission is an
// rbacPower below. Whether a rule set holds one is decided by the API
// server's own covering logic (k8s.io/component-helpers/auth/rbac/validation,
// the code behind RBAC's escalation check), so "*" in verbs, groups and
// resources, "*/subresource" and resourceNames count exactly as the
// authorizer counts them.
//
// Scope matters: most powers reach cluster-scoped resources or every
// namespace, so they hold only through a ClusterRoleBinding. Through a
// RoleBinding a role acts in one namespace: there only "everything" is
// full power (rbac-cluster-admin has always denied that), and escalate or
// bind on roles lets the holder give itself everything in that namespace
// (a warning). kube-system is the exception: the controllers' service
// accounts live there (kube-controller-manager runs each controller under
// its own account: the garbage collector may update and delete every
// object, the clusterrole-aggregation-controller escalate ClusterRoles),
// so acting as a service account of kube-system — impersonating one,
// minting its token, or writing and binding Roles there, which give both —
// is cluster-admin through a RoleBinding too.

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/component-helpers/auth/rbac/validation"
)

// rbacPower is a permission, or a set of permissions, with which a role's
// holders obtain permissions they were not given.
type rbacPower struct {
	// needs lists what the power takes: every entry must be granted, each
	// by any one of its alternatives (one verb of several, say).
	needs [][]rbacv1.PolicyRule
	// what describes the permission for messages, when the generated
	// description would not read well ("every verb on every resource").
	what string
	// so says what the holder can do with it, after "so its holders can".
	so string
	// cluster and namespace say where the power holds: through a
	// ClusterRoleBinding, and through a RoleBinding (inside its namespace);
	// system, through a RoleBinding in kube-system (namespace implies it).
	cluster, namespace, system bool
}

// rbacScope is where a binding grants its role.
type rbacScope int

const (
	// rbacScopeNamespace: a RoleBinding, in one namespace.
	rbacScopeNamespace rbacScope = iota
	// rbacScopeSystem: a RoleBinding in kube-system, home of the
	// controllers' service accounts.
	rbacScopeSystem
	// rbacScopeCluster: a ClusterRoleBinding, every namespace and the
	// cluster-scoped resources.
	rbacScopeCluster
)

// rbacSystemNamespace is where kube-controller-manager's controllers have
// their service accounts.
const rbacSystemNamespace = "kube-system"

// holdsIn reports whether p holds through a binding of scope sc.
func (p *rbacPower) holdsIn(sc rbacScope) bool {
	switch sc {
	case rbacScopeCluster:
		return p.cluster
	case rbacScopeSystem:
		return p.namespace || p.system
	}
	return p.namespace
}

func pr(verbs []string, group string, resources []string, names ...string) rbacv1.PolicyRule {
	return rbacv1.PolicyRule{Verbs: verbs, APIGroups: []string{group}, Resources: resources, ResourceNames: names}
}

// oneOf is a need met by any verb of verbs on any of resources.
func oneOf(verbs []string, group string, resources ...string) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, res := range resources {
		for _, v := range verbs {
			out = append(out, pr([]string{v}, group, []string{res}))
		}
	}
	return out
}

var (
	rbacWriteVerbs = []string{"create", "update", "patch"}
	rbacReadVerbs  = []string{"get", "list", "watch"}

	rbacAdmissionGroup    = "admissionregistration.k8s.io"
	rbacCertificatesGroup = "certificates.k8s.io"
	rbacAuthnGroup        = "authentication.k8s.io"

	// rbacClientSigner is the signer whose certificates the API server
	// accepts as client credentials, group (organisation) included.
	rbacClientSigner = "kubernetes.io/kube-apiserver-client"
)

// rbacAdminPowers make a role cluster-admin-equivalent: a binding that
// gives one of them to anyone is denied like a binding of cluster-admin.
// The README's table of cluster-admin-equivalent permissions lists them.
var rbacAdminPowers = []rbacPower{
	{
		needs: [][]rbacv1.PolicyRule{{pr(rbacStar, "*", rbacStar)}},
		what:  "every verb on every resource in every API group", so: "like cluster-admin",
		cluster: true, namespace: true,
	},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"escalate"}, rbacAPIGroup, "clusterroles", "roles")},
		so: "write roles with permissions they do not have, every permission included", cluster: true, system: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"bind"}, rbacAPIGroup, "clusterroles", "roles")},
		so: "bind any role, cluster-admin included, to themselves", cluster: true, system: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"impersonate"}, "", "users")},
		so: "act as any user, cluster administrators included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"impersonate"}, "", "groups")},
		so: "act as a member of any group, system:masters included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{{pr([]string{"impersonate"}, "", []string{"groups"}, rbacSystemMasters)}},
		so: "act as a member of system:masters, which RBAC never restricts", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"impersonate"}, "", "serviceaccounts")},
		so: "act as any service account, the controllers' included", cluster: true, system: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"impersonate"}, rbacAuthnGroup, "uids")},
		so: "act under any user's UID", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"create"}, "", "serviceaccounts/token")},
		so: "mint a token for any service account, the controllers' included", cluster: true, system: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"create"}, "", "nodes/proxy")},
		so: "run commands in any pod through the kubelet's API", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf(rbacWriteVerbs, rbacAdmissionGroup, "mutatingwebhookconfigurations")},
		so: "register a webhook that rewrites any object, e.g. adds a privileged container to any pod", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf(rbacWriteVerbs, rbacAdmissionGroup, "validatingwebhookconfigurations")},
		so: "register a webhook that receives every object written to the API server, Secrets included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{
		oneOf(rbacWriteVerbs, rbacAdmissionGroup, "mutatingadmissionpolicies"),
		oneOf(rbacWriteVerbs, rbacAdmissionGroup, "mutatingadmissionpolicybindings"),
	}, so: "install an admission policy that rewrites any object", cluster: true},
	{needs: [][]rbacv1.PolicyRule{
		oneOf([]string{"update"}, rbacCertificatesGroup, "certificatesigningrequests/approval"),
		{
			pr([]string{"approve"}, rbacCertificatesGroup, []string{"signers"}, rbacClientSigner),
			pr([]string{"approve"}, rbacCertificatesGroup, []string{"signers"}, "kubernetes.io/*"),
		},
	}, so: "approve a client certificate for any user and group, system:masters included", cluster: true},
}

// rbacSensitivePowers are powerful but needed by common controllers
// (ingress-nginx and cert-manager read Secrets cluster-wide): a binding
// that gives one of them is warned about, not denied.
var rbacSensitivePowers = []rbacPower{
	{needs: [][]rbacv1.PolicyRule{oneOf(rbacReadVerbs, "", "secrets")},
		so: "read every Secret of every namespace, service account tokens and TLS keys included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf(rbacWriteVerbs, "", "secrets")},
		so: "write Secrets in every namespace, service account token Secrets for the controllers' accounts included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"create"}, "", "pods/exec", "pods/attach")},
		so: "run commands in every pod of every namespace", cluster: true},
	// Prometheus and other monitoring agents scrape kubelets through
	// nodes/proxy; a WebSocket upgrade is a GET, so it reaches the
	// kubelet's exec endpoint too.
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"get"}, "", "nodes/proxy")},
		so: "reach every kubelet's API, exec over WebSocket included", cluster: true},
	{needs: [][]rbacv1.PolicyRule{oneOf([]string{"escalate", "bind"}, rbacAPIGroup, "roles", "clusterroles")},
		so: "give themselves every permission in this namespace", namespace: true},
}

// rbacRuleRef is one rule of the rules a role holds, with where it comes
// from: the role itself, or a ClusterRole it aggregates.
type rbacRuleRef struct {
	rule  rbacv1.PolicyRule
	index int
	// from is "" for the role under judgement's own rules, else the
	// ClusterRole the rule comes from (`ClusterRole "x"`).
	from string
	// blame is the field of the object under judgement that brings the
	// rule in (rules[i], an aggregation selector, a label); nil when none.
	blame *field.Path
}

var rbacRulesPath = field.NewPath("rules")

// rbacRulePaths are rules[0] … rules[31], made once: a path is never
// changed once made, and every role write would otherwise make one per
// rule.
var rbacRulePaths = func() []*field.Path {
	ps := make([]*field.Path, 32)
	for i := range ps {
		ps[i] = rbacRulesPath.Index(i)
	}
	return ps
}()

// rbacRulePath returns the path of rules[i].
func rbacRulePath(i int) *field.Path {
	if i < len(rbacRulePaths) {
		return rbacRulePaths[i]
	}
	return rbacRulesPath.Index(i)
}

// rbacOwnRules wraps a role's own rules.
func rbacOwnRules(rules []rbacv1.PolicyRule) []rbacRuleRef {
	out := make([]rbacRuleRef, len(rules))
	for i, r := range rules {
		out[i] = rbacRuleRef{rule: r, index: i, blame: rbacRulePath(i)}
	}
	return out
}

// rbacHeld is a power that a set of rules holds.
type rbacHeld struct {
	power *rbacPower
	// by are the rules that grant it, in the order of the power's needs.
	by []rbacRuleRef
	// what describes the permissions granted ("impersonate" on users).
	what string
}

// rbacFind returns the first power of powers that rules hold through a
// binding of scope sc.
func rbacFind(powers []rbacPower, rules []rbacRuleRef, sc rbacScope) (rbacHeld, bool) {
	for i := range powers {
		p := &powers[i]
		if !p.holdsIn(sc) {
			continue
		}
		if h, ok := rbacHolds(p, rules); ok {
			return h, true
		}
	}
	return rbacHeld{}, false
}

// rbacHolds reports whether rules hold power p, and which rules grant it.
// Nothing is kept or described until every need is met: a role is asked
// for every power of the tables and holds few of them.
func rbacHolds(p *rbacPower, rules []rbacRuleRef) (rbacHeld, bool) {
	var byBuf [8]int
	by := byBuf[:0] // indices into rules, in the order of the needs
	var chosenBuf [4]*rbacv1.PolicyRule
	chosen := chosenBuf[:0] // the alternative met of each need
	for _, need := range p.needs {
		met := false
		for j := range need {
			alt := &need[j]
			n := len(by)
			var ok bool
			if by, ok = rbacCoveredBy(alt, rules, by); !ok {
				by = by[:n]
				continue
			}
			met = true
			chosen = append(chosen, alt)
			break
		}
		if !met {
			return rbacHeld{}, false
		}
	}
	h := rbacHeld{power: p, by: make([]rbacRuleRef, 0, len(by))}
	for _, i := range by {
		r := rules[i]
		if !slices.ContainsFunc(h.by, func(x rbacRuleRef) bool { return x.from == r.from && x.index == r.index }) {
			h.by = append(h.by, r)
		}
	}
	h.what = p.what
	if h.what == "" {
		whats := make([]string, len(chosen))
		for i, alt := range chosen {
			whats[i] = rbacDescribe(*alt)
		}
		h.what = strings.Join(whats, " and ")
	}
	return h, true
}

// rbacCoveredBy reports whether rules cover want, appending to by the
// index of the first rule that covers each of its atoms (one verb, group,
// resource and name).
func rbacCoveredBy(want *rbacv1.PolicyRule, rules []rbacRuleRef, by []int) ([]int, bool) {
	for _, atom := range rbacAtoms(want) {
		i := slices.IndexFunc(rules, func(r rbacRuleRef) bool { return rbacCovers(r.rule, atom) })
		if i < 0 {
			return by, false
		}
		by = append(by, i)
	}
	return by, true
}

// rbacCovers reports whether owner grants everything want grants, by the
// API server's own covering logic. A cheap first look skips the owners
// that lack one of want's verbs or groups (as Covers would): a role holds
// dozens of rules and the powers' table dozens of needs.
func rbacCovers(owner, want rbacv1.PolicyRule) bool {
	if !rbacListCovers(owner.Verbs, want.Verbs) || !rbacListCovers(owner.APIGroups, want.APIGroups) {
		return false
	}
	ok, _ := validation.Covers([]rbacv1.PolicyRule{owner}, []rbacv1.PolicyRule{want})
	return ok
}

// rbacListCovers reports whether list holds "*" or every item of want.
func rbacListCovers(list, want []string) bool {
	if rbacHasStar(list) {
		return true
	}
	for _, w := range want {
		if !slices.Contains(list, w) {
			return false
		}
	}
	return true
}

// rbacDescribe describes a rule of the powers' table: "impersonate" on
// users, "approve" on signers named "kubernetes.io/kube-apiserver-client".
func rbacDescribe(r rbacv1.PolicyRule) string {
	s := fmt.Sprintf("%s on %s", rbacQuoteList(r.Verbs, 0), strings.Join(r.Resources, ", "))
	if len(r.ResourceNames) > 0 {
		s += " named " + rbacQuoteList(r.ResourceNames, 0)
	}
	return s
}

// appendGrantedBy appends the names of the rules that grant h from the
// point of view of the role under judgement: `its rules[2]`, `its
// rules[0] and rules[3]`, `rules[1] of ClusterRole "x"`.
func (h rbacHeld) appendGrantedBy(b []byte) []byte {
	if !slices.ContainsFunc(h.by, func(r rbacRuleRef) bool { return r.from != "" }) {
		b = append(b, "its "...)
	}
	for i, r := range h.by {
		if i > 0 {
			b = append(b, " and "...)
		}
		b = strconv.AppendInt(append(b, "rules["...), int64(r.index), 10)
		b = append(b, ']')
		if r.from != "" {
			b = append(append(b, " of "...), r.from...)
		}
	}
	return b
}

// appendSentence appends what h grants and what follows: `its rules[0]
// allows "impersonate" on users, so its holders can act as any user, ...`
// ("allow" after more than one rule).
func (h rbacHeld) appendSentence(b []byte) []byte {
	b = h.appendGrantedBy(b)
	if len(h.by) == 1 {
		b = append(b, " allows "...)
	} else {
		b = append(b, " allow "...)
	}
	b = append(append(b, h.what...), ", "...)
	if !strings.HasPrefix(h.power.so, "like ") {
		b = append(b, "so its holders can "...)
	}
	return append(b, h.power.so...)
}

// sentence is appendSentence as a string.
func (h rbacHeld) sentence() string {
	return string(h.appendSentence(make([]byte, 0, 256)))
}

// blame returns the field to report for h on the object under judgement:
// the first own rule that grants it, else what brings the other rules in.
func (h rbacHeld) blame(fallback *field.Path) *field.Path {
	for _, r := range h.by {
		if r.from == "" && r.blame != nil {
			return r.blame
		}
	}
	for _, r := range h.by {
		if r.blame != nil {
			return r.blame
		}
	}
	return fallback
}

// ownShare reports whether any rule that grants h is the judged role's own.
func (h rbacHeld) ownShare() bool {
	return slices.ContainsFunc(h.by, func(r rbacRuleRef) bool { return r.from == "" })
}

// rbacAggregation computes what ClusterRoles hold once the aggregation
// controller has run: a ClusterRole with an aggregationRule holds the
// rules of every ClusterRole its selectors pick (recursively: edit is
// aggregated into admin), a ClusterRole without one its own rules. The
// ClusterRole under judgement takes its new version.
type rbacAggregation struct {
	// index holds the stored ClusterRoles (nil: none known); replace, the
	// new version of the judged role, stands in for its stored version.
	index   ClusterRoleIndex
	replace *rbacv1.ClusterRole
	// judged is the name of the ClusterRole under judgement ("" when a
	// binding is judged): its rules count as "own".
	judged string
	// now keeps the stored rules of the aggregated roles other than the
	// judged one: they hold what the controller last wrote, which counts
	// for what a binding grants now. Judging a role write, only what the
	// controller will write counts.
	now        bool
	aggregated []string // sorted names of the ClusterRoles with an aggregationRule; nil until needed
	memo       map[string][]rbacRuleRef
}

// newRBACAggregation returns the aggregation over the ClusterRoles of
// index (may be nil), with replace (the new version of the ClusterRole
// under judgement, may be nil) in place of the stored one. judged names
// the role whose rules count as "own"; now is set when judging a binding
// (see the field). It copies nothing: its cost does not grow with the
// number of ClusterRoles.
func newRBACAggregation(index ClusterRoleIndex, replace *rbacv1.ClusterRole, judged string, now bool) *rbacAggregation {
	return &rbacAggregation{index: index, replace: replace, judged: judged, now: now, memo: make(map[string][]rbacRuleRef, 1)}
}

// get returns the ClusterRole of that name as the aggregation sees it.
func (a *rbacAggregation) get(name string) *rbacv1.ClusterRole {
	if a.replace != nil && a.replace.Name == name {
		return a.replace
	}
	if a.index == nil {
		return nil
	}
	return a.index.Get(name)
}

// each calls fn with every ClusterRole (the replaced one in its new
// version), in no particular order.
func (a *rbacAggregation) each(fn func(*rbacv1.ClusterRole)) {
	if a.index != nil {
		for _, cr := range a.index.All() {
			if cr != nil && (a.replace == nil || cr.Name != a.replace.Name) {
				fn(cr)
			}
		}
	}
	if a.replace != nil {
		fn(a.replace)
	}
}

// aggregatedNames returns the sorted names of the ClusterRoles with an
// aggregationRule.
func (a *rbacAggregation) aggregatedNames() []string {
	if a.aggregated != nil {
		return a.aggregated
	}
	out := []string{}
	if a.index != nil {
		for _, cr := range a.index.Aggregated() {
			if a.replace == nil || cr.Name != a.replace.Name {
				out = append(out, cr.Name)
			}
		}
	}
	if a.replace != nil && a.replace.AggregationRule != nil {
		out = append(out, a.replace.Name)
		slices.Sort(out)
	}
	a.aggregated = out
	return out
}

// selects reports whether sel picks a ClusterRole with these labels (an
// invalid selector picks nothing: the API server rejects it).
func rbacSelects(sel metav1.LabelSelector, l map[string]string) bool {
	s, err := metav1.LabelSelectorAsSelector(&sel)
	if err != nil {
		return false
	}
	return s.Matches(labels.Set(l))
}

// rulesOf returns the rules ClusterRole name holds, from the point of view
// of the role under judgement: its own rules are "own"; rules of other
// roles name the role. Roles it aggregates come before the role's own
// stored rules, so that a power is blamed on another role when that role
// alone grants it (the judged role then adds nothing).
func (a *rbacAggregation) rulesOf(name string) []rbacRuleRef {
	return a.rulesVisiting(name, nil)
}

func (a *rbacAggregation) rulesVisiting(name string, visiting sets.Set[string]) []rbacRuleRef {
	if rs, ok := a.memo[name]; ok {
		return rs
	}
	cr := a.get(name)
	if cr == nil || visiting.Has(name) {
		return nil
	}
	var out []rbacRuleRef
	if cr.AggregationRule != nil {
		if visiting == nil {
			visiting = sets.New[string]()
		}
		visiting.Insert(name)
		defer visiting.Delete(name)
		seen := sets.New[string]()
		for j, sel := range cr.AggregationRule.ClusterRoleSelectors {
			ls, err := metav1.LabelSelectorAsSelector(&sel)
			if err != nil {
				continue // the API server rejects it: it selects nothing
			}
			var picked []string
			a.each(func(other *rbacv1.ClusterRole) {
				if n := other.Name; n != name && !seen.Has(n) && ls.Matches(labels.Set(other.Labels)) {
					picked = append(picked, n)
				}
			})
			slices.Sort(picked)
			for _, n := range picked {
				seen.Insert(n)
				for _, r := range a.rulesVisiting(n, visiting) {
					if name == a.judged {
						// What the judged role's selector brings in.
						r.blame = field.NewPath("aggregationRule", "clusterRoleSelectors").Index(j)
					}
					out = append(out, r)
				}
			}
		}
	}
	if cr.AggregationRule != nil && name != a.judged && !a.now {
		a.memo[name] = out
		return out
	}
	own := rbacOwnRules(cr.Rules)
	if name != a.judged {
		from := fmt.Sprintf("ClusterRole %q", name)
		for i := range own {
			own[i].from, own[i].blame = from, nil
		}
	}
	if out == nil {
		out = own // no aggregated rules before them: nothing to copy
	} else {
		out = append(out, own...)
	}
	a.memo[name] = out
	return out
}

// aggregatorsOf returns, sorted by name, the aggregated ClusterRoles that
// ClusterRole name flows into, directly or through other aggregated roles.
func (a *rbacAggregation) aggregatorsOf(name string) []*rbacv1.ClusterRole {
	var out []*rbacv1.ClusterRole
	seen := sets.New(name)
	queue := []string{name}
	for len(queue) > 0 {
		cur := a.get(queue[0])
		queue = queue[1:]
		if cur == nil {
			continue
		}
		var next []string
		for _, n := range a.aggregatedNames() {
			agg := a.get(n)
			if seen.Has(n) {
				continue
			}
			if slices.ContainsFunc(agg.AggregationRule.ClusterRoleSelectors, func(sel metav1.LabelSelector) bool { return rbacSelects(sel, cur.Labels) }) {
				next = append(next, n)
			}
		}
		for _, n := range next {
			seen.Insert(n)
			out = append(out, a.get(n))
			queue = append(queue, n)
		}
	}
	return out
}
