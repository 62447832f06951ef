package clustercache

import "github.com/guardrails-dev/guardrails/internal/kept"

// ingressClassNames interns the class an Ingress names (free text); the
// namespaces and the RBAC records' strings are interned by package kept.
var ingressClassNames = kept.NewInterner(64)
