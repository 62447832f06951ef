//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// ingress-nginx's server-alias annotation adds names to the server of an
// Ingress's hosts: another way to take a host, or to catch every host.
// These scenarios were admitted before the annotation's names counted as
// hosts (ingress-conflict) and its patterns as catch-alls
// (ingress-wildcard-host).
const (
	aliasOwner  = "e2e-alias-a" // serves aliasHost
	aliasTenant = "e2e-alias-b" // the tenant who names it as an alias
	aliasHost   = "alias.e2e.example.com"
	aliasUser   = "e2e-alias-tenant"
)

const aliasTenantRBAC = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ingress-editor
  namespace: ` + aliasTenant + `
rules:
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "ingresses/status"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: e2e-alias-tenant-ingresses
  namespace: ` + aliasTenant + `
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: ` + aliasUser + `}
roleRef: {kind: Role, apiGroup: rbac.authorization.k8s.io, name: ingress-editor}
`

// TestServerAliasAttacks: a tenant names another namespace's host, or a
// pattern, in server-alias — at create, and later through
// ingresses/status, which keeps metadata changes.
//
// Run it with -run TestServerAliasAttacks.
func TestServerAliasAttacks(t *testing.T) {
	need(t)
	createNamespace(t, aliasOwner, map[string]string{modeLabel: "enforce"})
	createNamespace(t, aliasTenant, map[string]string{modeLabel: "enforce"})
	mustOK(t, adminIn(t, aliasTenantRBAC, "apply", "-f", "-"))
	if !eventually(15*time.Second, func() bool {
		r := as(t, aliasUser, "auth", "can-i", "patch", "ingresses", "--subresource=status", "-n", aliasTenant)
		return r.ok() && strings.TrimSpace(r.stdout) == "yes"
	}) {
		t.Fatal("the tenant never got patch on ingresses/status in its namespace")
	}
	owner := writeTemp(t, "alias-owner.yaml", []byte(ownIngress(aliasOwner, "shop", "nginx", aliasHost, "/", "Prefix", nil)))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "-f", owner)))

	aliasField := "metadata.annotations[nginx.ingress.kubernetes.io/server-alias]"
	conflict := finding{"ingress-conflict", aliasField}
	catchAll := finding{"ingress-wildcard-host", aliasField}

	t.Run("alias-of-another-namespaces-host", func(t *testing.T) {
		file := writeTemp(t, "grab-alias.yaml", []byte(ownIngress(aliasTenant, "grab-alias", "nginx", "b.alias.e2e.example.com", "/", "Prefix",
			map[string]string{"nginx.ingress.kubernetes.io/server-alias": strings.ToUpper(aliasHost)})))
		untilDenied(t, 15*time.Second, "the alias of the owner's host was never denied", func() result { return as(t, aliasUser, "apply", "--dry-run=server", "-f", file) })
		for _, dry := range []bool{true, false} {
			args := []string{"apply", "-f", file}
			if dry {
				args = append(args, "--dry-run=server")
			}
			r := as(t, aliasUser, args...)
			mustDeny(t, r, conflict)
			if want := fmt.Sprintf("host %q is served by another namespace", aliasHost); !strings.Contains(r.stderr, want) {
				t.Errorf("the denial does not say %q:\n%s", want, r)
			}
			if strings.Contains(r.stderr, aliasOwner) {
				t.Errorf("the denial names the owner's namespace:\n%s", r)
			}
		}
		mustNotExist(t, aliasTenant, "ingress", "grab-alias")
	})

	// The owner's own alias makes the host the owner's: the webhook's
	// Ingress cache keeps the annotation.
	t.Run("host-held-as-alias", func(t *testing.T) {
		const held = "held.alias.e2e.example.com"
		mustOK(t, admin(t, "apply", "-f", writeTemp(t, "alias-holder.yaml", []byte(ownIngress(aliasOwner, "holder", "nginx", "holder.alias.e2e.example.com", "/", "Prefix",
			map[string]string{"nginx.ingress.kubernetes.io/server-alias": held})))))
		file := writeTemp(t, "grab-held.yaml", []byte(ownIngress(aliasTenant, "grab-held", "nginx", held, "/", "Prefix", nil)))
		last := untilDenied(t, 15*time.Second, "a host the owner holds as a server-alias was never denied to the tenant", func() result { return as(t, aliasUser, "apply", "--dry-run=server", "-f", file) })
		mustDeny(t, last, finding{"ingress-conflict", "spec.rules[0].host"})
		mustDeny(t, as(t, aliasUser, "apply", "-f", file), finding{"ingress-conflict", "spec.rules[0].host"})
		mustNotExist(t, aliasTenant, "ingress", "grab-held")
	})

	t.Run("pattern-alias", func(t *testing.T) {
		for _, pattern := range []string{"~^.+$", "*.e2e.example.com", ".e2e.example.com"} {
			file := writeTemp(t, "pattern-alias.yaml", []byte(ownIngress(aliasTenant, "pattern-alias", "nginx", "p.alias.e2e.example.com", "/", "Prefix",
				map[string]string{"nginx.ingress.kubernetes.io/server-alias": pattern})))
			mustDeny(t, as(t, aliasUser, "apply", "--dry-run=server", "-f", file), catchAll)
			mustDeny(t, as(t, aliasUser, "apply", "-f", file), catchAll)
			mustNotExist(t, aliasTenant, "ingress", "pattern-alias")
		}
	})

	t.Run("alias-through-status", func(t *testing.T) {
		file := writeTemp(t, "door.yaml", []byte(ownIngress(aliasTenant, "door", "nginx", "door.alias.e2e.example.com", "/", "Prefix", nil)))
		mustNoWarnings(t, mustOK(t, as(t, aliasUser, "apply", "-f", file)))
		for _, tc := range []struct {
			alias string
			f     finding
		}{{aliasHost, conflict}, {"~^.+$", catchAll}} {
			patch := fmt.Sprintf(`{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/server-alias":%q}}}`, tc.alias)
			mustDeny(t, as(t, aliasUser, "patch", "ingress", "door", "-n", aliasTenant, "--subresource=status", "--type=merge", "-p", patch), tc.f)
		}
		if got := jsonpath(t, aliasTenant, "ingress", "door", `{.metadata.annotations.nginx\.ingress\.kubernetes\.io/server-alias}`); got != "" {
			t.Fatalf("a server-alias got in through ingresses/status: %q", got)
		}
		// An alias of a host nobody serves is the tenant's to take.
		own := `{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/server-alias":"www.door.alias.e2e.example.com"}}}`
		mustOK(t, as(t, aliasUser, "patch", "ingress", "door", "-n", aliasTenant, "--type=merge", "-p", own))
	})
}
