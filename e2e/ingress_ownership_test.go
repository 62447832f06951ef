//go:build e2e

package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// Host ownership (ingress-conflict): the namespaces and hosts of these
// scenarios.
const (
	ownOwner   = "e2e-own-a" // serves ownHost first
	ownTenant  = "e2e-own-b" // the tenant who tries to take it
	ownGuest   = "e2e-own-c" // named by the owner's share-host-with
	ownHost    = "own.e2e.example.com"
	sharedHost = "shared.e2e.example.com" // in the suite config's ingress.sharedHosts, for ownTenant
	// ownSecondClass is a second IngressClass of ingress-nginx's controller.
	ownSecondClass = "e2e-own-internal"
	ownTenantUser  = "e2e-own-tenant"
)

// ownIngress renders an Ingress with one rule: host, path, pathType and
// class ("" leaves spec.ingressClassName unset), and annotations.
func ownIngress(ns, name, class, host, path, pathType string, ann map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: %s\n  namespace: %s\n", name, ns)
	if len(ann) > 0 {
		keys := make([]string, 0, len(ann))
		for k := range ann {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("  annotations:\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "    %s: %q\n", k, ann[k])
		}
	}
	b.WriteString("spec:\n")
	if class != "" {
		fmt.Fprintf(&b, "  ingressClassName: %s\n", class)
	}
	fmt.Fprintf(&b, `  rules:
  - host: %s
    http:
      paths:
      - path: %q
        pathType: %s
        backend:
          service:
            name: %s
            port:
              number: 80
`, host, path, pathType, name)
	return b.String()
}

// testIngressOwnership: a host belongs to the namespace that serves it.
// A tenant (who may write Ingresses in its own namespace only; the
// sandbox runs no controller-manager to fill the aggregated edit role)
// cannot add rules to another
// namespace's host in any shape — Exact /, ImplementationSpecific /, a
// sub-path Prefix, a regex with use-regex, a canary, a second IngressClass
// of the same controller — nor grant itself the host with its own
// share-host-with annotation; the owner's annotation and the
// configuration's sharedHosts let it in. The denial names neither the
// other namespace nor its Ingress (a server-side dry run must not be an
// oracle of who serves what); the webhook's log does.
func testIngressOwnership(t *testing.T) {
	t.Parallel()
	for _, ns := range []string{ownOwner, ownTenant, ownGuest} {
		createNamespace(t, ns, map[string]string{modeLabel: "enforce"})
	}
	mustOK(t, adminIn(t, `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: `+ownSecondClass+`
spec:
  controller: k8s.io/ingress-nginx
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: ingress-editor
  namespace: `+ownTenant+`
rules:
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: e2e-own-tenant-ingresses
  namespace: `+ownTenant+`
subjects:
- kind: User
  apiGroup: rbac.authorization.k8s.io
  name: `+ownTenantUser+`
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: ingress-editor
`, "apply", "-f", "-"))
	kc, err := suite.sb.UserKubeconfig(ownTenantUser, "e2e-tenants")
	if err != nil {
		t.Fatal(err)
	}
	tenant := func(args ...string) result { return kube(t, kc, "", args...) }
	if !eventually(15*time.Second, func() bool {
		r := tenant("auth", "can-i", "create", "ingresses.networking.k8s.io", "-n", ownTenant)
		return r.ok() && strings.TrimSpace(r.stdout) == "yes"
	}) {
		t.Fatal("the tenant never got create on ingresses in its namespace")
	}

	// The owner serves the host and shares it with ownGuest only.
	share := map[string]string{"guardrails.dev/share-host-with": ownGuest}
	owner := writeTemp(t, "owner.yaml", []byte(ownIngress(ownOwner, "shop-main", "nginx", ownHost, "/", "Prefix", share)))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "-f", owner)))

	conflict := finding{"ingress-conflict", "spec.rules[0].host"}
	tenantMessage := fmt.Sprintf("host %q is served by another namespace", ownHost)
	// denied applies file as the tenant, dry run first (the oracle), and
	// checks the denial tells nothing about the owner.
	denied := func(t *testing.T, name, file string) {
		t.Helper()
		for _, dry := range []bool{true, false} {
			args := []string{"apply", "-f", file}
			if dry {
				args = append(args, "--dry-run=server")
			}
			r := tenant(args...)
			mustDeny(t, r, conflict)
			if !strings.Contains(r.stderr, tenantMessage) {
				t.Errorf("the denial does not say %q:\n%s", tenantMessage, r)
			}
			if strings.Contains(r.stderr, ownOwner) || strings.Contains(r.stderr, "shop-main") {
				t.Errorf("the denial names the owner's namespace or Ingress:\n%s", r)
			}
		}
		mustNotExist(t, ownTenant, "ingress", name)
	}

	// Once the webhook's cache has the owner's Ingress, the plain hijack
	// is denied.
	first := writeTemp(t, "exact-root.yaml", []byte(ownIngress(ownTenant, "grab-exact", "nginx", ownHost, "/", "Exact", nil)))
	last := untilDenied(t, 15*time.Second, "the hijacking Ingress was never denied", func() result { return tenant("apply", "--dry-run=server", "-f", first) })

	for _, tc := range []struct {
		name, class, path, pathType string
		ann                         map[string]string
	}{
		{"grab-exact", "nginx", "/", "Exact", nil},
		{"grab-impl", "nginx", "/", "ImplementationSpecific", nil},
		{"grab-checkout", "nginx", "/checkout", "Prefix", nil},
		{"grab-regex", "nginx", "/.*", "ImplementationSpecific", map[string]string{"nginx.ingress.kubernetes.io/use-regex": "true"}},
		{"grab-canary", "nginx", "/", "Prefix", map[string]string{"nginx.ingress.kubernetes.io/canary": "true", "nginx.ingress.kubernetes.io/canary-weight": "100"}},
		{"grab-second-class", ownSecondClass, "/promo", "Prefix", nil},
		{"grab-default-class", "", "/default", "Prefix", nil},
		// The tenant names the owner in its own annotation: it grants
		// nothing, only the namespaces serving the host can share it.
		{"grab-self-grant", "nginx", "/checkout", "Prefix", map[string]string{"guardrails.dev/share-host-with": ownOwner + "," + ownTenant}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			denied(t, tc.name, writeTemp(t, tc.name+".yaml", []byte(ownIngress(ownTenant, tc.name, tc.class, ownHost, tc.path, tc.pathType, tc.ann))))
		})
	}
	if log := webhookLog(); !strings.Contains(log, fmt.Sprintf("served by namespace %s (Ingress shop-main)", ownOwner)) {
		t.Errorf("the webhook's log lacks who serves the host (the administrator's detail)")
	}

	// The namespace the owner names may join.
	guest := writeTemp(t, "guest.yaml", []byte(ownIngress(ownGuest, "guest-cart", "nginx", ownHost, "/cart", "Prefix", nil)))
	mustNoWarnings(t, mustOK(t, admin(t, "apply", "-f", guest)))

	// Once the owner names the tenant, the tenant may add its path; a
	// route of the owner stays the owner's.
	share["guardrails.dev/share-host-with"] = ownGuest + "," + ownTenant
	mustOK(t, admin(t, "apply", "-f", writeTemp(t, "owner2.yaml", []byte(ownIngress(ownOwner, "shop-main", "nginx", ownHost, "/", "Prefix", share)))))
	checkout := writeTemp(t, "checkout.yaml", []byte(ownIngress(ownTenant, "checkout", "nginx", ownHost, "/checkout", "Prefix", nil)))
	if !eventually(15*time.Second, func() bool {
		last = tenant("apply", "--dry-run=server", "-f", checkout)
		return last.ok()
	}) {
		t.Fatalf("the owner's share-host-with never let the tenant in:\n%s", last)
	}
	mustNoWarnings(t, mustOK(t, tenant("apply", "-f", checkout)))
	dup := writeTemp(t, "dup.yaml", []byte(ownIngress(ownTenant, "dup-root", "nginx", ownHost, "/", "Prefix", nil)))
	r := tenant("apply", "--dry-run=server", "-f", dup)
	mustDeny(t, r, finding{"ingress-conflict", "spec.rules[0].http.paths[0].path"})
	if strings.Contains(r.stderr, ownOwner) || strings.Contains(r.stderr, "shop-main") {
		t.Errorf("the duplicate's denial names the owner's namespace or Ingress:\n%s", r)
	}

	// The owner takes the tenant off the list: the tenant's Ingress stays
	// (a webhook cannot evict it), but it cannot add more.
	share["guardrails.dev/share-host-with"] = ownGuest
	mustOK(t, admin(t, "apply", "-f", writeTemp(t, "owner3.yaml", []byte(ownIngress(ownOwner, "shop-main", "nginx", ownHost, "/", "Prefix", share)))))
	more := writeTemp(t, "more.yaml", []byte(ownIngress(ownTenant, "more", "nginx", ownHost, "/more", "Prefix", nil)))
	last = untilDenied(t, 15*time.Second, "after the owner revoked the share, the tenant could still add to the host", func() result { return tenant("apply", "--dry-run=server", "-f", more) })
	denied(t, "more", more)

	// A host the configuration shares with the tenant: the tenant joins
	// whoever serves it; a namespace the configuration does not list does
	// not.
	mustOK(t, admin(t, "apply", "-f", writeTemp(t, "shared-owner.yaml", []byte(ownIngress(ownOwner, "shared-main", "nginx", sharedHost, "/", "Prefix", nil)))))
	sharedOther := writeTemp(t, "shared-other.yaml", []byte(ownIngress(ownGuest, "shared-c", "nginx", sharedHost, "/c", "Prefix", nil)))
	last = untilDenied(t, 15*time.Second, "a namespace the configuration does not list joined the shared host", func() result { return admin(t, "apply", "--dry-run=server", "-f", sharedOther) })
	mustDeny(t, last, conflict)
	sharedTenant := writeTemp(t, "shared-tenant.yaml", []byte(ownIngress(ownTenant, "shared-b", "nginx", sharedHost, "/b", "Prefix", nil)))
	mustNoWarnings(t, mustOK(t, tenant("apply", "--dry-run=server", "-f", sharedTenant)))
	mustNoWarnings(t, mustOK(t, tenant("apply", "-f", sharedTenant)))
}
