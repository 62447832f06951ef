package vap

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/guardrails-dev/guardrails/internal/admission"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/rules"
)

// componentFile is the generated file deploy/ installs.
const componentFile = "../../deploy/components/api-server-fallback/policies.yaml"

// TestDeployComponentUpToDate: deploy/'s policies are `webhook vap` of the
// embedded configuration, byte for byte; run `make vap` after a change.
func TestDeployComponentUpToDate(t *testing.T) {
	got, err := os.ReadFile(componentFile)
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := Generate(config.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Write(&want, pairs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("%s is stale: run `make vap` (webhook vap > %s)", filepath.Clean(componentFile), filepath.Base(componentFile))
	}
}

func generate(t *testing.T, yamlCfg string) map[string]Pair {
	t.Helper()
	cfg := config.Default()
	if yamlCfg != "" {
		var err error
		cfg, err = config.Parse([]byte("apiVersion: guardrails.dev/v1alpha1\nkind: Config\n"+yamlCfg), "test")
		if err != nil {
			t.Fatal(err)
		}
	}
	pairs, err := Generate(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Pair{}
	for _, p := range pairs {
		id := p.Policy.Labels[RuleLabel]
		if p.Policy.Name != NamePrefix+id || p.Binding.Name != p.Policy.Name || p.Binding.Spec.PolicyName != p.Policy.Name {
			t.Errorf("%s: names %q, %q, policyName %q", id, p.Policy.Name, p.Binding.Name, p.Binding.Spec.PolicyName)
		}
		out[id] = p
	}
	return out
}

// TestDefaultCoverage: with the embedded configuration every check has a
// policy, each for a deny rule of the catalogue, in catalogue order.
func TestDefaultCoverage(t *testing.T) {
	pairs, err := Generate(config.Default(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range pairs {
		got = append(got, p.Policy.Labels[RuleLabel])
	}
	want := []string{"resources-requests", "ingress-snippet", "ingress-wildcard-host", "rbac-cluster-admin", "rbac-broad-subject", "namespace-mode-label"}
	if !slices.Equal(got, want) {
		t.Errorf("policies for %v, want %v", got, want)
	}
	var order []string
	for _, r := range rules.Catalogue() {
		if slices.Contains(got, r.ID) {
			order = append(order, r.ID)
		}
		if Covers(r.ID) != "" && r.DefaultAction != rules.ActionDeny {
			t.Errorf("%s has a fallback but its default action is %s", r.ID, r.DefaultAction)
		}
	}
	if !slices.Equal(got, order) {
		t.Errorf("policies in order %v, catalogue order %v", got, order)
	}
}

// TestBindingSelectors: the bindings select exactly the namespaces whose
// mode can deny (enforce, and invalid values; for the RBAC policies every
// mode, as clusterMode is enforce), whatever their failure policy, never
// the webhook's own; namespace-mode-label's binding judges
// every Namespace but the webhook's own, whatever its labels.
func TestBindingSelectors(t *testing.T) {
	const absent = "(absent)"
	for id, p := range generate(t, "") {
		if got := p.Binding.Spec.ValidationActions; !slices.Equal(got, []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}) {
			t.Errorf("%s: validationActions %v", id, got)
		}
		sel, err := metav1.LabelSelectorAsSelector(p.Binding.Spec.MatchResources.NamespaceSelector)
		if err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{absent, "enforce", "warn", "audit", "Enforce", "off"} {
			for _, fp := range []string{absent, "ignore", "fail", "Ignore"} {
				for _, name := range []string{"team-a", DefaultNamespace} {
					l := labels.Set{namespaceNameLabel: name}
					if mode != absent {
						l[rules.ModeLabel] = mode
					}
					if fp != absent {
						l[rules.FailurePolicyLabel] = fp
					}
					// RBAC follows the stricter of the namespace's mode and
					// clusterMode (enforce here): every mode is judged.
					rbac := id == "rbac-cluster-admin" || id == "rbac-broad-subject"
					want := name != DefaultNamespace && (id == "namespace-mode-label" || mode != absent && (rbac || mode != "warn" && mode != "audit"))
					if got := sel.Matches(l); got != want {
						t.Errorf("%s: binding selects %v: %v, want %v", id, l, got, want)
					}
				}
			}
		}
	}
}

func conditions(p Pair) map[string]string {
	out := map[string]string{}
	for _, c := range p.Policy.Spec.MatchConditions {
		out[c.Name] = c.Expression
	}
	return out
}

// TestCommonShape: what every policy shares.
func TestCommonShape(t *testing.T) {
	for id, p := range generate(t, "") {
		s := p.Policy.Spec
		if s.FailurePolicy == nil || *s.FailurePolicy != admissionregistrationv1.Fail {
			t.Errorf("%s: failurePolicy %v", id, s.FailurePolicy)
		}
		c := conditions(p)
		if c["not-the-api-server"] != "request.userInfo.username != 'system:apiserver'" {
			t.Errorf("%s: no not-the-api-server condition: %v", id, c)
		}
		if c["not-being-deleted"] == "" {
			t.Errorf("%s: objects being deleted are judged", id)
		}
		if len(s.Validations) != 1 || s.Validations[0].MessageExpression == "" || s.Validations[0].Message == "" ||
			s.Validations[0].Reason == nil || *s.Validations[0].Reason != metav1.StatusReasonForbidden {
			t.Errorf("%s: validations %+v", id, s.Validations)
		}
		if strings.Contains(s.Validations[0].Message, "\n") {
			t.Errorf("%s: message has a line break", id)
		}
		if s.MatchConstraints == nil || s.MatchConstraints.MatchPolicy == nil || *s.MatchConstraints.MatchPolicy != admissionregistrationv1.Equivalent {
			t.Errorf("%s: matchPolicy not Equivalent", id)
		}
		for _, r := range s.MatchConstraints.ResourceRules {
			if !slices.Equal(r.APIVersions, []string{"v1"}) || slices.Contains(r.Operations, admissionregistrationv1.Delete) {
				t.Errorf("%s: rule %+v", id, r)
			}
			// Subresources only where the webhook judges them too (the
			// side doors whose updates keep metadata changes), on UPDATE.
			for _, res := range r.Resources {
				name, sub, ok := strings.Cut(res, "/")
				if !ok {
					continue
				}
				resourceOf := map[string]string{"Namespace": "namespaces", "Ingress": "ingresses"}
				judged := false
				for gk, subs := range admission.MetadataSubresources {
					judged = judged || slices.Contains(r.APIGroups, gk.Group) && resourceOf[gk.Kind] == name && slices.Contains(subs, sub)
				}
				if !judged || !slices.Equal(r.Operations, []admissionregistrationv1.OperationType{admissionregistrationv1.Update}) {
					t.Errorf("%s: subresource %s judged on %v", id, res, r.Operations)
				}
			}
		}
		if p.Binding.Spec.MatchResources.ResourceRules != nil {
			t.Errorf("%s: clusterMode enforce, yet the binding narrows the resources", id)
		}
	}
}

// TestConfiguration: rule actions, clusterMode, exemptions and settings
// of the configuration reach the policies.
func TestConfiguration(t *testing.T) {
	t.Run("rule actions", func(t *testing.T) {
		got := generate(t, "clusterMode: enforce\nrules:\n  ingress-snippet: {action: warn}\n  rbac-broad-subject: {action: 'off'}\n  resources-implausible: {action: deny}\n")
		for _, id := range []string{"ingress-snippet", "rbac-broad-subject"} {
			if _, ok := got[id]; ok {
				t.Errorf("%s is not deny, yet has a policy", id)
			}
		}
		if _, ok := got["resources-implausible"]; ok {
			t.Error("resources-implausible has no fallback, yet has a policy")
		}
		if _, ok := got["ingress-wildcard-host"]; !ok {
			t.Error("ingress-wildcard-host lost its policy")
		}
	})
	t.Run("clusterMode warn", func(t *testing.T) {
		got := generate(t, "clusterMode: warn\n")
		if _, ok := got["namespace-mode-label"]; ok {
			t.Error("namespace-mode-label bound although Namespaces are in warn")
		}
		b := got["rbac-cluster-admin"].Binding
		rr := b.Spec.MatchResources.ResourceRules
		if len(rr) != 1 || !slices.Equal(rr[0].Resources, []string{"rolebindings"}) {
			t.Errorf("rbac-cluster-admin's binding covers %+v, want RoleBindings only", rr)
		}
		if got["ingress-snippet"].Binding.Spec.MatchResources.ResourceRules != nil {
			t.Error("a namespaced rule's binding was narrowed")
		}
	})
	t.Run("exemptions", func(t *testing.T) {
		got := generate(t, `clusterMode: enforce
exemptions:
- {users: [ci-bot], groups: [platform, "o'neil"], reason: r}
rules:
  ingress-wildcard-host:
    exemptions:
    - {namespaces: [edge, "tenant-*"], names: [catch-all], reason: r}
    - {namespaces: [gone], reason: expired, expires: 2001-01-01}
    - {kinds: [Ingress], namespaces: [lab], reason: r, expires: 2999-01-01}
`)
		c := conditions(got["ingress-wildcard-host"])["not-exempted"]
		for _, want := range []string{
			`request.userInfo.username in ['ci-bot']`,
			`request.userInfo.groups.exists(g, g in ['platform', 'o\'neil'])`,
			`request.namespace in ['edge']`, `request.namespace.startsWith('tenant-')`,
			`object.metadata.name : (has(object.metadata.generateName)`, `in ['catch-all']`,
			`request.kind.kind in ['Ingress']`,
		} {
			if !strings.Contains(c, want) {
				t.Errorf("not-exempted lacks %q:\n%s", want, c)
			}
		}
		if !strings.HasPrefix(c, "!(") {
			t.Errorf("not-exempted is not a negation: %s", c)
		}
		if strings.Contains(c, "'gone'") {
			t.Errorf("an expired exemption was generated: %s", c)
		}
		if c := conditions(got["ingress-snippet"])["not-exempted"]; strings.Contains(c, "edge") || !strings.Contains(c, "ci-bot") {
			t.Errorf("ingress-snippet's exemptions: %s", c)
		}
		// The embedded default: system:masters may lower a namespace's mode.
		if c := conditions(generate(t, "")["namespace-mode-label"])["not-exempted"]; !strings.Contains(c, "'system:masters'") {
			t.Errorf("namespace-mode-label does not exempt system:masters: %s", c)
		}
	})
	t.Run("settings", func(t *testing.T) {
		got := generate(t, "clusterMode: enforce\ningress: {wildcardHostNamespaces: [edge]}\nresources: {required: [cpu, nvidia.com/gpu]}\n")
		if c := conditions(got["ingress-wildcard-host"])["not-a-wildcard-host-namespace"]; c != "!(request.namespace in ['edge'])" {
			t.Errorf("wildcard host condition %q", c)
		}
		if _, ok := conditions(generate(t, "")["ingress-wildcard-host"])["not-a-wildcard-host-namespace"]; ok {
			t.Error("a wildcard host condition without wildcardHostNamespaces")
		}
		var table string
		for _, v := range got["resources-requests"].Policy.Spec.Variables {
			if v.Name == "requiredResources" {
				table = v.Expression
			}
		}
		for _, want := range []string{"['cpu', 'resources.requests.cpu', 'set resources.requests.cpu (e.g. 100m)']",
			"['nvidia.com/gpu', 'resources.requests[nvidia.com/gpu]', 'set resources.requests[nvidia.com/gpu]']"} {
			if !strings.Contains(table, want) {
				t.Errorf("requiredResources lacks %s:\n%s", want, table)
			}
		}
		if strings.Contains(table, "memory") {
			t.Errorf("requiredResources has memory:\n%s", table)
		}
		if _, ok := generate(t, "clusterMode: enforce\nresources: {required: []}\n")["resources-requests"]; ok {
			t.Error("a resources-requests policy although no resource is required")
		}
	})
	t.Run("own namespace", func(t *testing.T) {
		pairs, err := Generate(config.Default(), Options{Namespace: "policy-system"})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			var found bool
			for _, e := range p.Binding.Spec.MatchResources.NamespaceSelector.MatchExpressions {
				found = found || e.Key == namespaceNameLabel && slices.Equal(e.Values, []string{"policy-system"})
			}
			if !found {
				t.Errorf("%s does not leave out policy-system", p.Policy.Name)
			}
		}
	})
}

// TestRuleTables: the tables come from internal/rules.
func TestRuleTables(t *testing.T) {
	p := generate(t, "")
	vars := func(id string) string {
		var b strings.Builder
		for _, v := range p[id].Policy.Spec.Variables {
			b.WriteString(v.Expression + "\n")
		}
		return b.String()
	}
	for _, a := range rules.SnippetAnnotations() {
		if !strings.Contains(vars("ingress-snippet"), str(a.Key)) {
			t.Errorf("ingress-snippet's policy lacks %s", a.Key)
		}
	}
	for _, s := range rules.BroadSubjects() {
		if !strings.Contains(vars("rbac-broad-subject"), str(rules.SubjectKey(s.Kind, s.Name))+": ["+str(s.Who)) {
			t.Errorf("rbac-broad-subject's policy lacks %s %s", s.Kind, s.Name)
		}
	}
	for role := range rules.PublicClusterRoleSubjects() {
		if !strings.Contains(vars("rbac-broad-subject"), str(role)+": [") {
			t.Errorf("rbac-broad-subject's policy lacks the public role %s", role)
		}
	}
}

func TestStr(t *testing.T) {
	for in, want := range map[string]string{
		"plain":        `'plain'`,
		`it's "x" \ y`: `'it\'s "x" \\ y'`,
		"a\nb\tc\x01":  `'a\nb\tc\x01'`,
		"é\u2028":      `'é\u2028'`,
	} {
		if got := str(in); got != want {
			t.Errorf("str(%q) = %s, want %s", in, got, want)
		}
	}
}
