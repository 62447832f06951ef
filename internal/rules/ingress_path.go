package rules

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	networkingv1 "k8s.io/api/networking/v1"
)

// ingressPath restricts spec.rules[*].http.paths[*].path:
//
//   - characters that break the controller's generated configuration:
//     control characters (newline, tab…), quotes, backtick and ";" always;
//     outside regex mode also spaces, "{", "}" and "#" (ingress-nginx writes
//     such paths unquoted into `location <path> {`);
//   - a non-empty path that does not start with "/" (the API server rejects
//     it too; reported for the offline check);
//   - whatever pathType, what ingress-nginx's deep inspection of paths
//     rejects (its inspector, CVE-2021-25745: paths that reach the
//     controller's own files): "/var/run/secrets" (the service-account
//     token), "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/nginx",
//     "/etc/ingress-controller", and "_by_lua" (Lua directives); its
//     "alias …;" and "root …;" patterns need a ";", rejected above. The
//     controller ignores such an Ingress;
//   - under pathType Exact or Prefix, any character but A-Z a-z 0-9 "-"
//     "." "_" "/": ingress-nginx's strict path validation
//     (strict-validate-path-type, on by default) rejects the Ingress.
//     Regex characters (* + ? ( ) [ ] { } ^ $ | \) get their own message:
//     they match literally there;
//   - in ingress-nginx regex mode (nginx.ingress.kubernetes.io/use-regex
//     true, or a rewrite-target, which forces regex locations), an
//     ImplementationSpecific path that is not a valid PCRE pattern. Only
//     errors PCRE itself reports are flagged (unbalanced parentheses or
//     brackets, a quantifier with nothing to repeat, a trailing backslash);
//     PCRE features Go's RE2 lacks (lookarounds, backreferences, possessive
//     quantifiers) pass.
//
// Passes: Exact and Prefix paths of letters, digits, "/", ".", "-" and
// "_"; the empty path; under ImplementationSpecific also "~", "%", "@",
// ":" and the like, and regex paths. Regex characters under
// ImplementationSpecific without use-regex are left alone: their meaning
// is up to the controller (GCE and ALB use "/*" globs, Contour treats them
// as regex).
var ingressPath = &Rule{
	ID:            "ingress-path",
	DefaultAction: ActionDeny,
	Kinds:         ingressKinds,
	Summary:       "paths that contradict their pathType, break controller config or that ingress-nginx rejects",
	Why: "A regex under pathType Exact or Prefix never matches what its author meant, and strict ingress-nginx drops an " +
		"Exact or Prefix path with any character but letters, digits, -, ., _ and /; paths naming the controller's files " +
		"are rejected by its deep inspection; a broken regex or a config-breaking character makes the controller's reload " +
		"fail for every Ingress it serves.",
	Fix: "Keep Exact and Prefix paths to letters, digits, -, ., _ and /; use pathType ImplementationSpecific (with " +
		"nginx.ingress.kubernetes.io/use-regex: \"true\" for regex paths) for anything else, and remove quotes, " +
		"semicolons, braces and whitespace from paths.",
	Check: checkIngressPath,
}

const ingressRegexChars = `*+?()[]{}^$|\`

// ingressNginxForbiddenPaths are the substrings ingress-nginx's deep
// inspection rejects in a path, with what they could do.
var ingressNginxForbiddenPaths = []struct{ needle, what string }{
	{"/var/run/secrets", "could reach the controller's service-account token"},
	{"/etc/passwd", "could reach the controller's host files"},
	{"/etc/shadow", "could reach the controller's host files"},
	{"/etc/group", "could reach the controller's host files"},
	{"/etc/nginx", "could reach the controller's nginx configuration"},
	{"/etc/ingress-controller", "could reach the controller's own files"},
	{"_by_lua", "could inject Lua code into the controller's configuration"},
}

// strictPathChar reports whether ingress-nginx's strict path validation
// accepts c in an Exact or Prefix path.
func strictPathChar(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '/'
}

// pcreExtendedFlag finds an inline (?x) flag.
var pcreExtendedFlag = regexp.MustCompile(`\(\?[a-zA-Z^-]*x`)

func checkIngressPath(in *Input) []Violation {
	ing, _ := ingressSubject(in)
	if ing == nil {
		return nil
	}
	regexMode := ingressNginxRegexMode(ing)
	var out []Violation
	for i, r := range ing.Spec.Rules {
		if r.HTTP == nil {
			continue
		}
		for j, p := range r.HTTP.Paths {
			pt := networkingv1.PathTypeImplementationSpecific
			if p.PathType != nil {
				pt = *p.PathType
			}
			if v, bad := ingressPathProblem(p.Path, pt, regexMode); bad {
				v.Field = ingressHTTPPathPath(i, j).Child("path")
				out = append(out, v)
			}
		}
	}
	return out
}

// ingressNginxRegexMode reports whether ingress-nginx turns this Ingress's
// paths into regex locations: use-regex true, or any rewrite-target.
func ingressNginxRegexMode(ing *networkingv1.Ingress) bool {
	return ingressNginxBool(ing, ingressNginxPrefix+"use-regex") || ing.Annotations[ingressNginxPrefix+"rewrite-target"] != ""
}

// ingressPathProblem returns the first problem of one path (without field).
func ingressPathProblem(path string, pt networkingv1.PathType, regexMode bool) (Violation, bool) {
	if c, ok := ingressPathBreakingChar(path, regexMode); ok {
		return Violation{
			Message: fmt.Sprintf("path %q contains %s, which breaks the ingress controller's configuration", path, c),
			Hint:    "remove the character; URL paths never contain it unencoded",
		}, true
	}
	if path != "" && !strings.HasPrefix(path, "/") {
		return Violation{
			Message: fmt.Sprintf("path %q must start with \"/\" (the API server rejects it)", path),
			Hint:    "write the path as an absolute path, e.g. \"/" + path + "\"",
		}, true
	}
	for _, f := range ingressNginxForbiddenPaths {
		if strings.Contains(path, f.needle) {
			return Violation{
				Message: fmt.Sprintf("path %q contains %q, which ingress-nginx's deep inspection rejects (it %s): the controller ignores the Ingress", path, f.needle, f.what),
				Hint:    "route a path that does not name the controller's files",
			}, true
		}
	}
	if pt == networkingv1.PathTypeExact || pt == networkingv1.PathTypePrefix {
		if k := strings.IndexAny(path, ingressRegexChars); k >= 0 {
			return Violation{
				Message: fmt.Sprintf("path %q contains the regex character %q but pathType %s matches it literally", path, path[k:k+1], pt),
				Hint:    "for a regex use pathType ImplementationSpecific with nginx.ingress.kubernetes.io/use-regex: \"true\"; otherwise remove the character",
			}, true
		}
		if k := strings.IndexFunc(path, func(c rune) bool { return !strictPathChar(c) }); k >= 0 {
			c, _ := utf8.DecodeRuneInString(path[k:])
			return Violation{
				Message: fmt.Sprintf("path %q contains %q, which ingress-nginx's strict path validation (strict-validate-path-type, on by default) rejects under pathType %s: the Ingress is not served", path, string(c), pt),
				Hint:    "use only letters, digits, \"-\", \".\", \"_\" and \"/\" in Exact and Prefix paths, or pathType ImplementationSpecific",
			}, true
		}
		return Violation{}, false
	}
	if regexMode && pt == networkingv1.PathTypeImplementationSpecific {
		if msg := pcreSyntaxError(path); msg != "" {
			return Violation{
				Message: fmt.Sprintf("path %q is not a valid regular expression: %s", path, msg),
				Hint:    "fix the regex (ingress-nginx compiles paths as PCRE when use-regex or rewrite-target is set)",
			}, true
		}
	}
	return Violation{}, false
}

// ingressPathBreakingChar finds a character that breaks nginx's
// configuration syntax. Regex paths are written quoted (~* "^path"), so
// spaces, braces and "#" are safe there.
func ingressPathBreakingChar(path string, regexMode bool) (string, bool) {
	for _, r := range path {
		switch {
		case r < 0x20 || r == 0x7f:
			return fmt.Sprintf("the control character %q", string(r)), true
		case r == '"':
			return "a double quote", true
		case r == '\'':
			return "a single quote", true
		case r == '`':
			return "a backtick", true
		case r == ';':
			return `";"`, true
		case regexMode:
		case r == ' ' || r == '\u00a0':
			return "a space", true
		case r == '{' || r == '}' || r == '#':
			return fmt.Sprintf("%q", string(r)), true
		}
	}
	return "", false
}

// pcreSyntaxError returns why pattern does not compile as PCRE, or "" when
// it does or when that cannot be told for certain. A pattern Go's RE2
// accepts is accepted; otherwise a small scanner reports only errors PCRE
// reports too.
func pcreSyntaxError(pattern string) string {
	if _, err := regexp.Compile(pattern); err == nil {
		return ""
	}
	// Extended mode lets "#" start comments and ignores whitespace: too
	// much to model, assume it is fine.
	if pcreExtendedFlag.MatchString(pattern) {
		return ""
	}
	depth := 0
	canRepeat := false // whether a quantifier here has something to repeat
	for i := 0; i < len(pattern); i++ {
		c := pattern[i]
		switch c {
		case '\\':
			if i+1 >= len(pattern) {
				return "trailing backslash"
			}
			if pattern[i+1] == 'Q' {
				end := strings.Index(pattern[i+2:], `\E`)
				if end < 0 {
					return ""
				}
				i += 2 + end + 1
			} else {
				i++
			}
			canRepeat = true
		case '[':
			j := i + 1
			if j < len(pattern) && pattern[j] == '^' {
				j++
			}
			if j < len(pattern) && pattern[j] == ']' {
				j++
			}
			closed := false
			for ; j < len(pattern); j++ {
				switch {
				case pattern[j] == '\\':
					j++
				case pattern[j] == '[' && j+1 < len(pattern) && (pattern[j+1] == ':' || pattern[j+1] == '.' || pattern[j+1] == '='):
					if end := strings.Index(pattern[j+2:], string(pattern[j+1])+"]"); end >= 0 {
						j += 2 + end + 1
					}
				case pattern[j] == ']':
					closed = true
				}
				if closed {
					break
				}
			}
			if !closed {
				return `missing "]" to close a character class`
			}
			i = j
			canRepeat = true
		case '(':
			depth++
			canRepeat = false
			if i+1 < len(pattern) {
				switch pattern[i+1] {
				case '?':
					if i+2 < len(pattern) && pattern[i+2] == '#' {
						end := strings.IndexByte(pattern[i+2:], ')')
						if end < 0 {
							return `missing ")" to close a comment`
						}
						i += 2 + end
						depth--
						continue
					}
					i++
					canRepeat = true // (?…) group syntax: whatever follows is not a bare quantifier
				case '*':
					i++
					canRepeat = true // (*VERB) and (*alpha_assertion:…)
				}
			}
		case ')':
			if depth == 0 {
				return `unmatched ")"`
			}
			depth--
			canRepeat = true
		case '|':
			canRepeat = false
		case '*', '+', '?':
			if !canRepeat {
				return fmt.Sprintf("quantifier %q has nothing to repeat", string(c))
			}
			if i+1 < len(pattern) && (pattern[i+1] == '?' || pattern[i+1] == '+') {
				i++ // lazy or possessive
			}
			canRepeat = false
		default:
			canRepeat = true
		}
	}
	if depth > 0 {
		return `missing ")"`
	}
	return ""
}
