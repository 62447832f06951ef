package rules

import (
	"maps"
	"slices"
	"strings"
)

// The tables below are read by internal/vap, which turns the checks that
// need no cluster lookup into ValidatingAdmissionPolicies (the API
// server's fallback while the webhook is down). They return copies of the
// rules' own tables, so the policies cannot drift from the rules.

// SnippetAnnotation is an annotation that ingress-snippet denies when its
// value is not blank.
type SnippetAnnotation struct {
	// Key is the whole annotation key.
	Key string
	// Controller is the ingress controller that splices it, as messages
	// name it.
	Controller string
}

// SnippetAnnotations returns every annotation ingress-snippet judges,
// sorted by key (the order of its findings).
func SnippetAnnotations() []SnippetAnnotation {
	var out []SnippetAnnotation
	for _, a := range ngxAnnotations {
		if a.typ == ngxSnippet {
			out = append(out, SnippetAnnotation{Key: ingressNginxPrefix + a.name, Controller: "ingress-nginx"})
		}
	}
	for k, c := range ingressSnippetAnnotations {
		out = append(out, SnippetAnnotation{Key: k, Controller: c})
	}
	slices.SortFunc(out, func(a, b SnippetAnnotation) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// BroadSubject is a subject that rbac-broad-subject denies.
type BroadSubject struct {
	// Kind and Name of the subject (User or Group).
	Kind, Name string
	// Who says whom the subject stands for, as messages put it.
	Who string
	// Hint is the finding's remediation.
	Hint string
}

// BroadSubjects returns the subjects rbac-broad-subject looks for, sorted
// by kind and name.
func BroadSubjects() []BroadSubject {
	var out []BroadSubject
	for _, key := range slices.Sorted(maps.Keys(rbacBroadSubjects)) {
		kind, name, _ := strings.Cut(key, ":")
		out = append(out, BroadSubject{Kind: kind, Name: name, Who: rbacBroadSubjects[key], Hint: rbacBroadSubjectHint(key)})
	}
	return out
}

// SubjectKey is how the RBAC tables name a subject: "Kind:name".
func SubjectKey(kind, name string) string { return kind + ":" + name }

// PublicClusterRoleSubjects returns, by ClusterRole name, the broad
// subjects (as SubjectKey) that rbac-broad-subject accepts on a binding to
// that bootstrap role. The webhook also checks the role's rules where it
// can look them up; by name alone, the role is trusted.
func PublicClusterRoleSubjects() map[string][]string {
	out := map[string][]string{}
	for role, subjects := range rbacPublicClusterRoles {
		out[role] = slices.Sorted(maps.Keys(subjects))
	}
	return out
}

// KubeadmClusterInfoBinding describes kubeadm's RoleBinding that
// rbac-broad-subject accepts: Role Name in Namespace bound to the
// Subjects (as SubjectKey).
type KubeadmClusterInfoBinding struct {
	Namespace, Name string
	Subjects        []string
}

// KubeadmClusterInfo returns kubeadm's cluster-info RoleBinding.
func KubeadmClusterInfo() KubeadmClusterInfoBinding {
	return KubeadmClusterInfoBinding{
		Namespace: rbacKubeadmClusterInfoNamespace,
		Name:      rbacKubeadmClusterInfoName,
		Subjects:  []string{rbacSubjUnauthenticated, rbacSubjAnonymous},
	}
}

// ClusterAdminRole is the ClusterRole that rbac-cluster-admin denies by
// name.
const ClusterAdminRole = rbacClusterAdminRole

// SystemMastersGroup is the group that gains nothing from a cluster-admin
// binding (the authorizer lets it do everything before RBAC is asked).
const SystemMastersGroup = rbacSystemMasters
