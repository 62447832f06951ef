package rules

import corev1 "k8s.io/api/core/v1"

// Settings are the rule parameters that come from the configuration. The
// zero value is not useful; start from DefaultSettings.
type Settings struct {
	// RequiredResources are the resources every container must request.
	RequiredResources []corev1.ResourceName `json:"requiredResources,omitempty"`
	// WildcardHostNamespaces may publish Ingress rules without a host or
	// with a bare "*" host.
	WildcardHostNamespaces []string `json:"wildcardHostNamespaces,omitempty"`
	// CriticalAddons are extra selectors that mark workloads as critical
	// add-ons, beyond the well-known ones.
	CriticalAddons []AddonSelector `json:"criticalAddons,omitempty"`
	// CriticalPriorityClasses are accepted for critical add-ons in addition
	// to system-cluster-critical and system-node-critical.
	CriticalPriorityClasses []string `json:"criticalPriorityClasses,omitempty"`
	// TLSSecretLookups enables the ingress-tls check that TLS secrets exist.
	TLSSecretLookups bool `json:"tlsSecretLookups,omitempty"`
}

// AddonSelector marks workloads as critical add-ons. All set fields must
// match.
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

// DefaultSettings returns the settings of the embedded configuration.
func DefaultSettings() *Settings {
	return &Settings{
		RequiredResources: []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory},
	}
}
