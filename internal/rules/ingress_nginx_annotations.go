package rules

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/util/validation"
)

// This file holds what Guardrails knows about ingress-nginx annotations: the
// typed table of annotation names (ngxAnnotations) and the small value
// parsers behind each type. ingress-annotation judges values with it,
// ingress-snippet uses the snippet entries.
//
// The value types follow the controller's own parsers
// (internal/ingress/annotations/* and parser/validators.go in
// kubernetes/ingress-nginx, which since v1.12 reject an Ingress whose
// annotation does not validate), with two deliberate differences: values the
// controller's validators reject only because they are stricter than NGINX
// needs (nginx variables in redirect URLs, "%" escapes, "#" fragments, query
// strings in rewrite targets, TLSv1.1 in proxy-ssl-protocols, upper-case
// on/off) pass; values NGINX itself cannot load ("1.5m" sizes, braces in
// server names, negative timeouts) fail.
//
// Config injection: annotation values are pasted into nginx.conf. The
// characters that end a directive or open a block (";", "{", "}"), quotes,
// backslashes, backquotes, control characters (line breaks), "#" at the start
// of a word (a comment that swallows the rest of the line) and "$" (an NGINX
// variable) where the type does not take variables are reported as injection.
// These are the shapes behind CVE-2021-25746, CVE-2023-5044 (permanent-redirect),
// CVE-2025-24514 (auth-url), CVE-2025-1097 (auth-tls-match-cn) and
// CVE-2025-1098 (mirror-target, mirror-host), which CVE-2025-1974 chained
// through the controller's admission webhook.

// ngxValueType is the type of an annotation value: what a person should
// write (for messages) and the parser that accepts it.
type ngxValueType struct {
	// expect completes "expected …" in messages.
	expect string
	// check returns nil for a valid value, an ngxInjection for a value that
	// carries config-injection characters, any other error otherwise. It is
	// never called with an empty value (the controller ignores those).
	check func(v string) error
}

// ngxInjection reports a character that can splice configuration into
// nginx.conf.
type ngxInjection struct{ char rune }

func (e ngxInjection) Error() string { return fmt.Sprintf("contains %q", string(e.char)) }

var errNgxType = errors.New("value does not parse")

// ngxAnnotation is one entry of the table. Names are without the prefix.
type ngxAnnotation struct {
	name string
	typ  *ngxValueType
	// useInstead names the annotation replacing a removed one ("" when
	// there is none); only meaningful with typ == ngxRemoved.
	useInstead string
}

// Markers for entries that are not judged by value.
var (
	// ngxSnippet: raw NGINX configuration, judged by ingress-snippet.
	ngxSnippet = &ngxValueType{expect: "raw NGINX configuration"}
	// ngxRemoved: no longer read by the controller.
	ngxRemoved = &ngxValueType{expect: "nothing (removed)"}
)

// Value types.
var (
	ngxBool         = &ngxValueType{`a boolean ("true" or "false")`, checkNgxBool}
	ngxInt          = &ngxValueType{`an integer`, checkNgxInt}
	ngxCount        = &ngxValueType{`a non-negative integer`, checkNgxCount}
	ngxSeconds      = &ngxValueType{`a whole number of seconds such as "60"`, checkNgxCount}
	ngxSize         = &ngxValueType{`an NGINX size such as "0", "8k" or "50m"`, checkNgxSize}
	ngxCIDRs        = &ngxValueType{`a comma-separated list of IP addresses or CIDR ranges such as "10.0.0.0/8,192.168.0.1"`, checkNgxCIDRs}
	ngxHTTPErrors   = &ngxValueType{`a comma-separated list of HTTP status codes from 400 to 599 such as "404,503"`, checkNgxHTTPErrors}
	ngxRedirectCode = &ngxValueType{`an HTTP redirect status code from 300 to 308`, checkNgxRedirectCode}
	ngxAuthURL      = &ngxValueType{`an http:// or https:// URL such as "http://oauth2-proxy.auth.svc.cluster.local/oauth2/auth"`, checkNgxAuthURL}
	ngxURL          = &ngxValueType{`a URL or path (letters, digits, - . _ ~ / : ? & = , % + @ ! * ( ) [ ] # and NGINX variables)`, checkNgxURLVar}
	ngxPath         = &ngxValueType{`a path such as "/" or "/$2" (NGINX variables and capture groups allowed)`, checkNgxURLVar}
	ngxURLPlain     = &ngxValueType{`a URL or path without NGINX variables (letters, digits, - . _ ~ / : ? & = , % + @ ! * ( ) [ ] #)`, checkNgxURLPlain}
	ngxProxyRedir   = &ngxValueType{`"off", "default" or a URL prefix or regular expression without spaces`, checkNgxProxyRedirect}
	ngxCookiePath   = &ngxValueType{`a cookie path rewrite such as "/one/ /" or "off"`, checkNgxCookiePath}
	ngxCookieDomain = &ngxValueType{`a cookie domain rewrite such as "localhost example.org" or "off"`, checkNgxCookieDomain}
	ngxServerNames  = &ngxValueType{`a comma-separated list of host names such as "www.example.com,*.example.org"`, checkNgxServerNames}
	ngxServerName   = &ngxValueType{`a host name such as "backend.example.com" (NGINX variables allowed)`, checkNgxServerName}
	ngxNginxVar     = &ngxValueType{`NGINX variables and text such as "$request_uri" or "${remote_addr}-x" (letters, digits, - _ $)`, checkNgxNginxVar}
	ngxToken        = &ngxValueType{`a name of letters, digits and - . _ ~ / :`, checkNgxToken}
	ngxObjectRef    = &ngxValueType{`an object name such as "basic-auth" or "namespace/name"`, checkNgxObjectRef}
	ngxServiceName  = &ngxValueType{`the name of a Service in the Ingress's namespace such as "error-pages"`, checkNgxServiceName}
	ngxHeaderNames  = &ngxValueType{`a comma-separated list of header names such as "X-Auth-User, X-Auth-Email"`, checkNgxHeaderNames}
	ngxExposeHdrs   = &ngxValueType{`a comma-separated list of header names or "*"`, checkNgxExposeHeaders}
	ngxMethods      = &ngxValueType{`a comma-separated list of HTTP methods such as "GET, PUT, POST"`, checkNgxMethods}
	ngxOrigins      = &ngxValueType{`"*" or a comma-separated list of origins such as "https://a.example.com, https://*.example.org:8443" (no path, no trailing slash)`, checkNgxOrigins}
	ngxNextUpstream = &ngxValueType{`a space-separated list of error, timeout, invalid_header, http_500, http_502, http_503, http_504, http_403, http_404, http_429, denied, non_idempotent or off`, checkNgxNextUpstream}
	ngxSSLProtocols = &ngxValueType{`a space-separated list of TLSv1.2, TLSv1.3 (or older SSLv2, SSLv3, TLSv1, TLSv1.1)`, checkNgxSSLProtocols}
	ngxCiphers      = &ngxValueType{`an OpenSSL cipher list such as "ECDHE-RSA-AES128-GCM-SHA256:!aNULL"`, checkNgxCiphers}
	ngxCacheDur     = &ngxValueType{`a comma-separated list of "[status codes] duration" such as "200 202 10m, 401 5m"`, checkNgxCacheDuration}
	ngxRealm        = &ngxValueType{`a realm text without quotes, backslashes, "$", ";" or braces`, checkNgxRealm}
	ngxMatchCN      = &ngxValueType{`"CN=" followed by a regular expression such as "CN=client.example.com"`, checkNgxMatchCN}
	ngxRegex        = &ngxValueType{`a regular expression such as "^(beta|canary)$"`, checkNgxRegex}
	ngxFileName     = &ngxValueType{`a file name such as "index.php"`, checkNgxFileName}
	ngxOperation    = &ngxValueType{`an operation name of letters, digits, spaces, - _ . / and NGINX variables`, checkNgxOperation}
	ngxOnOff        = ngxEnum(true, "on", "off")
)

// ngxEnum accepts one of options (surrounding spaces ignored).
func ngxEnum(foldCase bool, options ...string) *ngxValueType {
	quoted := make([]string, len(options))
	for i, o := range options {
		quoted[i] = strconv.Quote(o)
	}
	return &ngxValueType{
		expect: "one of " + strings.Join(quoted, ", "),
		check: func(v string) error {
			if err := scanNgxChars(v, ngxAlnum+"-_. "); err != nil {
				return err
			}
			v = strings.TrimSpace(v)
			for _, o := range options {
				if v == o || (foldCase && strings.EqualFold(v, o)) {
					return nil
				}
			}
			return errNgxType
		},
	}
}

// ngxAnnotations is every ingress-nginx annotation Guardrails knows, sorted
// by name, one per line.
var ngxAnnotations = []ngxAnnotation{
	{"add-base-url", ngxRemoved, ""},
	{"affinity", ngxEnum(false, "cookie"), ""},
	{"affinity-canary-behavior", ngxEnum(false, "sticky", "legacy"), ""},
	{"affinity-mode", ngxEnum(false, "balanced", "persistent"), ""},
	{"allowlist-source-range", ngxCIDRs, ""},
	{"app-root", ngxPath, ""},
	{"auth-always-set-cookie", ngxBool, ""},
	{"auth-cache-duration", ngxCacheDur, ""},
	{"auth-cache-key", ngxNginxVar, ""},
	{"auth-keepalive", ngxInt, ""},
	{"auth-keepalive-requests", ngxInt, ""},
	{"auth-keepalive-share-vars", ngxBool, ""},
	{"auth-keepalive-timeout", ngxInt, ""},
	{"auth-method", ngxEnum(false, "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"), ""},
	{"auth-proxy-set-headers", ngxObjectRef, ""},
	{"auth-realm", ngxRealm, ""},
	{"auth-request-redirect", ngxURL, ""},
	{"auth-response-headers", ngxHeaderNames, ""},
	{"auth-secret", ngxObjectRef, ""},
	{"auth-secret-type", ngxEnum(false, "auth-file", "auth-map"), ""},
	{"auth-signin", ngxURL, ""},
	{"auth-signin-redirect-param", ngxURLPlain, ""},
	{"auth-snippet", ngxSnippet, ""},
	{"auth-tls-error-page", ngxURL, ""},
	{"auth-tls-match-cn", ngxMatchCN, ""},
	{"auth-tls-pass-certificate-to-upstream", ngxBool, ""},
	{"auth-tls-secret", ngxObjectRef, ""},
	{"auth-tls-verify-client", ngxEnum(false, "on", "off", "optional", "optional_no_ca"), ""},
	{"auth-tls-verify-depth", ngxCount, ""},
	{"auth-type", ngxEnum(false, "basic", "digest"), ""},
	{"auth-url", ngxAuthURL, ""},
	{"backend-protocol", ngxEnum(true, "HTTP", "HTTPS", "GRPC", "GRPCS", "FCGI", "AUTO_HTTP"), ""},
	{"base-url-scheme", ngxRemoved, ""},
	{"canary", ngxBool, ""},
	{"canary-by-cookie", ngxToken, ""},
	{"canary-by-header", ngxToken, ""},
	{"canary-by-header-pattern", ngxRegex, ""},
	{"canary-by-header-value", ngxToken, ""},
	{"canary-weight", ngxCount, ""},
	{"canary-weight-total", ngxCount, ""},
	{"client-body-buffer-size", ngxSize, ""},
	{"configuration-snippet", ngxSnippet, ""},
	{"connection-proxy-header", ngxEnum(false, "close", "keep-alive"), ""},
	{"cors-allow-credentials", ngxBool, ""},
	{"cors-allow-headers", ngxHeaderNames, ""},
	{"cors-allow-methods", ngxMethods, ""},
	{"cors-allow-origin", ngxOrigins, ""},
	{"cors-expose-headers", ngxExposeHdrs, ""},
	{"cors-max-age", ngxInt, ""},
	{"custom-headers", ngxObjectRef, ""},
	{"custom-http-errors", ngxHTTPErrors, ""},
	{"default-backend", ngxServiceName, ""},
	{"denylist-source-range", ngxCIDRs, ""},
	{"disable-proxy-intercept-errors", ngxBool, ""},
	{"enable-access-log", ngxBool, ""},
	{"enable-cors", ngxBool, ""},
	{"enable-global-auth", ngxBool, ""},
	{"enable-influxdb", ngxRemoved, ""},
	{"enable-modsecurity", ngxBool, ""},
	{"enable-opentelemetry", ngxBool, ""},
	{"enable-opentracing", ngxRemoved, "enable-opentelemetry"},
	{"enable-owasp-core-rules", ngxBool, ""},
	{"enable-rewrite-log", ngxBool, ""},
	{"fastcgi-index", ngxFileName, ""},
	{"fastcgi-params-configmap", ngxObjectRef, ""},
	{"force-ssl-redirect", ngxBool, ""},
	{"from-to-www-redirect", ngxBool, ""},
	{"global-rate-limit", ngxRemoved, "limit-rps"},
	{"global-rate-limit-ignored-cidrs", ngxRemoved, "limit-allowlist"},
	{"global-rate-limit-key", ngxRemoved, ""},
	{"global-rate-limit-window", ngxRemoved, ""},
	{"grpc-backend", ngxRemoved, "backend-protocol"},
	{"http2-push-preload", ngxBool, ""},
	{"influxdb-host", ngxRemoved, ""},
	{"influxdb-measurement", ngxRemoved, ""},
	{"influxdb-port", ngxRemoved, ""},
	{"influxdb-server-name", ngxRemoved, ""},
	{"limit-allowlist", ngxCIDRs, ""},
	{"limit-burst-multiplier", ngxCount, ""},
	{"limit-connections", ngxCount, ""},
	{"limit-rate", ngxCount, ""},
	{"limit-rate-after", ngxCount, ""},
	{"limit-rpm", ngxCount, ""},
	{"limit-rps", ngxCount, ""},
	{"limit-whitelist", ngxCIDRs, ""},
	{"load-balance", ngxEnum(false, "round_robin", "chash", "chashsubset", "sticky_balanced", "sticky_persistent", "ewma"), ""},
	{"lua-resty-waf", ngxRemoved, "enable-modsecurity"},
	{"lua-resty-waf-allow-unknown-content-types", ngxRemoved, ""},
	{"lua-resty-waf-debug", ngxRemoved, ""},
	{"lua-resty-waf-extra-rules", ngxRemoved, ""},
	{"lua-resty-waf-ignore-rulesets", ngxRemoved, ""},
	{"lua-resty-waf-process-multipart-body", ngxRemoved, ""},
	{"lua-resty-waf-score-threshold", ngxRemoved, ""},
	{"mirror-host", ngxServerName, ""},
	{"mirror-request-body", ngxOnOff, ""},
	{"mirror-target", ngxURL, ""},
	{"mirror-uri", ngxRemoved, "mirror-target"},
	{"modsecurity-snippet", ngxSnippet, ""},
	{"modsecurity-transaction-id", ngxNginxVar, ""},
	{"opentelemetry-operation-name", ngxOperation, ""},
	{"opentelemetry-trust-incoming-span", ngxBool, ""},
	{"opentracing-trust-incoming-span", ngxRemoved, "opentelemetry-trust-incoming-span"},
	{"permanent-redirect", ngxURL, ""},
	{"permanent-redirect-code", ngxRedirectCode, ""},
	{"preserve-trailing-slash", ngxBool, ""},
	{"proxy-body-size", ngxSize, ""},
	{"proxy-buffer-size", ngxSize, ""},
	{"proxy-buffering", ngxOnOff, ""},
	{"proxy-buffers-number", ngxCount, ""},
	{"proxy-busy-buffers-size", ngxSize, ""},
	{"proxy-connect-timeout", ngxSeconds, ""},
	{"proxy-cookie-domain", ngxCookieDomain, ""},
	{"proxy-cookie-path", ngxCookiePath, ""},
	{"proxy-http-version", ngxEnum(false, "1.0", "1.1"), ""},
	{"proxy-max-temp-file-size", ngxSize, ""},
	{"proxy-next-upstream", ngxNextUpstream, ""},
	{"proxy-next-upstream-timeout", ngxSeconds, ""},
	{"proxy-next-upstream-tries", ngxCount, ""},
	{"proxy-read-timeout", ngxSeconds, ""},
	{"proxy-redirect-from", ngxProxyRedir, ""},
	{"proxy-redirect-to", ngxProxyRedir, ""},
	{"proxy-request-buffering", ngxOnOff, ""},
	{"proxy-send-timeout", ngxSeconds, ""},
	{"proxy-ssl-ciphers", ngxCiphers, ""},
	{"proxy-ssl-name", ngxServerName, ""},
	{"proxy-ssl-protocols", ngxSSLProtocols, ""},
	{"proxy-ssl-secret", ngxObjectRef, ""},
	{"proxy-ssl-server-name", ngxOnOff, ""},
	{"proxy-ssl-verify", ngxOnOff, ""},
	{"proxy-ssl-verify-depth", ngxCount, ""},
	{"relative-redirects", ngxBool, ""},
	{"rewrite-target", ngxPath, ""},
	{"satisfy", ngxEnum(false, "all", "any"), ""},
	{"secure-backends", ngxRemoved, "backend-protocol"},
	{"secure-verify-ca-secret", ngxRemoved, "proxy-ssl-secret"},
	{"server-alias", ngxServerNames, ""},
	{"server-snippet", ngxSnippet, ""},
	{"service-upstream", ngxBool, ""},
	{"session-cookie-change-on-failure", ngxBool, ""},
	{"session-cookie-conditional-samesite-none", ngxBool, ""},
	{"session-cookie-domain", ngxToken, ""},
	{"session-cookie-expires", ngxInt, ""},
	{"session-cookie-hash", ngxRemoved, ""},
	{"session-cookie-max-age", ngxInt, ""},
	{"session-cookie-name", ngxToken, ""},
	{"session-cookie-partitioned", ngxBool, ""},
	{"session-cookie-path", ngxURLPlain, ""},
	{"session-cookie-samesite", ngxEnum(true, "None", "Lax", "Strict"), ""},
	{"session-cookie-secure", ngxBool, ""},
	{"ssl-ciphers", ngxCiphers, ""},
	{"ssl-passthrough", ngxBool, ""},
	{"ssl-prefer-server-ciphers", ngxBool, ""},
	{"ssl-redirect", ngxBool, ""},
	{"stream-snippet", ngxSnippet, ""},
	{"temporal-redirect", ngxURL, ""},
	{"temporal-redirect-code", ngxRedirectCode, ""},
	{"upstream-fail-timeout", ngxRemoved, ""},
	{"upstream-hash-by", ngxNginxVar, ""},
	{"upstream-hash-by-subset", ngxBool, ""},
	{"upstream-hash-by-subset-size", ngxCount, ""},
	{"upstream-max-fails", ngxRemoved, ""},
	{"upstream-vhost", ngxServerName, ""},
	{"use-port-in-redirects", ngxBool, ""},
	{"use-regex", ngxBool, ""},
	{"vts-filter-key", ngxRemoved, ""},
	{"whitelist-source-range", ngxCIDRs, ""},
	{"x-forwarded-prefix", ngxPath, ""},
}

// ngxIndex maps names (without prefix) to table entries.
var ngxIndex = func() map[string]*ngxAnnotation {
	m := make(map[string]*ngxAnnotation, len(ngxAnnotations))
	for i := range ngxAnnotations {
		m[ngxAnnotations[i].name] = &ngxAnnotations[i]
	}
	return m
}()

// lookupNgxAnnotation returns the table entry for a full annotation key, and
// whether the key is under the ingress-nginx prefix at all.
func lookupNgxAnnotation(key string) (entry *ngxAnnotation, underPrefix bool) {
	name, ok := strings.CutPrefix(key, ingressNginxPrefix)
	if !ok {
		return nil, false
	}
	return ngxIndex[name], true
}

// closestNgxAnnotation returns the supported annotation name closest to name
// by edit distance (case-insensitive), or "" when none is close enough to be
// a likely typo (more than a quarter of the name's length, at least 2).
// Names whose length alone puts them too far are not compared, and a
// comparison stops once it cannot beat the best so far.
func closestNgxAnnotation(name string) string {
	name = strings.ToLower(name)
	if s, ok := ngxMisnomers[name]; ok {
		return s
	}
	limit := max(len(name)/4, 2)
	best, bestDist := "", limit+1
	for _, a := range ngxAnnotations {
		if a.typ == ngxRemoved {
			continue
		}
		if diff := len(a.name) - len(name); diff >= bestDist || -diff >= bestDist {
			continue // the distance is at least the difference in length
		}
		if d := ngxEditDistanceWithin(name, a.name, bestDist-1); d < bestDist {
			best, bestDist = a.name, d
		}
	}
	return best
}

// ngxMisnomers are names borrowed from other controllers, with the
// ingress-nginx annotation that does the same.
var ngxMisnomers = map[string]string{
	"client-max-body-size": "proxy-body-size", // nginx.org/client-max-body-size
	"rewrite":              "rewrite-target",
	"ssl-services":         "backend-protocol", // nginx.org/ssl-services
	"whitelist":            "allowlist-source-range",
}

// ngxEditDistance is the Levenshtein distance between a and b (bytes).
func ngxEditDistance(a, b string) int {
	return ngxEditDistanceWithin(a, b, len(a)+len(b))
}

// ngxEditDistanceWithin is ngxEditDistance when it is at most bound, and
// bound+1 as soon as a row of the table shows it cannot be.
func ngxEditDistanceWithin(a, b string, bound int) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > bound {
			return bound + 1
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], bound+1)
}

// quoteNgxValue quotes a value for a message, truncated when long.
func quoteNgxValue(v string) string {
	const maxRunes = 64
	if utf8.RuneCountInString(v) > maxRunes {
		r := []rune(v)
		v = string(r[:maxRunes]) + "…"
	}
	return strconv.Quote(v)
}

// --- character scanning ---

const (
	ngxAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	// ngxURLChars are the URL characters that are harmless in nginx.conf.
	ngxURLChars = ngxAlnum + "-._~/:?&=,%+@!*()[]#"
)

// ngxBracedVar matches "${name}", the braced form of an NGINX variable.
var ngxBracedVar = regexp.MustCompile(`\$\{[A-Za-z0-9_]+\}`)

// isNgxInjectionRune reports characters that end a directive, open or close
// a block, quote, escape or start a variable in nginx.conf.
func isNgxInjectionRune(r rune) bool {
	switch r {
	case ';', '{', '}', '"', '\'', '`', '\\', '$':
		return true
	}
	return unicode.IsControl(r)
}

// scanNgxChars checks that every character of v is in allowed. A character
// outside it is an injection when it is an injection rune or a "#" starting
// a word (an nginx comment); otherwise the value just does not parse. A "#"
// inside a word is literal for nginx, so allowed sets may contain it.
func scanNgxChars(v, allowed string) error {
	prevSpace := true
	for _, r := range v {
		if r == '#' && prevSpace {
			return ngxInjection{r}
		}
		if !strings.ContainsRune(allowed, r) {
			if isNgxInjectionRune(r) {
				return ngxInjection{r}
			}
			return errNgxType
		}
		prevSpace = unicode.IsSpace(r)
	}
	return nil
}

// scanNgxVarChars is scanNgxChars for types that take NGINX variables: "$"
// and the braced form "${name}" are allowed on top of allowed.
func scanNgxVarChars(v, allowed string) error {
	return scanNgxChars(ngxBracedVar.ReplaceAllString(v, "$$x"), allowed+"$")
}

// --- parsers ---

func checkNgxBool(v string) error {
	if err := scanNgxChars(v, ngxAlnum); err != nil {
		return err
	}
	if _, err := strconv.ParseBool(v); err != nil {
		return errNgxType
	}
	return nil
}

func checkNgxInt(v string) error {
	if err := scanNgxChars(v, ngxAlnum+"-+."); err != nil {
		return err
	}
	if _, err := strconv.Atoi(v); err != nil {
		return errNgxType
	}
	return nil
}

func checkNgxCount(v string) error {
	if err := checkNgxInt(v); err != nil {
		return err
	}
	if n, _ := strconv.Atoi(v); n < 0 {
		return errNgxType
	}
	return nil
}

var ngxSizeRe = regexp.MustCompile(`^[0-9]+[kKmMgG]?$`)

func checkNgxSize(v string) error {
	if err := scanNgxChars(v, ngxAlnum+". "); err != nil {
		return err
	}
	if !ngxSizeRe.MatchString(strings.TrimSpace(v)) {
		return errNgxType
	}
	return nil
}

func checkNgxCIDRs(v string) error {
	if err := scanNgxChars(v, ngxAlnum+".:/, "); err != nil {
		return err
	}
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if _, _, err := net.ParseCIDR(e); err == nil {
			continue
		}
		if net.ParseIP(e) == nil {
			return errNgxType
		}
	}
	return nil
}

func checkNgxHTTPErrors(v string) error {
	if err := scanNgxChars(v, ngxAlnum+", "); err != nil {
		return err
	}
	for _, e := range strings.Split(v, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		n, err := strconv.Atoi(e)
		if err != nil || len(e) != 3 || n < 400 || n > 599 {
			return errNgxType
		}
	}
	return nil
}

func checkNgxRedirectCode(v string) error {
	if err := checkNgxInt(v); err != nil {
		return err
	}
	if n, _ := strconv.Atoi(v); n < 300 || n > 308 {
		return errNgxType
	}
	return nil
}

func checkNgxURLVar(v string) error { return scanNgxVarChars(v, ngxURLChars) }

func checkNgxURLPlain(v string) error { return scanNgxChars(v, ngxURLChars) }

func checkNgxAuthURL(v string) error {
	if err := checkNgxURLVar(v); err != nil {
		return err
	}
	lower := strings.ToLower(v)
	rest, ok := strings.CutPrefix(lower, "http://")
	if !ok {
		rest, ok = strings.CutPrefix(lower, "https://")
	}
	if !ok || rest == "" || rest[0] == '/' {
		return errNgxType
	}
	return nil
}

func checkNgxProxyRedirect(v string) error {
	return scanNgxVarChars(v, ngxURLChars+`^|\`)
}

func checkNgxCookiePath(v string) error {
	if err := scanNgxVarChars(v, ngxURLChars+`^|\ `); err != nil {
		return err
	}
	if n := len(strings.Fields(v)); n != 1 && n != 2 {
		return errNgxType
	}
	return nil
}

func checkNgxCookieDomain(v string) error {
	if err := scanNgxVarChars(v, ngxAlnum+`-._~:*^|\()[]+? `); err != nil {
		return err
	}
	if n := len(strings.Fields(v)); n != 1 && n != 2 {
		return errNgxType
	}
	return nil
}

// ngxServerNameChars are host name characters plus the regex characters
// server_name accepts ("~^www\d+\.example\.com$"); braces are excluded: in
// the unquoted server_name directive they open a block.
const ngxServerNameChars = ngxAlnum + `-._~:*^$[]()+?|&=\/`

func checkNgxServerNames(v string) error {
	for _, e := range strings.Split(v, ",") {
		if err := checkNgxServerName(strings.TrimSpace(e)); err != nil && e != "" {
			return err
		}
	}
	return nil
}

func checkNgxServerName(v string) error {
	return scanNgxChars(ngxBracedVar.ReplaceAllString(strings.TrimSpace(v), "$$x"), ngxServerNameChars)
}

func checkNgxNginxVar(v string) error { return scanNgxVarChars(v, ngxAlnum+"-_") }

func checkNgxToken(v string) error { return scanNgxChars(v, ngxAlnum+"-._~/:") }

func checkNgxObjectRef(v string) error {
	if err := scanNgxChars(v, ngxAlnum+"-._/"); err != nil {
		return err
	}
	ns, name, found := strings.Cut(v, "/")
	if !found {
		ns, name = "", v
	}
	if found && len(validation.IsDNS1123Label(ns)) > 0 {
		return errNgxType
	}
	if len(validation.IsDNS1123Subdomain(name)) > 0 {
		return errNgxType
	}
	return nil
}

func checkNgxServiceName(v string) error {
	if err := scanNgxChars(v, ngxAlnum+"-._/"); err != nil {
		return err
	}
	if len(validation.IsDNS1035Label(v)) > 0 {
		return errNgxType
	}
	return nil
}

func checkNgxHeaderNames(v string) error { return scanNgxChars(v, ngxAlnum+"-_, ") }

func checkNgxExposeHeaders(v string) error { return scanNgxChars(v, ngxAlnum+"-_, *") }

var ngxMethodRe = regexp.MustCompile(`^[A-Za-z]+$`)

func checkNgxMethods(v string) error {
	if err := scanNgxChars(v, ngxAlnum+", "); err != nil {
		return err
	}
	for _, m := range strings.Split(v, ",") {
		m = strings.TrimSpace(m)
		if m != "" && !ngxMethodRe.MatchString(m) {
			return errNgxType
		}
	}
	return nil
}

var ngxOriginRe = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9+.-]*://)?(\*\.)?[A-Za-z0-9.-]+(:[0-9]+)?$`)

func checkNgxOrigins(v string) error {
	if err := scanNgxChars(v, ngxAlnum+"-.:/*+, "); err != nil {
		return err
	}
	for _, o := range strings.Split(v, ",") {
		o = strings.TrimSpace(o)
		if o == "" || o == "*" || o == "null" {
			continue
		}
		if !ngxOriginRe.MatchString(o) {
			return errNgxType
		}
	}
	return nil
}

var ngxNextUpstreamTokens = map[string]bool{
	"error": true, "timeout": true, "invalid_header": true, "http_500": true, "http_502": true,
	"http_503": true, "http_504": true, "http_403": true, "http_404": true, "http_429": true,
	"non_idempotent": true, "off": true, "denied": true,
}

func checkNgxNextUpstream(v string) error {
	if err := scanNgxChars(v, ngxAlnum+"_ "); err != nil {
		return err
	}
	for _, t := range strings.Fields(v) {
		if !ngxNextUpstreamTokens[t] {
			return errNgxType
		}
	}
	return nil
}

var ngxSSLProtocolTokens = map[string]bool{
	"SSLv2": true, "SSLv3": true, "TLSv1": true, "TLSv1.1": true, "TLSv1.2": true, "TLSv1.3": true,
}

func checkNgxSSLProtocols(v string) error {
	if err := scanNgxChars(v, ngxAlnum+". "); err != nil {
		return err
	}
	for _, t := range strings.Fields(v) {
		if !ngxSSLProtocolTokens[t] {
			return errNgxType
		}
	}
	return nil
}

func checkNgxCiphers(v string) error { return scanNgxChars(v, ngxAlnum+"!:+-_@=.") }

var (
	ngxStatusRe   = regexp.MustCompile(`^[0-9]{3}$`)
	ngxDurationRe = regexp.MustCompile(`^[0-9]+(ms|s|m|h|d|w|M|y)$`)
)

// checkNgxCacheDuration follows nginx's proxy_cache_valid syntax as
// ingress-nginx parses it: each comma-separated entry is optional status
// codes followed by at least one duration.
func checkNgxCacheDuration(v string) error {
	if err := scanNgxChars(v, ngxAlnum+", "); err != nil {
		return err
	}
	for _, entry := range strings.Split(v, ",") {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		seenDuration := false
		for _, t := range strings.Fields(entry) {
			switch {
			case ngxStatusRe.MatchString(t) && !seenDuration:
			case ngxDurationRe.MatchString(t):
				seenDuration = true
			default:
				return errNgxType
			}
		}
		if !seenDuration {
			return errNgxType
		}
	}
	return nil
}

// checkNgxText accepts printable text without injection characters.
func checkNgxText(v string, allowBackslash bool) error {
	prevSpace := true
	for _, r := range v {
		switch {
		case r == '#' && prevSpace:
			return ngxInjection{r}
		case r == '\\' && allowBackslash:
		case r == '$' && allowBackslash:
			// regular expressions: "$" is the end anchor
		case isNgxInjectionRune(r):
			return ngxInjection{r}
		case !unicode.IsPrint(r):
			return errNgxType
		}
		prevSpace = unicode.IsSpace(r)
	}
	return nil
}

func checkNgxRealm(v string) error { return checkNgxText(v, false) }

// checkNgxRegexp accepts a regular expression. Go's RE2 parser stands in for
// PCRE: syntax RE2 lacks (lookarounds, backreferences) is not an error.
func checkNgxRegexp(v string) error {
	if err := checkNgxText(v, true); err != nil {
		return err
	}
	if _, err := syntax.Parse(v, syntax.Perl); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) && (se.Code == syntax.ErrInvalidPerlOp || se.Code == syntax.ErrInvalidEscape) {
			return nil
		}
		return errNgxType
	}
	return nil
}

func checkNgxRegex(v string) error { return checkNgxRegexp(v) }

func checkNgxMatchCN(v string) error {
	if err := checkNgxText(v, true); err != nil {
		return err
	}
	rest, ok := strings.CutPrefix(v, "CN=")
	if !ok {
		return errNgxType
	}
	return checkNgxRegexp(rest)
}

func checkNgxFileName(v string) error { return scanNgxChars(v, ngxAlnum+".-_") }

func checkNgxOperation(v string) error { return scanNgxVarChars(v, ngxAlnum+"-_./ ") }
