package admission

import "maps"

// TemplateOwners returns, by kind, the API group of the owners whose pod
// template Guardrails judges on the owner itself (see derivedFrom);
// internal/vap gives the API server's fallback policies the same notion.
func TemplateOwners() map[string]string { return maps.Clone(judgedKinds) }
