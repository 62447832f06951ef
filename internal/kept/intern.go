package kept

import (
	"sync"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/guardrails-dev/guardrails/internal/rules"
)

// A decoder allocates every string of every object anew: the namespace of
// each of 10,000 bindings, the kind and API group of every subject, every
// verb of every role. The records share one copy of the strings that
// repeat, so a view pays for each once.

// Interner hands out one copy of each string it has seen, up to max
// distinct strings (past that, strings are kept as they come): a bound,
// because some of these values are free text a tenant writes.
type Interner struct {
	mu   sync.Mutex
	seen map[string]string
	max  int
}

// NewInterner returns an Interner of at most max strings.
func NewInterner(max int) *Interner { return &Interner{seen: map[string]string{}, max: max} }

// Intern returns the copy of s the Interner holds, s itself when it holds
// none and is full.
func (in *Interner) Intern(s string) string {
	if s == "" {
		return ""
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.seen[s]; ok {
		return v
	}
	if len(in.seen) < in.max {
		in.seen[s] = s
	}
	return s
}

var (
	// namespaceNames interns metadata.namespace, which names a namespace
	// that exists (or existed).
	namespaceNames = NewInterner(16384)
	// ruleWords interns the verbs, API groups, resources, resource names
	// and URLs of roles' rules: a few dozen words ("get", "list",
	// "pods", "apps") make most of every role, and a cluster holds
	// hundreds of roles. Free text, hence the bound.
	ruleWords = NewInterner(4096)
)

// Namespace returns the shared copy of a namespace's name (metadata.namespace
// of any object a view keeps).
func Namespace(s string) string { return namespaceNames.Intern(s) }

// compactRules returns a copy of rules holding each string slice at its
// length, all of them in one array, with their words interned
// (ruleWords). A decoder grows each slice as it reads (a rule of three
// verbs has room for four) and allocates each word apart: compacting took
// BenchmarkCachedObjectMemory/RoleDecoded from 1,856 to 1,583 B per role
// (1,216 B once Roles dropped their labels). Nil and empty slices stay nil
// and empty.
func compactRules(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	if rules == nil {
		return nil
	}
	n := 0
	for _, r := range rules {
		n += len(r.Verbs) + len(r.APIGroups) + len(r.Resources) + len(r.ResourceNames) + len(r.NonResourceURLs)
	}
	words := make([]string, 0, n)
	take := func(ss []string) []string {
		if ss == nil {
			return nil
		}
		start := len(words)
		for _, s := range ss {
			words = append(words, ruleWords.Intern(s))
		}
		return words[start:len(words):len(words)]
	}
	out := make([]rbacv1.PolicyRule, len(rules))
	for i, r := range rules {
		out[i] = rbacv1.PolicyRule{Verbs: take(r.Verbs), APIGroups: take(r.APIGroups), Resources: take(r.Resources),
			ResourceNames: take(r.ResourceNames), NonResourceURLs: take(r.NonResourceURLs)}
	}
	return out
}

// rbacWord returns the constant spelling of the values of a subject's or
// a roleRef's kind and API group, s itself for any other value.
func rbacWord(s string) string {
	switch s {
	case rbacv1.GroupName:
		return rbacv1.GroupName
	case rbacv1.UserKind:
		return rbacv1.UserKind
	case rbacv1.GroupKind:
		return rbacv1.GroupKind
	case rbacv1.ServiceAccountKind:
		return rbacv1.ServiceAccountKind
	case rules.KindRole:
		return rules.KindRole
	case rules.KindClusterRole:
		return rules.KindClusterRole
	}
	return s
}

// internRoleRef returns ref with its kind and API group interned.
func internRoleRef(ref rbacv1.RoleRef) rbacv1.RoleRef {
	ref.APIGroup, ref.Kind = rbacWord(ref.APIGroup), rbacWord(ref.Kind)
	return ref
}

// internSubjects returns a copy of subjects with their kinds and API
// groups interned, and their namespace when it is the binding's own
// (namespace, already interned; a subject's namespace is free text, so
// others are kept as they come).
func internSubjects(subjects []rbacv1.Subject, namespace string) []rbacv1.Subject {
	if len(subjects) == 0 {
		return subjects
	}
	out := make([]rbacv1.Subject, len(subjects))
	for i, s := range subjects {
		s.Kind, s.APIGroup = rbacWord(s.Kind), rbacWord(s.APIGroup)
		if s.Namespace == namespace {
			s.Namespace = namespace
		}
		out[i] = s
	}
	return out
}
