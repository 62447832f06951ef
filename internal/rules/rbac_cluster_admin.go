package rules

import (
	"fmt"
	"iter"
	"slices"
	"strconv"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rbacClusterAdmin restricts ClusterRoleBindings and RoleBindings (roleRef
// and subjects) and the rules of the Roles and ClusterRoles they bind.
//
// A binding fails when it gives cluster-admin, or a role that is
// cluster-admin in all but name (see rbac_powers.go and the README's table),
// to anyone:
//   - roleRef is ClusterRole "cluster-admin" (the name alone decides);
//   - a ClusterRoleBinding whose role holds one of the cluster-admin-
//     equivalent permissions: every verb on every resource in every API
//     group; escalate or bind on roles or clusterroles; impersonate on users,
//     groups (or group system:masters), serviceaccounts or uids; create on
//     serviceaccounts/token; get or create on nodes/proxy; writes to
//     mutating or validating webhook configurations or to mutating
//     admission policies and their bindings; approving CSRs for the
//     kube-apiserver-client signer;
//   - a RoleBinding whose role grants every verb on every resource in every
//     API group: inside its namespace that is full power, RBAC included;
//   - roleRef resolves to a ClusterRole whose aggregationRule selects
//     cluster-admin (an empty selector, or one matching
//     kubernetes.io/bootstrapping=rbac-defaults).
//
// Roles are resolved as the authorizer will see them: an aggregated
// ClusterRole holds the rules of the ClusterRoles its selectors pick. The
// API server's own covering logic (k8s.io/component-helpers) decides what
// a rule grants.
//
// A binding is warned about (never denied) when it gives, cluster-wide,
// what common controllers need but is still powerful: reading every
// Secret, exec or attach into every pod, or the built-in admin or edit
// ClusterRole through a ClusterRoleBinding; when its role does not exist
// yet (the role is judged against the binding when it is created); and
// when a RoleBinding's role grants escalate or bind on roles (its holders
// can give themselves everything in that namespace).
//
// A Role or ClusterRole fails when its create or update makes a role that
// is bound to someone cluster-admin-equivalent (in the binding's scope, as
// above): the role itself, or, for a labelled ClusterRole, an aggregated
// ClusterRole it flows into. The message names the bindings and subjects
// it would empower (for a ClusterRole, the RoleBindings only by count: a
// tenant must not learn other namespaces' bindings). Bindings come from an
// index of bindings by roleRef.
//
// What passes:
//   - subjects that gain nothing: Group "system:masters" (the authorizer
//     lets it do everything before RBAC is consulted); kubeadm's
//     ClusterRoleBinding "kubeadm:cluster-admins" exactly as kubeadm writes
//     it (roleRef ClusterRole cluster-admin, the one subject Group
//     "kubeadm:cluster-admins"); the API server's own bindings of the
//     controllers' roles, recognised by name, the bootstrap label, roleRef
//     and subjects together;
//   - bindings without other subjects;
//   - roles that grant those permissions only on non-resource URLs, only
//     with resourceNames that do not reach them, or only in a namespace;
//   - roles not in the input (offline): the check is skipped. A lookup
//     that cannot be answered right now is a warning.
var rbacClusterAdmin = &Rule{
	ID:            "rbac-cluster-admin",
	DefaultAction: ActionDeny,
	DefaultNote:   "cluster-wide Secret reads, exec into every pod, admin/edit cluster-wide, roles that do not exist yet: warn",
	Kinds:         append(slices.Clone(bindingKinds), roleKinds...),
	Summary:       "bindings to cluster-admin or a role equivalent to it, and role changes that make a bound role equivalent",
	Why: "cluster-admin (or any role that lets its holder obtain every permission: wildcards, escalate, bind, impersonate, " +
		"service account tokens, node proxy, admission webhooks, client certificates) lets its holder read every Secret, " +
		"run anything on any node and rewrite RBAC itself; one leaked token of such a subject is a full cluster compromise. " +
		"Widening a role that is already bound hands the same power to its subjects.",
	Fix: "Bind a role limited to what the subject needs, e.g. the built-in admin, edit or view ClusterRole through a " +
		"RoleBinding in the namespaces it works in; keep cluster-admin for break-glass access configured as an exemption. " +
		"Controllers that truly need such a role (Argo CD, operators that manage RBAC) get a named exemption with a reason.",
	Check: checkRBACClusterAdmin,
}

const (
	rbacClusterAdminRole = "cluster-admin"
	rbacKubeadmAdmins    = "kubeadm:cluster-admins"
)

func checkRBACClusterAdmin(in *Input) []Violation {
	if b := rbacBindingOf(in); b != nil {
		return checkRBACClusterAdminBinding(in, b)
	}
	if r := rbacRoleOf(in); r != nil {
		return checkRBACClusterAdminRole(in, r)
	}
	return nil
}

// rbacKubeadmAdminsBinding reports whether b is kubeadm's own
// ClusterRoleBinding of cluster-admin to the group of admin.conf (1.29+),
// exactly: membership of that group comes only from client certificates
// signed by the cluster CA, like system:masters. Anything else on a binding
// of that name (another role, another subject) is judged like any binding.
func rbacKubeadmAdminsBinding(b *Binding) bool {
	return b.Kind == KindClusterRoleBinding && b.Name == rbacKubeadmAdmins &&
		b.RoleRef == rbacv1.RoleRef{APIGroup: rbacAPIGroup, Kind: KindClusterRole, Name: rbacClusterAdminRole} &&
		len(b.Subjects) == 1 &&
		b.Subjects[0] == rbacv1.Subject{APIGroup: rbacAPIGroup, Kind: rbacv1.GroupKind, Name: rbacKubeadmAdmins}
}

// rbacGranted yields the subjects that binding b gives power to: all but
// those that gain nothing, and none of kubeadm's or the API server's own
// bindings.
func rbacGranted(b *Binding) iter.Seq[rbacv1.Subject] {
	return func(yield func(rbacv1.Subject) bool) {
		if rbacKubeadmAdminsBinding(b) || rbacBootstrapBinding(b) {
			return
		}
		for _, s := range b.Subjects {
			if !rbacGainsNothing(s) && !yield(s) {
				return
			}
		}
	}
}

// rbacGrantedSubjects returns rbacGranted(b) as a slice.
func rbacGrantedSubjects(b *Binding) []rbacv1.Subject {
	return slices.Collect(rbacGranted(b))
}

// appendRBACGranted appends rbacSubjectsString(rbacGrantedSubjects(b),
// b.Namespace) to out, without building the list.
func appendRBACGranted(out []byte, b *Binding) []byte {
	first := true
	for s := range rbacGranted(b) {
		if !first {
			out = append(out, ", "...)
		}
		first = false
		out = appendRBACSubject(out, s, b.Namespace)
	}
	return out
}

// rbacGrantsAnyone reports whether binding b gives power to anyone,
// without building the list (a role write asks it of every binding of
// the role).
func rbacGrantsAnyone(b *Binding) bool {
	for range rbacGranted(b) {
		return true
	}
	return false
}

// rbacGainsNothing reports whether subject s gains nothing from any
// binding: the authorizer lets system:masters do everything anyway.
func rbacGainsNothing(s rbacv1.Subject) bool {
	return s.Kind == rbacv1.GroupKind && s.Name == rbacSystemMasters
}

func checkRBACClusterAdminBinding(in *Input, b *Binding) []Violation {
	granted := rbacGrantedSubjects(b)
	if len(granted) == 0 {
		return nil
	}
	to := rbacSubjectsString(granted, b.Namespace)
	hint := "bind a narrower role, e.g. the built-in admin or edit ClusterRole with a RoleBinding in the namespaces that need it"
	if b.Kind == KindRoleBinding {
		hint = "bind a narrower role, e.g. the built-in edit or admin ClusterRole"
	}
	deny := func(msg string) []Violation {
		return []Violation{{Field: rbacRoleRefNamePath, Message: msg, Hint: hint}}
	}
	if b.RoleRef.Kind == KindClusterRole && b.RoleRef.Name == rbacClusterAdminRole {
		return deny(fmt.Sprintf("%s grants cluster-admin%s to %s", b.Kind, b.where(), to))
	}
	key, ok := b.Role()
	if !ok {
		return nil
	}
	role, err := rbacLookupRole(in, key)
	if err != nil {
		return LookupFailed(err, rbacRoleRefNamePath, b.roleString())
	}
	if role == nil {
		return []Violation{{
			Field: rbacRoleRefNamePath,
			Message: fmt.Sprintf("%s grants %s%s, which does not exist yet: the role will be judged against this binding when it is created",
				b.Kind, b.roleString(), b.where()),
			Hint:   "create the role before binding it, and check that roleRef.name is spelled right",
			AtMost: ActionWarn,
		}}
	}
	if j := rbacAggregatesClusterAdmin(role.cr); j >= 0 {
		return deny(fmt.Sprintf("%s grants %s%s to %s: its aggregationRule.clusterRoleSelectors[%d] selects cluster-admin, so it holds every permission",
			b.Kind, b.roleString(), b.where(), to, j))
	}
	rules := rbacHeldRules(in, role)
	builtin := rbacBuiltinAdminEdit(key)
	if builtin {
		rules = rbacWithoutBuiltinPowers(rules)
	}
	if h, ok := rbacFind(rbacAdminPowers, rules, b.scope()); ok {
		return deny(fmt.Sprintf("%s grants %s%s to %s: %s", b.Kind, b.roleString(), b.where(), to, h.sentence()))
	}
	if builtin && b.clusterWide() {
		return []Violation{{
			Field: rbacRoleRefNamePath,
			Message: fmt.Sprintf("%s grants the built-in %s in every namespace, kube-system included, to %s: it reads every Secret and runs commands in every pod",
				b.Kind, b.roleString(), to),
			Hint:   "bind it with a RoleBinding in each namespace that needs it",
			AtMost: ActionWarn,
		}}
	}
	if h, ok := rbacFind(rbacSensitivePowers, rules, b.scope()); ok {
		so := h.sentence()
		if !b.clusterWide() {
			so = strings.Replace(so, "in this namespace", fmt.Sprintf("in namespace %q", b.Namespace), 1)
		}
		return []Violation{{
			Field:   rbacRoleRefNamePath,
			Message: fmt.Sprintf("%s grants %s%s to %s: %s", b.Kind, b.roleString(), b.where(), to, so),
			Hint:    "make sure the subject needs this; for a workload, limit it with resourceNames or to the namespaces it serves",
			AtMost:  ActionWarn,
		}}
	}
	return nil
}

// rbacBuiltinAdminEdit reports whether key is the built-in admin or edit
// ClusterRole, which the API server keeps (by name) and aggregates into.
func rbacBuiltinAdminEdit(key RoleKey) bool {
	return key.Kind == KindClusterRole && (key.Name == "admin" || key.Name == "edit")
}

// rbacBuiltinAdminEditPowers are the cluster-admin-equivalent permissions
// the built-in admin and edit roles hold by design (bootstrap
// aggregate-to-edit): acting as, and minting tokens of, the service
// accounts of the namespaces they are bound in.
var rbacBuiltinAdminEditPowers = []rbacv1.PolicyRule{
	pr([]string{"impersonate"}, "", []string{"serviceaccounts"}),
	pr([]string{"create"}, "", []string{"serviceaccounts/token"}),
}

// rbacWithoutBuiltinPowers drops the rules that grant no more than
// rbacBuiltinAdminEditPowers: through a ClusterRoleBinding the built-in
// admin and edit roles are warned about as such; anything aggregated into
// them beyond their design is still judged.
func rbacWithoutBuiltinPowers(rules []rbacRuleRef) []rbacRuleRef {
	return slices.DeleteFunc(slices.Clone(rules), func(r rbacRuleRef) bool {
		return slices.ContainsFunc(rbacBuiltinAdminEditPowers, func(p rbacv1.PolicyRule) bool { return rbacCovers(p, r.rule) })
	})
}

// rbacRole is a Role or ClusterRole as the RBAC rules read it.
type rbacRole struct {
	key   RoleKey
	rules []rbacv1.PolicyRule
	cr    *rbacv1.ClusterRole // nil for a Role
}

// rbacRoleOf returns the Role or ClusterRole under judgement, nil for any
// other type. A Role without namespace takes the request's.
func rbacRoleOf(in *Input) *rbacRole {
	switch o := in.Object.(type) {
	case *rbacv1.ClusterRole:
		if o == nil {
			return nil
		}
		return &rbacRole{key: RoleKey{Kind: KindClusterRole, Name: o.Name}, rules: o.Rules, cr: o}
	case *rbacv1.Role:
		if o == nil {
			return nil
		}
		ns := o.Namespace
		if ns == "" {
			ns = in.Ref.Namespace
		}
		return &rbacRole{key: RoleKey{Kind: KindRole, Namespace: ns, Name: o.Name}, rules: o.Rules}
	}
	return nil
}

// rbacLookupRole looks up a role: (nil, nil) when it does not exist, the
// lookup error otherwise (ErrNotInInput offline).
func rbacLookupRole(in *Input, key RoleKey) (*rbacRole, error) {
	if in.Cluster == nil {
		return nil, ErrNotInInput
	}
	switch key.Kind {
	case KindClusterRole:
		cr, err := in.Cluster.ClusterRole(key.Name)
		if err != nil || cr == nil {
			return nil, err
		}
		return &rbacRole{key: key, rules: cr.Rules, cr: cr}, nil
	case KindRole:
		r, err := in.Cluster.Role(key.Namespace, key.Name)
		if err != nil || r == nil {
			return nil, err
		}
		return &rbacRole{key: key, rules: r.Rules}, nil
	}
	return nil, ErrNotInInput
}

// rbacHeldRules returns what a bound role grants now: its rules. An
// aggregated ClusterRole's rules are what the aggregation controller last
// copied in from the ClusterRoles its selectors pick; while they are still
// empty (a role created a moment ago, or a manifest: the controller has
// not run) they are computed from those ClusterRoles. A labelled
// ClusterRole written while the aggregated role is bound was judged as
// part of it at its own write.
func rbacHeldRules(in *Input, role *rbacRole) []rbacRuleRef {
	if role.cr == nil || role.cr.AggregationRule == nil || len(role.rules) > 0 {
		return rbacOwnRules(role.rules)
	}
	index, err := in.Cluster.ClusterRoleIndex()
	if err != nil {
		return nil
	}
	return newRBACAggregation(index, role.cr, role.key.Name, true).rulesOf(role.key.Name)
}

// rbacRoleVerdict is what a role write does to one bound role.
type rbacRoleVerdict struct {
	key      RoleKey
	rules    []rbacRuleRef
	cluster  rbacHeld // power held through ClusterRoleBindings
	okC      bool
	ns       rbacHeld // power held through RoleBindings
	okN      bool
	sys      rbacHeld // power held through RoleBindings in kube-system
	okS      bool
	bindings []*Binding // bindings that empower someone in a scope where a power holds
}

// holdsIn reports whether the role holds a power through a binding of
// scope sc.
func (v *rbacRoleVerdict) holdsIn(sc rbacScope) bool {
	switch sc {
	case rbacScopeCluster:
		return v.okC
	case rbacScopeSystem:
		return v.okS
	case rbacScopeNamespace:
		return v.okN
	}
	return false
}

// rbacPowerSearch is rbacFind over one set of rules in several scopes:
// a power that counts in more than one scope is judged once. It keeps
// what it judged in two bit sets (tables of up to 64 powers; a longer
// one is searched with rbacFind) and the powers held, which are few.
type rbacPowerSearch struct {
	powers        []rbacPower
	rules         []rbacRuleRef
	judged, holds uint64
	held          []rbacHeldAt
}

type rbacHeldAt struct {
	i int
	h rbacHeld
}

func newRBACPowerSearch(powers []rbacPower, rules []rbacRuleRef) rbacPowerSearch {
	return rbacPowerSearch{powers: powers, rules: rules}
}

// find is rbacFind(s.powers, s.rules, sc).
func (s *rbacPowerSearch) find(sc rbacScope) (rbacHeld, bool) {
	if len(s.powers) > 64 {
		return rbacFind(s.powers, s.rules, sc)
	}
	for i := range s.powers {
		p := &s.powers[i]
		if !p.holdsIn(sc) {
			continue
		}
		bit := uint64(1) << i
		if s.judged&bit == 0 {
			s.judged |= bit
			if h, ok := rbacHolds(p, s.rules); ok {
				s.holds |= bit
				s.held = append(s.held, rbacHeldAt{i, h})
			}
		}
		if s.holds&bit != 0 {
			for _, x := range s.held {
				if x.i == i {
					return x.h, true
				}
			}
		}
	}
	return rbacHeld{}, false
}

func checkRBACClusterAdminRole(in *Input, role *rbacRole) []Violation {
	if in.Cluster == nil {
		return nil
	}
	var vs []Violation
	// The role itself, as it will be once written (an aggregated
	// ClusterRole with the rules its selectors pick).
	var own []rbacRuleRef
	var agg *rbacAggregation
	if role.cr == nil {
		own = rbacOwnRules(role.rules)
	} else {
		index, err := in.Cluster.ClusterRoleIndex()
		if err != nil {
			if role.cr.AggregationRule != nil || len(role.cr.Labels) > 0 {
				vs = append(vs, LookupFailed(err, field.NewPath("metadata", "labels"), "the aggregated ClusterRoles")...)
			}
			index = nil
		}
		agg = newRBACAggregation(index, role.cr, role.key.Name, false)
		own = agg.rulesOf(role.key.Name)
	}
	vs = append(vs, rbacJudgeBoundRole(in, role.key, own, nil)...)
	// The aggregated ClusterRoles its labels make it flow into.
	if agg != nil {
		for _, a := range agg.aggregatorsOf(role.key.Name) {
			vs = append(vs, rbacJudgeBoundRole(in, RoleKey{Kind: KindClusterRole, Name: a.Name}, agg.rulesOf(a.Name), a)...)
		}
	}
	return vs
}

// rbacJudgeBoundRole judges the role key, holding rules once the write is
// done, against its bindings. via is the aggregated ClusterRole the
// judged role flows into (nil when key is the judged role itself): then
// only powers the judged role's own rules take part in count.
func rbacJudgeBoundRole(in *Input, key RoleKey, rules []rbacRuleRef, via *rbacv1.ClusterRole) []Violation {
	if rbacBuiltinAdminEdit(key) {
		rules = rbacWithoutBuiltinPowers(rules)
	}
	v := rbacRoleVerdict{key: key, rules: rules}
	search := newRBACPowerSearch(rbacAdminPowers, rules)
	if key.Kind == KindClusterRole {
		v.cluster, v.okC = search.find(rbacScopeCluster)
	}
	v.ns, v.okN = search.find(rbacScopeNamespace)
	if key.Kind == KindClusterRole || key.Namespace == rbacSystemNamespace {
		v.sys, v.okS = search.find(rbacScopeSystem)
	}
	if via != nil {
		v.okC = v.okC && v.cluster.ownShare()
		v.okN = v.okN && v.ns.ownShare()
		v.okS = v.okS && v.sys.ownShare()
	}
	if !v.okC && !v.okN && !v.okS {
		return nil
	}
	blame := rbacRulesPath
	if via != nil {
		blame = rbacLabelsPath
	}
	bs, err := in.Cluster.Bindings(key)
	if err != nil {
		return LookupFailed(err, blame, "the bindings of "+key.String())
	}
	for _, b := range bs {
		if v.holdsIn(b.scope()) && rbacGrantsAnyone(b) {
			if v.bindings == nil {
				v.bindings = make([]*Binding, 0, len(bs))
			}
			v.bindings = append(v.bindings, b)
		}
	}
	if len(v.bindings) == 0 {
		return nil
	}
	clusterBound := slices.ContainsFunc(v.bindings, (*Binding).clusterWide)
	systemBound := slices.ContainsFunc(v.bindings, func(b *Binding) bool { return b.scope() == rbacScopeSystem })
	h := v.ns
	switch {
	case clusterBound:
		h = v.cluster
	case systemBound:
		h = v.sys
	}
	// The message, in one buffer: `ClusterRole would make the subjects
	// bound to it cluster-admin: its rules[1] allows ...; bound by ...`.
	msg := make([]byte, 0, 512)
	if via != nil {
		msg = appendQuoted(append(msg, "ClusterRole flows into the aggregated ClusterRole "...), via.Name)
		msg = append(msg, ", which would "...)
	} else {
		msg = append(append(msg, key.Kind...), " would "...)
	}
	switch {
	case clusterBound:
		msg = append(msg, "make the subjects bound to it cluster-admin"...)
	case systemBound:
		msg = append(msg, "make the subjects bound to it in kube-system cluster-admin (they would act as the controllers' service accounts)"...)
	case key.Kind == KindRole:
		msg = appendQuoted(append(msg, "give the subjects bound to it every permission in namespace "...), key.Namespace)
	default:
		msg = append(msg, "give the subjects bound to it every permission in the namespaces where it is bound"...)
	}
	msg = h.appendSentence(append(msg, ": "...))
	msg = appendRBACBound(append(msg, "; bound "...), key, v.bindings)
	hint := "keep the role narrower while it is bound, or remove the bindings first (kubectl get clusterrolebindings,rolebindings -A -o wide | grep '" + key.Kind + "/" + key.Name + "')"
	if key.Kind == KindRole {
		hint = "keep the role narrower while it is bound, or remove the bindings first (kubectl get rolebindings -n " + key.Namespace + " -o wide | grep 'Role/" + key.Name + "')"
	}
	return []Violation{{
		Field:   h.blame(blame),
		Message: string(msg),
		Hint:    hint,
	}}
}

// rbacLabelsPath is metadata.labels, blamed when a ClusterRole's labels
// make it flow into an aggregated one.
var rbacLabelsPath = field.NewPath("metadata", "labels")

// rbacMaxListed caps the bindings a message names.
const rbacMaxListed = 3

// appendRBACBound appends who is bound to a role: `by ClusterRoleBinding
// "a" to User "alice"; by RoleBinding "b" to Group "ops"`. The
// RoleBindings of a ClusterRole live in any namespace: they are only
// counted, so that a tenant allowed to write a ClusterRole learns nothing
// about other namespaces.
func appendRBACBound(b []byte, key RoleKey, bs []*Binding) []byte {
	start := len(b)
	part := func() {
		if len(b) > start {
			b = append(b, "; "...)
		}
	}
	var rbs int
	var nss []string // the RoleBindings' namespaces, counted once sorted
	listed := 0
	for _, bd := range bs {
		if key.Kind == KindClusterRole && bd.Kind == KindRoleBinding {
			if nss == nil {
				nss = make([]string, 0, len(bs))
			}
			rbs++
			nss = append(nss, bd.Namespace)
			continue
		}
		if listed == rbacMaxListed {
			continue
		}
		listed++
		part()
		b = append(append(append(b, "by "...), bd.Kind...), ' ')
		b = appendQuoted(b, bd.Name) // fmt's %q is strconv.Quote
		b = appendRBACGranted(append(b, " to "...), bd)
	}
	if n := len(bs) - rbs - listed; n > 0 {
		part()
		b = append(strconv.AppendInt(append(b, "and "...), int64(n), 10), " more"...)
	}
	if rbs > 0 {
		part()
		b = strconv.AppendInt(append(b, "by "...), int64(rbs), 10)
		b = append(b, " RoleBinding"...)
		if rbs > 1 {
			b = append(b, 's')
		}
		slices.Sort(nss)
		n := len(slices.Compact(nss))
		b = strconv.AppendInt(append(b, " in "...), int64(n), 10)
		if n == 1 {
			b = append(b, " namespace"...)
		} else {
			b = append(b, " namespaces"...)
		}
	}
	return b
}
