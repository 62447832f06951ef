package rules

import (
	"sort"
	"strings"
	"testing"
)

// ngxOK, ngxBad and ngxInj are the three outcomes of a value check.
const (
	ngxOK  = "ok"
	ngxBad = "bad"
	ngxInj = "injection"
)

func ngxOutcome(err error) string {
	switch err.(type) {
	case nil:
		return ngxOK
	case ngxInjection:
		return ngxInj
	}
	return ngxBad
}

func TestNgxValueTypes(t *testing.T) {
	cases := []struct {
		annotation string
		value      string
		want       string
	}{
		// booleans
		{"ssl-redirect", "true", ngxOK},
		{"ssl-redirect", "False", ngxOK},
		{"ssl-redirect", "1", ngxOK},
		{"ssl-redirect", "yes", ngxBad},
		{"ssl-redirect", "true ", ngxBad},
		{"use-regex", "true;", ngxInj},
		// integers and seconds
		{"proxy-read-timeout", "60", ngxOK},
		{"proxy-read-timeout", "3600", ngxOK},
		{"proxy-read-timeout", "60s", ngxBad},
		{"proxy-read-timeout", "-1", ngxBad},
		{"proxy-read-timeout", "1.5", ngxBad},
		{"proxy-connect-timeout", "10\n", ngxInj},
		{"session-cookie-max-age", "-1", ngxOK},
		{"auth-keepalive", "10", ngxOK},
		{"canary-weight", "20", ngxOK},
		{"canary-weight", "20%", ngxBad},
		{"limit-rps", "5", ngxOK},
		{"limit-rps", "five", ngxBad},
		{"permanent-redirect-code", "308", ngxOK},
		{"permanent-redirect-code", "200", ngxBad},
		// sizes
		{"proxy-body-size", "0", ngxOK},
		{"proxy-body-size", "50m", ngxOK},
		{"proxy-body-size", "8k", ngxOK},
		{"proxy-body-size", "1G", ngxOK},
		{"proxy-body-size", " 100m ", ngxOK},
		{"proxy-body-size", "1024", ngxOK},
		{"proxy-body-size", "50MB", ngxBad},
		{"proxy-body-size", "1.5m", ngxBad},
		{"proxy-body-size", "50 m", ngxBad},
		{"proxy-body-size", "-1", ngxBad},
		{"proxy-body-size", "10m;", ngxInj},
		{"client-body-buffer-size", "1M", ngxOK},
		{"proxy-buffer-size", "16k", ngxOK},
		// CIDR lists
		{"whitelist-source-range", "10.0.0.0/8,192.168.0.0/16 ", ngxOK},
		{"whitelist-source-range", "10.0.0.0/8, 172.16.0.0/12, 192.168.0.1", ngxOK},
		{"allowlist-source-range", "2001:db8::/32,::1", ngxOK},
		{"denylist-source-range", "1.2.3.4/32", ngxOK},
		{"allowlist-source-range", "10.0.0.0/33", ngxBad},
		{"allowlist-source-range", "10.0.0.0/8,", ngxBad},
		{"allowlist-source-range", "10.0.0.0/8 192.168.0.0/16", ngxBad},
		{"allowlist-source-range", "0.0.0.0/0; allow all", ngxInj},
		// enums
		{"backend-protocol", "HTTPS", ngxOK},
		{"backend-protocol", "grpc", ngxOK},
		{"backend-protocol", "GRPCS", ngxOK},
		{"backend-protocol", "FCGI", ngxOK},
		{"backend-protocol", "AUTO_HTTP", ngxOK},
		{"backend-protocol", "HTTP2", ngxBad},
		{"backend-protocol", "AJP", ngxBad},
		{"proxy-buffering", "off", ngxOK},
		{"proxy-buffering", "disabled", ngxBad},
		{"proxy-http-version", "1.1", ngxOK},
		{"proxy-http-version", "2", ngxBad},
		{"affinity", "cookie", ngxOK},
		{"affinity", "ip", ngxBad},
		{"auth-type", "basic", ngxOK},
		{"auth-method", "GET", ngxOK},
		{"auth-method", "get", ngxBad},
		{"auth-tls-verify-client", "optional_no_ca", ngxOK},
		{"auth-tls-verify-client", "required", ngxBad},
		{"load-balance", "ewma", ngxOK},
		{"load-balance", "least_conn", ngxBad},
		{"session-cookie-samesite", "None", ngxOK},
		{"session-cookie-samesite", "lax", ngxOK},
		{"satisfy", "any", ngxOK},
		// URLs
		{"auth-url", "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth", ngxOK},
		{"auth-url", "https://$host/oauth2/auth", ngxOK},
		{"auth-url", "http://auth.example.com:4180/oauth2/auth?allowed_groups=a%40b,c", ngxOK},
		{"auth-url", "oauth2-proxy/oauth2/auth", ngxBad},
		{"auth-url", "http://", ngxBad},
		{"auth-url", "http://example.com/#;\ninjection_point", ngxInj},
		{"auth-url", "http://a.com/ x", ngxBad},
		{"auth-url", "http://a.com/\"; }", ngxInj},
		{"auth-signin", "https://$host/oauth2/start?rd=$escaped_request_uri", ngxOK},
		{"auth-signin", "https://auth.internal.com/outpost.goauthentik.io/start?rd=$escaped_request_uri", ngxOK},
		{"auth-signin", "$scheme://$host/oauth2/start", ngxOK},
		{"permanent-redirect", "https://www.example.com$request_uri", ngxOK},
		{"permanent-redirect", "https://example.sharepoint.com/sites/IT%20OPS", ngxOK},
		{"permanent-redirect", "https://example.com;\nlocation ~* ^/x { alias /var/run/secrets/; }", ngxInj},
		{"temporal-redirect", "https://maintenance.example.com/", ngxOK},
		{"auth-tls-error-page", "https://example.com/error-cert.html", ngxOK},
		{"mirror-target", "https://test.env.com/$request_uri", ngxOK},
		{"mirror-target", "http://mirror.ns.svc;\n}\nserver { listen 1234; }", ngxInj},
		{"mirror-target", "https://a/${request_uri}", ngxOK},
		{"mirror-target", "https://a/{x}", ngxInj},
		// paths
		{"rewrite-target", "/$2", ngxOK},
		{"rewrite-target", "/", ngxOK},
		{"rewrite-target", "/api/$1?lang=${arg_lang}", ngxOK},
		{"rewrite-target", "/$1 break", ngxBad},
		{"rewrite-target", "/$1;rewrite ^ /x", ngxInj},
		{"app-root", "/_dashboards/app/home#/", ngxOK},
		{"app-root", "#/", ngxInj},
		{"x-forwarded-prefix", "/api", ngxOK},
		{"proxy-redirect-from", "~^http://([^:]+):8080/(.*)$", ngxOK},
		{"proxy-redirect-to", "/$1/$2/$3/", ngxOK},
		{"proxy-redirect-to", "off", ngxOK},
		{"proxy-cookie-path", "/one/ /", ngxOK},
		{"proxy-cookie-path", "/ /; Secure; HttpOnly", ngxInj},
		{"proxy-cookie-domain", "localhost example.org", ngxOK},
		{"session-cookie-path", "/app", ngxOK},
		// host names
		{"server-alias", "www.example.com, *.example.org", ngxOK},
		{"server-alias", "~^www\\d+\\.example\\.com$", ngxOK},
		{"server-alias", "a.com b.com", ngxBad},
		{"server-alias", "~^w{3}\\.example\\.com$", ngxInj},
		{"upstream-vhost", "internal.example.com", ngxOK},
		{"upstream-vhost", "$host", ngxOK},
		{"upstream-vhost", "a.com;proxy_pass http://evil", ngxInj},
		{"mirror-host", "test.env.com", ngxOK},
		{"mirror-host", "test.env.com;\n", ngxInj},
		{"proxy-ssl-name", "backend.internal", ngxOK},
		// NGINX variables
		{"upstream-hash-by", "$request_uri", ngxOK},
		{"upstream-hash-by", "$binary_remote_addr$http_x_forwarded_for", ngxOK},
		{"upstream-hash-by", "${request_uri}-text-value", ngxOK},
		{"upstream-hash-by", "$request_uri;", ngxInj},
		{"auth-cache-key", "$remote_user$http_authorization", ngxOK},
		{"modsecurity-transaction-id", "$request_id", ngxOK},
		// names and references
		{"auth-secret", "basic-auth", ngxOK},
		{"auth-tls-secret", "default/ca-secret", ngxOK},
		{"auth-tls-secret", "Default/CA", ngxBad},
		{"auth-tls-secret", "a/b/c", ngxBad},
		{"auth-secret", "x\"; include /etc/passwd", ngxInj},
		{"default-backend", "error-pages", ngxOK},
		{"default-backend", "ns/error-pages", ngxBad},
		{"session-cookie-name", "route", ngxOK},
		{"session-cookie-name", "my cookie", ngxBad},
		{"session-cookie-name", "$pid", ngxInj},
		{"canary-by-header", "X-Canary", ngxOK},
		{"canary-by-header-value", "always", ngxOK},
		{"canary-by-header-pattern", "^(beta|canary)$", ngxOK},
		{"canary-by-header-pattern", "^(?!prod).*$", ngxOK},
		{"canary-by-header-pattern", "^(beta", ngxBad},
		{"fastcgi-index", "index.php", ngxOK},
		{"fastcgi-params-configmap", "example-cm", ngxOK},
		{"custom-headers", "ingress-nginx/custom-headers", ngxOK},
		// header and method lists, origins
		{"cors-allow-origin", "*", ngxOK},
		{"cors-allow-origin", "https://a.com, https://b.com", ngxOK},
		{"cors-allow-origin", "https://*.example.com:8443,http://localhost:3000,null", ngxOK},
		{"cors-allow-origin", "https://a.com/", ngxBad},
		{"cors-allow-origin", "https://a.com\"; add_header X-Leak $pid", ngxInj},
		{"cors-allow-origin", "$http_origin", ngxInj},
		{"cors-allow-headers", "DNT,X-CustomHeader,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Authorization", ngxOK},
		{"cors-allow-headers", "X-Forwarded-For, X-app123-XPTO", ngxOK},
		{"cors-allow-headers", "*", ngxBad},
		{"cors-expose-headers", "*, X-CustomResponseHeader", ngxOK},
		{"cors-allow-methods", "GET, PUT, POST, DELETE, PATCH, OPTIONS", ngxOK},
		{"cors-allow-methods", "GET;PUT", ngxInj},
		{"auth-response-headers", "X-Auth-Request-User, X-Auth-Request-Email", ngxOK},
		{"auth-response-headers", "Set-Cookie,X-authentik-username,X-authentik-groups", ngxOK},
		// lists of tokens
		{"custom-http-errors", "404,503", ngxOK},
		{"custom-http-errors", "404, 415, 500", ngxOK},
		{"custom-http-errors", "302", ngxBad},
		{"proxy-next-upstream", "error timeout http_502", ngxOK},
		{"proxy-next-upstream", "error,timeout", ngxBad},
		{"proxy-next-upstream", "error timeout invalid_header http_500 http_502 http_503 http_504 non_idempotent", ngxOK},
		{"proxy-ssl-protocols", "TLSv1.2 TLSv1.3", ngxOK},
		{"proxy-ssl-protocols", "TLSv1 TLSv1.1 TLSv1.2", ngxOK},
		{"proxy-ssl-protocols", "TLS1.2", ngxBad},
		{"ssl-ciphers", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:!aNULL:@SECLEVEL=1", ngxOK},
		{"ssl-ciphers", "ALL;", ngxInj},
		{"auth-cache-duration", "200 202 401 5m", ngxOK},
		{"auth-cache-duration", "200 202 10m, 401 5m", ngxOK},
		{"auth-cache-duration", "200 202", ngxBad},
		{"auth-cache-duration", "5m 200", ngxBad},
		// free text and regular expressions
		{"auth-realm", "Authentication Required - foo", ngxOK},
		{"auth-realm", "Please log in!", ngxOK},
		{"auth-realm", "x\"; alias /var/run/secrets/kubernetes.io/serviceaccount/token; #", ngxInj},
		{"auth-realm", "cost $5", ngxInj},
		{"auth-tls-match-cn", "CN=client.example.com", ngxOK},
		{"auth-tls-match-cn", "CN=(client1|client2)\\.example\\.com$", ngxOK},
		{"auth-tls-match-cn", "client.example.com", ngxBad},
		{"auth-tls-match-cn", "CN=abc #(\n){}\n }}\nglobal_injection;\n#", ngxInj},
		{"auth-tls-match-cn", "CN=a) { return 200; } if ($x", ngxInj},
		{"opentelemetry-operation-name", "HTTP $request_method $service_name $uri", ngxOK},
		{"connection-proxy-header", "keep-alive", ngxOK},
	}
	for _, c := range cases {
		e := ngxIndex[c.annotation]
		if e == nil {
			t.Errorf("%s: not in the table", c.annotation)
			continue
		}
		if got := ngxOutcome(e.typ.check(c.value)); got != c.want {
			t.Errorf("%s: %q: got %s, want %s", c.annotation, c.value, got, c.want)
		}
	}
}

func TestNgxAnnotationTable(t *testing.T) {
	names := make([]string, len(ngxAnnotations))
	for i, a := range ngxAnnotations {
		names[i] = a.name
		if a.typ == nil {
			t.Errorf("%s: no type", a.name)
		}
		if a.typ != ngxSnippet && a.typ != ngxRemoved && a.typ.check == nil {
			t.Errorf("%s: type without parser", a.name)
		}
		if a.useInstead != "" && (a.typ != ngxRemoved || ngxIndex[a.useInstead] == nil || ngxIndex[a.useInstead].typ == ngxRemoved) {
			t.Errorf("%s: replacement %q is not a supported annotation", a.name, a.useInstead)
		}
		if strings.HasSuffix(a.name, "-snippet") != (a.typ == ngxSnippet) {
			t.Errorf("%s: snippet names and the snippet type must agree", a.name)
		}
	}
	for from, to := range ngxMisnomers {
		if e := ngxIndex[to]; e == nil || e.typ == ngxRemoved || ngxIndex[from] != nil {
			t.Errorf("misnomer %q -> %q: target must be a supported annotation, source unknown", from, to)
		}
	}
	if !sort.StringsAreSorted(names) {
		t.Error("ngxAnnotations is not sorted by name")
	}
	if len(ngxIndex) != len(ngxAnnotations) {
		t.Error("ngxAnnotations has duplicate names")
	}
}

func TestClosestNgxAnnotation(t *testing.T) {
	cases := map[string]string{
		"proxy-body-sise":      "proxy-body-size",
		"Proxy-Body-Size":      "proxy-body-size",
		"rewrite-targt":        "rewrite-target",
		"ssl-redirects":        "ssl-redirect",
		"force-ssl-redirects":  "force-ssl-redirect",
		"enable-cores":         "enable-cors",
		"proxy-read-timout":    "proxy-read-timeout",
		"whitelist-source-ip":  "",
		"configuration-snipet": "configuration-snippet",
		"ingress.class":        "",
		"completely-unrelated": "",
		"client-max-body-size": "proxy-body-size",
	}
	for in, want := range cases {
		if got := closestNgxAnnotation(in); got != want {
			t.Errorf("closestNgxAnnotation(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestClosestNgxAnnotationPruning: skipping names by length and stopping
// comparisons early give the same suggestion as comparing every name in
// full, on typos of every known name.
func TestClosestNgxAnnotationPruning(t *testing.T) {
	reference := func(name string) string {
		name = strings.ToLower(name)
		if s, ok := ngxMisnomers[name]; ok {
			return s
		}
		best, bestDist := "", -1
		for _, a := range ngxAnnotations {
			if a.typ == ngxRemoved {
				continue
			}
			if d := ngxEditDistance(name, a.name); bestDist < 0 || d < bestDist {
				best, bestDist = a.name, d
			}
		}
		if bestDist > max(len(name)/4, 2) {
			return ""
		}
		return best
	}
	n := 0
	for _, a := range ngxAnnotations {
		for _, typo := range []string{a.name, a.name + "s", "x" + a.name, a.name[1:], strings.ToUpper(a.name[:1]) + a.name[2:],
			strings.ReplaceAll(a.name, "-", ""), strings.ReplaceAll(a.name, "-", "_"), a.name + "-extra-words", "z"} {
			n++
			if got, want := closestNgxAnnotation(typo), reference(typo); got != want {
				t.Errorf("closestNgxAnnotation(%q) = %q, comparing all in full gives %q", typo, got, want)
			}
		}
	}
	if n < 1000 {
		t.Errorf("only %d names tried", n)
	}
}

func TestNgxEditDistanceWithin(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		bound int
		want  int
	}{
		{"kitten", "sitting", 3, 3},
		{"kitten", "sitting", 2, 3},
		{"kitten", "sitting", 0, 1},
		{"proxy-body-size", "proxy-read-timeout", 4, 5},
		{"", "abc", 5, 3},
	} {
		if got := ngxEditDistanceWithin(c.a, c.b, c.bound); got != c.want {
			t.Errorf("ngxEditDistanceWithin(%q, %q, %d) = %d, want %d", c.a, c.b, c.bound, got, c.want)
		}
	}
}

func TestNgxEditDistance(t *testing.T) {
	cases := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"kitten", "sitting", 3},
		{"proxy-body-sise", "proxy-body-size", 1},
	}
	for _, c := range cases {
		if got := ngxEditDistance(c.a, c.b); got != c.want {
			t.Errorf("ngxEditDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestQuoteNgxValue(t *testing.T) {
	if got := quoteNgxValue("a\nb"); got != `"a\nb"` {
		t.Errorf("got %s", got)
	}
	long := strings.Repeat("x", 100)
	if got := quoteNgxValue(long); got != `"`+strings.Repeat("x", 64)+`…"` {
		t.Errorf("got %s", got)
	}
}
