package deployrender

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/certs"
	"github.com/guardrails-dev/guardrails/internal/config"
	"github.com/guardrails-dev/guardrails/internal/vap"
)

// chartInstall is one set of chart values the deploy tests render.
type chartInstall struct {
	r      *rendered
	render func() ([]byte, error)
}

// The names of the chart renders (rendered.name) the comparisons use.
const (
	chartDefault    = "chart"
	chartGenerated  = "chart certificate.mode=generated"
	chartExisting   = "chart certificate.mode=existingSecret"
	chartLookups    = "chart secretLookups"
	chartEvents     = "chart events"
	chartMonitoring = "chart monitoring"
	chartPreview    = "chart preview"
	chartAudit      = "chart audit+policyReports"
)

// chartInstalls are the chart's renders that every safety test of the
// overlays (TestWebhookConfigurations, TestWorkload, TestRBAC,
// TestFallbackComponent, TestOwnRulesPass, …) checks too: the default
// values, each certificate mode and each optional component, released as
// "guardrails" in guardrails-system, where the names are deploy/'s. None
// when there is no helm binary (TestChartHelm reports it).
func chartInstalls(root string) []chartInstall {
	helm, err := Helm(root)
	if err != nil {
		return nil
	}
	chart := filepath.Join(root, ChartDir)
	tmpl := func(args ...string) func() ([]byte, error) {
		return func() ([]byte, error) { return HelmTemplate(helm, chart, "guardrails", Namespace, args...) }
	}
	ca, err := certs.NewCA("existing-ca", 0)
	if err != nil {
		return []chartInstall{{&rendered{name: chartExisting}, func() ([]byte, error) { return nil, err }}}
	}
	return []chartInstall{
		{&rendered{name: chartDefault, chart: true, certManager: true}, tmpl()},
		{&rendered{name: chartGenerated, chart: true}, tmpl("--set", "certificate.mode=generated")},
		{&rendered{name: chartExisting, chart: true, tlsSecret: "my-webhook-tls", externalCA: ca.CertPEM},
			tmpl("--set", "certificate.mode=existingSecret", "--set", "certificate.existingSecret.name=my-webhook-tls",
				"--set", "certificate.existingSecret.caBundle="+base64.StdEncoding.EncodeToString(ca.CertPEM))},
		{&rendered{name: chartLookups, chart: true, certManager: true, secretLookups: true}, tmpl("--set", "secretLookups.enabled=true")},
		{&rendered{name: chartEvents, chart: true, certManager: true, events: true}, tmpl("--set", "events.enabled=true")},
		{&rendered{name: chartMonitoring, chart: true, certManager: true},
			tmpl("--set", "monitoring.serviceMonitor.enabled=true", "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.dashboard.enabled=true")},
		{&rendered{name: chartPreview, chart: true, certManager: true, preview: true}, tmpl("--set", "preview.enabled=true")},
		{&rendered{name: chartAudit, chart: true, certManager: true, audit: true, policyReports: true},
			tmpl("--set", "audit.enabled=true", "--set", "audit.policyReports.enabled=true")},
	}
}

// helmBinary returns the helm binary, skipping the test without one
// (failing it when CI is set: CI must test the chart).
func helmBinary(t *testing.T) string {
	t.Helper()
	h, err := Helm(repoRoot(t))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI is set: %v", err)
		}
		t.Skip(err)
	}
	return h
}

func findRender(t *testing.T, name string) *rendered {
	t.Helper()
	for _, r := range installs(t) {
		if r.name == name {
			return r
		}
	}
	t.Fatalf("no render %q", name)
	return nil
}

// TestChartHelm: the chart renders are among the installs the safety
// tests check (they need the helm binary).
func TestChartHelm(t *testing.T) {
	helmBinary(t)
	n := 0
	for _, r := range installs(t) {
		if r.chart {
			n++
		}
	}
	if n != len(chartInstalls(repoRoot(t))) || n < 8 {
		t.Errorf("%d chart renders among the installs", n)
	}
}

// TestChartFiles: the chart's files/ are copies of deploy/'s files (and
// of the embedded configuration), so the chart renders what deploy/ does.
func TestChartFiles(t *testing.T) {
	root := repoRoot(t)
	for copyName, src := range ChartFiles {
		want, err := os.ReadFile(filepath.Join(root, src))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(root, ChartDir, copyName))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s differs from %s: run `make chart`", ChartDir, copyName, src)
		}
	}
	entries, err := os.ReadDir(filepath.Join(root, ChartDir, "files"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if _, ok := ChartFiles["files/"+e.Name()]; !ok {
			t.Errorf("%s/files/%s is a copy of nothing (add it to ChartFiles)", ChartDir, e.Name())
		}
	}
}

// helmLabels are the labels only the chart sets (the release's).
var helmLabels = []string{"app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "app.kubernetes.io/version", "helm.sh/chart"}

// hashedName is a name with the content hash of kustomize's generators.
var hashedName = regexp.MustCompile(`\b(guardrails-config)-[a-z0-9]{10}\b`)

// comparable returns the objects of r keyed by kind/namespace/name, with
// what legitimately differs between the chart and kustomize taken out:
// the labels only Helm sets, the config checksum annotation (kustomize
// hashes the ConfigMap's name instead, here removed), the Namespace (Helm
// installs into an existing one). With maskCerts, certificate material
// (random on every render) is blanked and the chart's CA Secret (kustomize
// keeps the CA key on disk) left out.
func comparable(t *testing.T, r *rendered, maskCerts bool) map[string]map[string]any {
	t.Helper()
	objs, err := Objects(hashedName.ReplaceAll(r.docs, []byte("$1")))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for _, o := range objs {
		if o.GetKind() == "Namespace" {
			continue
		}
		if maskCerts && o.GetKind() == "Secret" && o.GetName() == "guardrails-ca" && r.chart {
			continue
		}
		labels := o.GetLabels()
		for _, l := range helmLabels {
			delete(labels, l)
		}
		o.SetLabels(labels)
		if o.GetKind() == "Deployment" {
			unstructured.RemoveNestedField(o.Object, "spec", "template", "metadata", "annotations", "checksum/config")
			if a, _, _ := unstructured.NestedMap(o.Object, "spec", "template", "metadata", "annotations"); len(a) == 0 {
				unstructured.RemoveNestedField(o.Object, "spec", "template", "metadata", "annotations")
			}
		}
		if maskCerts {
			switch o.GetKind() {
			case "Secret":
				for k := range o.Object["data"].(map[string]any) {
					o.Object["data"].(map[string]any)[k] = "(certificate material)"
				}
				a := o.GetAnnotations()
				delete(a, "guardrails.dev/not-after")
				o.SetAnnotations(a)
			case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
				whs, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
				for _, wh := range whs {
					wh.(map[string]any)["clientConfig"].(map[string]any)["caBundle"] = "(CA)"
				}
				_ = unstructured.SetNestedSlice(o.Object, whs, "webhooks")
			}
		}
		if o.GetKind() == "CustomResourceDefinition" && r.chart {
			// Helm keeps the CRDs it installed on uninstall (kustomize
			// has no uninstall).
			a := o.GetAnnotations()
			delete(a, "helm.sh/resource-policy")
			o.SetAnnotations(a)
		}
		if len(o.GetAnnotations()) == 0 {
			unstructured.RemoveNestedField(o.Object, "metadata", "annotations")
		}
		if len(o.GetLabels()) == 0 {
			unstructured.RemoveNestedField(o.Object, "metadata", "labels")
		}
		out[o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName()] = o.Object
	}
	return out
}

// diff lists the paths where a and b differ.
func diff(path string, a, b any, out *[]string) {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, short(a), short(b)))
			return
		}
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			diff(path+"."+k, av[k], bv[k], out)
		}
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, short(a), short(b)))
			return
		}
		for i := range av {
			diff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i], out)
		}
	default:
		if !reflect.DeepEqual(a, b) {
			*out = append(*out, fmt.Sprintf("%s: %v vs %v", path, short(a), short(b)))
		}
	}
}

func short(v any) string {
	b, _ := yaml.Marshal(v)
	s := strings.TrimSpace(string(b))
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestChartMatchesKustomize: one source of truth. Released as "guardrails"
// in guardrails-system, the chart renders exactly the objects of the
// kustomize install it stands for — same kinds, names, specs, labels —
// apart from what comparable takes out: its defaults are deploy/cert-manager,
// certificate.mode=generated is deploy/self-signed, and each component's
// value is the component.
func TestChartMatchesKustomize(t *testing.T) {
	helmBinary(t)
	for _, tc := range []struct {
		chart, kustomize string
		maskCerts        bool
	}{
		{chartDefault, "cert-manager", false},
		{chartGenerated, "self-signed", true},
		{chartLookups, "cert-manager+secret-lookups", false},
		{chartEvents, "cert-manager+events", false},
		{chartMonitoring, "cert-manager+monitoring", false},
		{chartPreview, "cert-manager+preview", false},
		{chartAudit, "cert-manager+audit+policy-reports", false},
	} {
		t.Run(tc.chart, func(t *testing.T) {
			got := comparable(t, findRender(t, tc.chart), tc.maskCerts)
			want := comparable(t, findRender(t, tc.kustomize), tc.maskCerts)
			for _, k := range sortedKeys(keySet(got, want)) {
				g, inChart := got[k]
				w, inKustomize := want[k]
				switch {
				case !inKustomize:
					t.Errorf("%s: only the chart renders it", k)
				case !inChart:
					t.Errorf("%s: only kustomize (%s) renders it", k, tc.kustomize)
				default:
					var d []string
					diff("", g, w, &d)
					for _, line := range d {
						t.Errorf("%s%s (chart vs %s)", k, line, tc.kustomize)
					}
				}
			}
		})
	}
}

func keySet(ms ...map[string]map[string]any) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		for k := range m {
			out[k] = true
		}
	}
	return out
}

// TestChartReleaseNamespace: released under another name in another
// namespace, nothing of guardrails-system is left: objects, the Service
// the webhooks call, their own-namespace exclusion, the certificate's DNS
// names, and the fallback policies are `webhook vap --namespace` of it.
func TestChartReleaseNamespace(t *testing.T) {
	helm := helmBinary(t)
	const release, ns = "edge", "platform-policy"
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), release, ns, "--set", "certificate.mode=generated")
	if err != nil {
		t.Fatal(err)
	}
	if i := bytes.Index(docs, []byte(Namespace)); i >= 0 {
		t.Errorf("the render still names %s: …%s…", Namespace, docs[max(0, i-200):min(len(docs), i+50)])
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	r := &rendered{name: "release " + release, docs: docs, objs: objs}
	svc := "edge-guardrails-webhook"
	v, m, err := webhookConfigsNamed(objs, "edge-guardrails")
	if err != nil {
		t.Fatal(err)
	}
	for _, cc := range clientConfigs(v, m) {
		if cc.Service == nil || cc.Service.Name != svc || cc.Service.Namespace != ns {
			t.Errorf("clientConfig.service %+v, want %s/%s", cc.Service, ns, svc)
		}
	}
	for _, wh := range v.Webhooks {
		if selects(t, wh.NamespaceSelector, ns, servedLabels(wh.Name)) {
			t.Errorf("%s serves the release namespace", wh.Name)
		}
		if !selects(t, wh.NamespaceSelector, Namespace, servedLabels(wh.Name)) {
			t.Errorf("%s does not serve a namespace called %s (no longer its own)", wh.Name, Namespace)
		}
	}
	for _, wh := range m.Webhooks {
		if selects(t, wh.NamespaceSelector, ns, servedLabels(wh.Name)) {
			t.Errorf("%s serves the release namespace", wh.Name)
		}
	}
	s := mustFind(t, r, "Secret", "edge-guardrails-webhook-tls", &corev1.Secret{})
	crt := parseCert(t, s.Data["tls.crt"])
	if want := []string{svc + "." + ns + ".svc", svc + "." + ns + ".svc.cluster.local"}; !reflect.DeepEqual(crt.DNSNames, want) {
		t.Errorf("serving certificate DNS names %v, want %v", crt.DNSNames, want)
	}
	pairs, err := vap.Generate(config.Default(), vap.Options{Namespace: ns})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		got := mustFind(t, r, "ValidatingAdmissionPolicyBinding", p.Binding.Name, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{})
		if !reflect.DeepEqual(got.Spec, p.Binding.Spec) {
			t.Errorf("binding %s differs from `webhook vap --namespace %s`", p.Binding.Name, ns)
		}
	}
}

// servedLabels are labels of a namespace that the webhook entry (or
// fallback binding) of that name serves, as deploy/base/webhooks.yaml
// splits them (TestWebhookConfigurations checks the split).
func servedLabels(entry string) map[string]string {
	switch entry {
	case "namespaced-ignore.validate.guardrails.dev":
		return map[string]string{"guardrails.dev/mode": "enforce", "guardrails.dev/failure-policy": "ignore"}
	case "namespaced-nondenying.validate.guardrails.dev":
		return map[string]string{"guardrails.dev/mode": "warn"}
	}
	return map[string]string{"guardrails.dev/mode": "enforce"}
}

// webhookConfigsNamed decodes the webhook configurations named name.
func webhookConfigsNamed(objs []*unstructured.Unstructured, name string) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration, error) {
	vu, mu := Find(objs, "ValidatingWebhookConfiguration", name), Find(objs, "MutatingWebhookConfiguration", name)
	if vu == nil || mu == nil {
		return nil, nil, fmt.Errorf("no webhook configurations %q", name)
	}
	v, m := &admissionregistrationv1.ValidatingWebhookConfiguration{}, &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := Decode(vu, v); err != nil {
		return nil, nil, err
	}
	return v, m, Decode(mu, m)
}

func clientConfigs(v *admissionregistrationv1.ValidatingWebhookConfiguration, m *admissionregistrationv1.MutatingWebhookConfiguration) []admissionregistrationv1.WebhookClientConfig {
	var out []admissionregistrationv1.WebhookClientConfig
	for _, wh := range v.Webhooks {
		out = append(out, wh.ClientConfig)
	}
	for _, wh := range m.Webhooks {
		out = append(out, wh.ClientConfig)
	}
	return out
}

func parseCert(t *testing.T, pemBytes []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(pemBytes)
	if b == nil {
		t.Fatalf("not PEM: %q", pemBytes)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestChartGeneratedCertificate: certificate.mode=generated makes an ECDSA
// CA (its key only in the CA Secret) and a serving certificate it signed
// for the Service, valid validityDays, with its expiry in the annotation
// `helm upgrade` reads to renew it.
func TestChartGeneratedCertificate(t *testing.T) {
	helmBinary(t)
	r := findRender(t, chartGenerated)
	tls := mustFind(t, r, "Secret", "guardrails-webhook-tls", &corev1.Secret{})
	caSecret := mustFind(t, r, "Secret", "guardrails-ca", &corev1.Secret{})
	if !bytes.Equal(caSecret.Data["tls.crt"], tls.Data["ca.crt"]) || caSecret.Type != corev1.SecretTypeTLS {
		t.Error("the CA Secret's certificate is not the serving Secret's ca.crt")
	}
	ca := parseCert(t, tls.Data["ca.crt"])
	crt := parseCert(t, tls.Data["tls.crt"])
	if !ca.IsCA {
		t.Error("ca.crt is not a CA")
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	if _, err := crt.Verify(x509.VerifyOptions{Roots: roots, DNSName: "guardrails-webhook.guardrails-system.svc"}); err != nil {
		t.Errorf("the serving certificate does not verify for the Service: %v", err)
	}
	if _, ok := crt.PublicKey.(*ecdsa.PublicKey); !ok {
		t.Errorf("serving key %T, want ECDSA", crt.PublicKey)
	}
	if d := time.Until(crt.NotAfter); d < 364*24*time.Hour || d > 366*24*time.Hour {
		t.Errorf("the serving certificate expires in %v, want 365 days", d)
	}
	na, err := time.Parse(time.RFC3339, tls.Annotations["guardrails.dev/not-after"])
	if err != nil || na.Sub(crt.NotAfter).Abs() > 10*time.Minute {
		t.Errorf("annotation guardrails.dev/not-after %q (%v), certificate notAfter %v", tls.Annotations["guardrails.dev/not-after"], err, crt.NotAfter)
	}
	if kb, _ := pem.Decode(caSecret.Data["tls.key"]); kb == nil {
		t.Error("the CA Secret has no key (renewals need it)")
	}
}

// TestChartNamespaceSelectorTerms: namespaceSelectorTerms narrow every
// webhook entry and every fallback binding that selects namespaces, and
// the own-namespace exclusion stays.
func TestChartNamespaceSelectorTerms(t *testing.T) {
	helm := helmBinary(t)
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), "guardrails", Namespace,
		"--set-json", `namespaceSelectorTerms=[{"key":"example.com/tier","operator":"NotIn","values":["legacy"]},{"key":"example.com/team","operator":"Exists"}]`)
	if err != nil {
		t.Fatal(err)
	}
	v, m, err := WebhookConfigurations(docs)
	if err != nil {
		t.Fatal(err)
	}
	type selected struct {
		name string
		sel  func(ns string, l map[string]string) bool
	}
	var all []selected
	for _, wh := range v.Webhooks {
		all = append(all, selected{wh.Name, func(ns string, l map[string]string) bool { return selects(t, wh.NamespaceSelector, ns, l) }})
	}
	for _, wh := range m.Webhooks {
		all = append(all, selected{wh.Name, func(ns string, l map[string]string) bool { return selects(t, wh.NamespaceSelector, ns, l) }})
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	bindings := 0
	for _, o := range objs {
		if o.GetKind() != "ValidatingAdmissionPolicyBinding" {
			continue
		}
		b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
		if err := Decode(o, b); err != nil {
			t.Fatal(err)
		}
		if b.Spec.MatchResources == nil || b.Spec.MatchResources.NamespaceSelector == nil {
			continue
		}
		bindings++
		sel := b.Spec.MatchResources.NamespaceSelector
		all = append(all, selected{"binding " + b.Name, func(ns string, l map[string]string) bool { return selects(t, sel, ns, l) }})
	}
	if bindings == 0 {
		t.Fatal("no fallback binding selects namespaces")
	}
	for _, s := range all {
		with := func(extra map[string]string) map[string]string {
			l := servedLabels(strings.TrimPrefix(s.name, "binding "))
			for k, v := range extra {
				l[k] = v
			}
			return l
		}
		if s.sel("team-a", with(nil)) {
			t.Errorf("%s selects a namespace without example.com/team", s.name)
		}
		if s.sel("team-a", with(map[string]string{"example.com/team": "a", "example.com/tier": "legacy"})) {
			t.Errorf("%s selects a namespace of tier legacy", s.name)
		}
		if !s.sel("team-a", with(map[string]string{"example.com/team": "a"})) {
			t.Errorf("%s no longer selects a namespace it serves that has the extra labels", s.name)
		}
		if s.sel(Namespace, with(map[string]string{"example.com/team": "a"})) {
			t.Errorf("%s selects the webhook's own namespace", s.name)
		}
	}
}

// TestChartCustomConfig: a configuration of your own goes into the
// ConfigMap as written, and the fallback policies are the ones generated
// from it.
func TestChartCustomConfig(t *testing.T) {
	helm := helmBinary(t)
	dir := t.TempDir()
	cfgText := bytes.Replace(config.DefaultYAML(), []byte("\nclusterMode: enforce\n"), []byte("\nclusterMode: warn\n"), 1)
	cfg, err := config.Parse(cfgText, "custom")
	if err != nil {
		t.Fatal(err)
	}
	pairs, err := vap.Generate(cfg, vap.Options{Namespace: Namespace})
	if err != nil {
		t.Fatal(err)
	}
	var pol bytes.Buffer
	if err := vap.Write(&pol, pairs); err != nil {
		t.Fatal(err)
	}
	cfgFile, polFile := filepath.Join(dir, "config.yaml"), filepath.Join(dir, "policies.yaml")
	if err := os.WriteFile(cfgFile, cfgText, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(polFile, pol.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	docs, err := HelmTemplate(helm, filepath.Join(repoRoot(t), ChartDir), "guardrails", Namespace,
		"--set-file", "config="+cfgFile, "--set-file", "apiServerFallback.policies="+polFile)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := Objects(docs)
	if err != nil {
		t.Fatal(err)
	}
	r := &rendered{name: "custom config", docs: docs, objs: objs}
	cm := mustFind(t, r, "ConfigMap", "guardrails-config", &corev1.ConfigMap{})
	if cm.Data["config.yaml"] != string(cfgText) {
		t.Errorf("ConfigMap config.yaml is not the configuration given:\n%s", cm.Data["config.yaml"])
	}
	n := 0
	for _, o := range objs {
		if o.GetKind() == "ValidatingAdmissionPolicy" {
			n++
		}
	}
	if n != len(pairs) {
		t.Errorf("%d policies, want %d (generated from the configuration)", n, len(pairs))
	}
	for _, p := range pairs {
		got := mustFind(t, r, "ValidatingAdmissionPolicy", p.Policy.Name, &admissionregistrationv1.ValidatingAdmissionPolicy{})
		if !reflect.DeepEqual(got.Spec, p.Policy.Spec) {
			t.Errorf("policy %s is not the one generated from the configuration", p.Policy.Name)
		}
	}
}

// TestChartValuesErrors: values that would install something broken or
// unsafe fail the render with a message naming the value.
func TestChartValuesErrors(t *testing.T) {
	helm := helmBinary(t)
	chart := filepath.Join(repoRoot(t), ChartDir)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lookupsOn := write("lookups-on.yaml", strings.Replace(string(config.DefaultYAML()), "tlsSecretLookups: false", "tlsSecretLookups: true", 1))
	notConfig := write("not-config.yaml", "apiVersion: v1\nkind: ConfigMap\n")
	badYAML := write("bad.yaml", "apiVersion: [\n")
	notPolicies := write("not-policies.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown certificate mode", []string{"--set", "certificate.mode=selfSigned"}, "certificate.mode"},
		{"existingSecret without name", []string{"--set", "certificate.mode=existingSecret", "--set", "certificate.existingSecret.caBundle=" + base64.StdEncoding.EncodeToString([]byte("-----BEGIN CERTIFICATE-----\n"))}, "certificate.existingSecret.name is required"},
		{"existingSecret without caBundle", []string{"--set", "certificate.mode=existingSecret", "--set", "certificate.existingSecret.name=x"}, "certificate.existingSecret.caBundle"},
		{"existingSecret caBundle not PEM", []string{"--set", "certificate.mode=existingSecret", "--set", "certificate.existingSecret.name=x", "--set", "certificate.existingSecret.caBundle=bm90IGEgY2VydA=="}, "must be base64 of a PEM certificate"},
		{"config looks up secrets, RBAC does not allow", []string{"--set-file", "config=" + lookupsOn, "--set", "apiServerFallback.enabled=false"}, "set secretLookups.enabled=true"},
		{"secretLookups without the config saying so", []string{"--set-file", "config=" + notConfig, "--set", "secretLookups.enabled=true", "--set", "apiServerFallback.enabled=false"}, "Guardrails configuration"},
		{"config not YAML", []string{"--set-file", "config=" + badYAML, "--set", "apiServerFallback.enabled=false"}, "config: not a YAML document"},
		{"own config, default policies", []string{"--set-file", "config=" + lookupsOn, "--set", "secretLookups.enabled=true"}, "fallback policies must be generated from it"},
		{"policies not policies", []string{"--set-file", "apiServerFallback.policies=" + notPolicies}, "is not a ValidatingAdmissionPolicy"},
		{"policy reports without the audit", []string{"--set", "audit.policyReports.enabled=true"}, "set audit.enabled=true too"},
		{"audit interval not a duration", []string{"--set", "audit.enabled=true", "--set", "audit.interval=hourly"}, "audit.interval"},
		{"no replica", []string{"--set", "replicas=0"}, "replicas"},
		{"timeout above 5s", []string{"--set", "webhooks.timeoutSeconds=10"}, "timeoutSeconds"},
		{"a typo", []string{"--set", "certificate.mdoe=generated"}, "mdoe"},
		{"bad selector term", []string{"--set-json", `namespaceSelectorTerms=[{"key":"x","operator":"Maybe"}]`}, "operator"},
		{"fallback on an old cluster", []string{"--kube-version", "1.31.0"}, "apiServerFallback needs Kubernetes 1.33"},
		{"renewal window longer than validity", []string{"--set", "certificate.mode=generated", "--set", "certificate.generated.validityDays=20"}, "validityDays must be longer than renewDaysBefore"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := HelmTemplate(helm, chart, "guardrails", Namespace, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("helm template %v: %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}
