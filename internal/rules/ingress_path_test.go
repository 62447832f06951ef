package rules

import (
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
)

func TestPCRESyntaxError(t *testing.T) {
	for _, tc := range []struct {
		pattern string
		want    string // "" = valid
	}{
		{"/api/(.*)", ""},
		{"/api(/|$)(.*)", ""},
		{"/(?!admin)[a-z]+", ""},      // lookahead: PCRE only
		{"/(?<=v1)/x", ""},            // lookbehind
		{`/(a)\1`, ""},                // backreference
		{"/a++b", ""},                 // possessive
		{"/a*+", ""},                  // possessive
		{"/a{2,3}+", ""},              //
		{"/(?>atomic)", ""},           // atomic group
		{"/(*UTF)x", ""},              // verb
		{"/(?#a ( comment)x", ""},     // comment with paren
		{`/\Q(\E`, ""},                // quoted paren
		{"/[]a]", ""},                 // ] first in class
		{"/[^]a]", ""},                //
		{"/[[:alpha:]]+", ""},         // POSIX class
		{`/[\]]`, ""},                 // escaped ] in class
		{"/(?x) a ( # comment", ""},   // extended mode: not modelled
		{"/a|b", ""},                  //
		{"/(?i)docs", ""},             //
		{"/(?P<name>x)(?P=name)", ""}, //
		{"/(?|(a)|(b))", ""},          // branch reset
		{"/x{", ""},                   // literal brace in PCRE
		{"/(v1", `missing ")"`},       //
		{"/v1)", `unmatched ")"`},     //
		{"/a(b))", `unmatched ")"`},   //
		{"/[a-z", `missing "]" to close a character class`},
		{"/[[:alpha:]", `missing "]" to close a character class`},
		{"/files/**", `quantifier "*" has nothing to repeat`},
		{"/a|*b", `quantifier "*" has nothing to repeat`},
		{"/(+a)", `quantifier "+" has nothing to repeat`},
		{"/a?*", `quantifier "*" has nothing to repeat`},
		{`/a\`, "trailing backslash"},
		{"/(?#unclosed", `missing ")" to close a comment`},
	} {
		if got := pcreSyntaxError(tc.pattern); got != tc.want {
			t.Errorf("pcreSyntaxError(%q) = %q, want %q", tc.pattern, got, tc.want)
		}
	}
}

func TestIngressPathProblem(t *testing.T) {
	const (
		exact  = networkingv1.PathTypeExact
		prefix = networkingv1.PathTypePrefix
		impl   = networkingv1.PathTypeImplementationSpecific
	)
	for _, tc := range []struct {
		path  string
		pt    networkingv1.PathType
		regex bool
		bad   bool
	}{
		{"/", prefix, false, false},
		{"", impl, false, false},
		{"/a.b-c_d/E/9/", prefix, false, false},
		{"/a.b-c_d/~e/@f/%20/g:h/i=j,k!", impl, false, false},
		// strict-validate-path-type: Exact and Prefix take A-Z a-z 0-9 - . _ / only
		{"/~user", prefix, false, true},
		{"/@scope", exact, false, true},
		{"/%20", prefix, false, true},
		{"/a:b", prefix, false, true},
		{"/caf\u00e9", prefix, false, true},
		// deep inspection, whatever the pathType
		{"/var/run/secrets/kubernetes.io/serviceaccount/token", impl, false, true},
		{"/x/var/run/secrets", prefix, false, true},
		{"/etc/passwd", exact, false, true},
		{"/etc/nginx/nginx.conf", impl, true, true},
		{"/etc/ingress-controller/ssl", prefix, false, true},
		{"/content_by_lua_block", impl, false, true},
		{"/etc/hosts", prefix, false, false}, // not in ingress-nginx's list
		{"/var/run/secret", prefix, false, false},
		{"/api/*", prefix, false, true},
		{"/c++", prefix, false, true}, // strict ingress-nginx rejects it; literal elsewhere
		{"/api$", exact, false, true},
		{"/api/(.*)", impl, false, false}, // controller-specific without use-regex
		{"/api/(.*)", impl, true, false},
		{"/api/(.*", impl, true, true},
		{"/api/(.*", impl, false, false}, // not a regex for this controller: literal
		{"/a b", impl, false, true},
		{"/a b", impl, true, false}, // quoted regex location
		{"/a{b", impl, false, true},
		{"/a#b", prefix, false, true},
		{"/a\nb", impl, true, true},
		{"/a;b", impl, true, true},
		{"/a'b", prefix, false, true},
		{"/a`b", impl, true, true},
		{"api", impl, false, true},
	} {
		_, bad := ingressPathProblem(tc.path, tc.pt, tc.regex)
		if bad != tc.bad {
			t.Errorf("ingressPathProblem(%q, %s, regex=%v) bad = %v, want %v", tc.path, tc.pt, tc.regex, bad, tc.bad)
		}
	}
}

func TestIngressNginxRegexMode(t *testing.T) {
	for _, tc := range []struct {
		ann  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"nginx.ingress.kubernetes.io/use-regex": "true"}, true},
		{map[string]string{"nginx.ingress.kubernetes.io/use-regex": "True"}, true},
		{map[string]string{"nginx.ingress.kubernetes.io/use-regex": "1"}, true},
		{map[string]string{"nginx.ingress.kubernetes.io/use-regex": "false"}, false},
		{map[string]string{"nginx.ingress.kubernetes.io/use-regex": "yes"}, false},
		{map[string]string{"nginx.ingress.kubernetes.io/rewrite-target": "/$1"}, true},
		{map[string]string{"nginx.ingress.kubernetes.io/rewrite-target": ""}, false},
	} {
		ing := &networkingv1.Ingress{}
		ing.Annotations = tc.ann
		if got := ingressNginxRegexMode(ing); got != tc.want {
			t.Errorf("ingressNginxRegexMode(%v) = %v, want %v", tc.ann, got, tc.want)
		}
	}
}
