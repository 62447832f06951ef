package rules

// Catalogue returns every rule, in the order of the rules table. It is the
// one explicit list of rules: there is no registration by init().
func Catalogue() []*Rule {
	return []*Rule{
		resourcesRequests,
		resourcesImplausible,
		ingressClass,
		ingressSnippet,
		ingressAnnotation,
		ingressPath,
		ingressConflict,
		ingressWildcardHost,
		ingressTLS,
		rbacClusterAdmin,
		rbacBroadSubject,
		rbacEscalation,
		priorityCriticalAddon,
		priorityReservedClass,
		namespaceModeLabel,
	}
}

// Lookup returns the rule with that id.
func Lookup(id string) (*Rule, bool) {
	for _, r := range Catalogue() {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}
