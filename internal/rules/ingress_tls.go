package rules

import (
	"fmt"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ingressTLS restricts spec.tls:
//
//   - every spec.tls[*].hosts[*] must be served by a rule of the same
//     Ingress: equal host (case-insensitive), a wildcard TLS host covering a
//     rule host one label deep ("*.example.com" covers "a.example.com"), or
//     a wildcard rule host covering the TLS host. A rule without host or a
//     defaultBackend serves every host; with ingress-nginx's
//     from-to-www-redirect: "true" the www/non-www twin of a rule host is
//     served too, and so is every name of its server-alias annotation;
//   - every spec.tls[*] needs a secretName (controllers otherwise fall back
//     to their default certificate, usually not valid for the host);
//   - with Settings.Ingress.TLSSecretLookups on, the secret must exist in the
//     Ingress's namespace. Skipped when cert-manager (cert-manager.io/issuer,
//     cert-manager.io/cluster-issuer, kubernetes.io/tls-acme: "true") will
//     create it.
//
// Passes: TLS entries whose hosts are routed and whose secret is named (and
// exists, when looked up).
var ingressTLS = &Rule{
	ID:            "ingress-tls",
	DefaultAction: ActionWarn,
	Kinds:         ingressKinds,
	Summary:       "TLS hosts not served by any rule, TLS entries without secret",
	Why: "A TLS host without a rule, or a TLS entry without a usable secret, leaves clients with the controller's " +
		"default certificate or no route: browsers show certificate errors or 404s.",
	Fix: "List in spec.tls only the hosts the rules serve, and give every entry a secretName " +
		"holding a certificate for those hosts.",
	Params: []string{"ingress.tlsSecretLookups"},
	Check:  checkIngressTLS,
}

func checkIngressTLS(in *Input) []Violation {
	ing, ns := ingressSubject(in)
	if ing == nil {
		return nil
	}
	var out []Violation
	lookups := in.Settings != nil && in.Settings.Ingress.TLSSecretLookups && !ingressTLSSecretManaged(ing)
	looked := map[string]bool{}
	for i, t := range ing.Spec.TLS {
		tp := field.NewPath("spec", "tls").Index(i)
		for j, h := range t.Hosts {
			if h == "" || ingressTLSHostServed(ing, h) {
				continue
			}
			out = append(out, Violation{
				Field:   tp.Child("hosts").Index(j),
				Message: fmt.Sprintf("TLS host %q is not served by any rule of this Ingress", h),
				Hint:    "add a rule for the host or remove it from spec.tls (check for a typo)",
			})
		}
		if t.SecretName == "" {
			out = append(out, Violation{
				Field:   tp.Child("secretName"),
				Message: fmt.Sprintf("TLS entry %d has no secretName, so the controller serves its default certificate", i),
				Hint:    "set secretName to a kubernetes.io/tls Secret with a certificate for the hosts",
			})
			continue
		}
		if !lookups || looked[t.SecretName] {
			continue
		}
		looked[t.SecretName] = true
		ok, err := in.Cluster.SecretExists(ns, t.SecretName)
		if err != nil {
			out = append(out, LookupFailed(err, tp.Child("secretName"), fmt.Sprintf("TLS secret %q", t.SecretName))...)
			continue
		}
		if !ok {
			out = append(out, Violation{
				Field:   tp.Child("secretName"),
				Message: fmt.Sprintf("TLS secret %q does not exist in namespace %q", t.SecretName, ns),
				Hint:    "create the Secret (type kubernetes.io/tls) in the Ingress's namespace or fix the name",
			})
		}
	}
	return out
}

// ingressTLSSecretManaged reports whether cert-manager's ingress-shim will
// create the TLS secrets of this Ingress.
func ingressTLSSecretManaged(ing *networkingv1.Ingress) bool {
	a := ing.Annotations
	return a["cert-manager.io/issuer"] != "" || a["cert-manager.io/cluster-issuer"] != "" ||
		strings.EqualFold(a["kubernetes.io/tls-acme"], "true")
}

func ingressTLSHostServed(ing *networkingv1.Ingress, tlsHost string) bool {
	if ing.Spec.DefaultBackend != nil {
		return true
	}
	th := strings.ToLower(tlsHost)
	wwwRedirect := ingressNginxBool(ing, ingressNginxPrefix+"from-to-www-redirect")
	for _, r := range ing.Spec.Rules {
		rh := strings.ToLower(r.Host)
		if rh == "" || rh == th || hostWildcardCovers(th, rh) || hostWildcardCovers(rh, th) {
			return true
		}
		// from-to-www-redirect makes the controller serve (and redirect)
		// the www/non-www twin of each rule host, over TLS too.
		if wwwRedirect && (th == "www."+rh || rh == "www."+th) {
			return true
		}
	}
	// server-alias adds names to the server of the Ingress's hosts.
	for _, alias := range strings.Split(ing.Annotations[ingressNginxPrefix+"server-alias"], ",") {
		alias = strings.ToLower(strings.TrimSpace(alias))
		if alias != "" && (alias == th || hostWildcardCovers(alias, th)) {
			return true
		}
	}
	return false
}

// hostWildcardCovers reports whether wildcard "*.suffix" matches host
// (exactly one label in place of "*", as Ingress host wildcards do).
func hostWildcardCovers(wildcard, host string) bool {
	suffix, ok := strings.CutPrefix(wildcard, "*.")
	if !ok || strings.HasPrefix(host, "*.") {
		return false
	}
	label, rest, ok := strings.Cut(host, ".")
	return ok && label != "" && rest == suffix
}
