package rules

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Settings are the rule parameters, in the vocabulary of the configuration
// file: its resources, ingress and priority sections are exactly these
// structs (internal/config embeds Settings), and the fixtures' "# settings:"
// lines use the same keys. The zero value is not useful; start from
// DefaultSettings.
type Settings struct {
	Resources ResourcesSettings `json:"resources"`
	Ingress   IngressSettings   `json:"ingress"`
	Priority  PrioritySettings  `json:"priority"`
}

// ResourcesSettings configure resources-requests and the request defaults
// the mutating webhook fills.
type ResourcesSettings struct {
	// Required lists the resources every container must request.
	Required []corev1.ResourceName `json:"required"`
	// FillDefaults makes /mutate fill missing requests from Defaults.
	FillDefaults bool `json:"fillDefaults,omitempty"`
	// Defaults are the requests /mutate fills when FillDefaults is on.
	Defaults map[corev1.ResourceName]string `json:"defaults,omitempty"`
}

// IngressSettings configure the ingress rules.
type IngressSettings struct {
	// WildcardHostNamespaces may publish catch-all Ingress rules (no
	// host, a bare "*", or a wildcard host such as "*.example.com").
	WildcardHostNamespaces []string `json:"wildcardHostNamespaces,omitempty"`
	// TLSSecretLookups lets ingress-tls check that TLS secrets exist (the
	// server then watches Secret metadata: needs list/watch on them).
	TLSSecretLookups bool `json:"tlsSecretLookups,omitempty"`
	// SharedHosts are hosts that several namespaces may serve together
	// (ingress-conflict): a namespace listed for a host may serve it
	// whoever serves it already.
	SharedHosts []SharedHost `json:"sharedHosts,omitempty"`
}

// SharedHost lets the listed namespaces serve the listed hosts together.
type SharedHost struct {
	// Hosts are host names, or "*.example.com" for every host under
	// example.com (any depth, and the wildcard host itself). Compared
	// case-insensitively, a trailing dot ignored.
	Hosts []string `json:"hosts"`
	// Namespaces may serve those hosts.
	Namespaces []string `json:"namespaces"`
}

// SharedWith reports whether the settings let namespace ns serve host
// (normalised by NormalizeHost).
func (s IngressSettings) SharedWith(host, ns string) bool {
	for _, sh := range s.SharedHosts {
		if !slices.Contains(sh.Namespaces, ns) {
			continue
		}
		for _, p := range sh.Hosts {
			p = NormalizeHost(p)
			if p == host {
				return true
			}
			if suffix, ok := strings.CutPrefix(p, "*"); ok && strings.HasPrefix(suffix, ".") && strings.HasSuffix(host, suffix) {
				return true
			}
		}
	}
	return false
}

// PrioritySettings configure the priority rules and the priority class
// the mutating webhook fills.
type PrioritySettings struct {
	// CriticalAddons are extra selectors that mark workloads as critical
	// add-ons, beyond the well-known ones.
	CriticalAddons []AddonSelector `json:"criticalAddons,omitempty"`
	// AddonNamespaces are namespaces where add-ons live besides
	// kube-system and each well-known add-on's upstream namespaces (e.g.
	// an ingress controller installed in "edge"): the add-on table and
	// the criticalAddons selectors without a namespace count there. Only
	// cluster administrators should create workloads in them.
	AddonNamespaces []string `json:"addonNamespaces,omitempty"`
	// CriticalClasses are accepted for critical add-ons in addition to
	// system-cluster-critical and system-node-critical.
	CriticalClasses []string `json:"criticalClasses,omitempty"`
	// FillPriorityClass makes /mutate set priorityClassName on critical
	// add-ons that have none.
	FillPriorityClass bool `json:"fillPriorityClass"`
}

// AddonSelector marks workloads as critical add-ons. All set fields must
// match. A selector without a namespace selects only in the add-on
// namespaces (kube-system and PrioritySettings.AddonNamespaces): labels and
// names alone are anyone's to copy.
type AddonSelector struct {
	// Name is the workload's name.
	Name string `json:"name,omitempty"`
	// Namespace restricts the selector to one namespace.
	Namespace string `json:"namespace,omitempty"`
	// Labels must all be present with these values on the workload or its
	// pod template.
	Labels map[string]string `json:"labels,omitempty"`
	// NodeAgent says the add-on runs on every node and wants
	// system-node-critical.
	NodeAgent bool `json:"nodeAgent,omitempty"`
}

// DefaultSettings returns the settings of the embedded configuration
// (internal/config/default.yaml; a test there keeps the two equal).
func DefaultSettings() *Settings {
	return &Settings{
		Resources: ResourcesSettings{Required: []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory}},
		Priority:  PrioritySettings{FillPriorityClass: true},
	}
}
