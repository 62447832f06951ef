// Package deployrender renders the manifests of deploy/ with kustomize
// (`kubectl kustomize`, the kustomize built into kubectl), so that what
// the tests, the e2e suite and `webhook dev` register is what users
// install, not a second hand-written copy.
//
// Local turns deploy/base's webhook configurations into ones that call a
// webhook served outside the cluster (a URL instead of the Service), with
// every rule, selector and policy unchanged. StageSelfSigned prepares the
// self-signed overlay with generated certificates in a scratch copy, so a
// test never writes into the repository.
package deployrender

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/guardrails-dev/guardrails/certs"
)

// Directories of deploy/, relative to the repository root.
const (
	BaseDir          = "deploy/base"
	CertManagerDir   = "deploy/cert-manager"
	SelfSignedDir    = "deploy/self-signed"
	SecretLookupsDir = "deploy/components/secret-lookups"
	CertManagerCRDs  = "deploy/testdata/cert-manager-crds.stub.yaml"
	// PrometheusOperatorCRDs are test stubs of ServiceMonitor and
	// PrometheusRule (the monitoring component, the chart's monitoring.*).
	PrometheusOperatorCRDs = "deploy/testdata/prometheus-operator-crds.stub.yaml"
	selfSignedCertDir      = "certs" // inside SelfSignedDir
)

// Names of the objects deploy/base defines.
const (
	Namespace         = "guardrails-system"
	WebhookConfigName = "guardrails"
	ServiceName       = "guardrails-webhook"
	ClusterRoleName   = "guardrails-webhook"
)

// Kubectl is the kubectl binary Build runs: $KUBECTL, else kubectl on PATH.
func Kubectl() string {
	if k := os.Getenv("KUBECTL"); k != "" {
		return k
	}
	return "kubectl"
}

// Build runs `kubectl kustomize <dir>` and returns the documents.
func Build(dir string) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(Kubectl(), "kustomize", dir)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("kubectl kustomize %s: %w: %s", dir, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

// Split returns the non-empty YAML documents of a multi-document stream.
func Split(docs []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(docs)))
	var out [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) == 0 {
			continue
		}
		out = append(out, doc)
	}
}

// Objects decodes every document of docs.
func Objects(docs []byte) ([]*unstructured.Unstructured, error) {
	parts, err := Split(docs)
	if err != nil {
		return nil, err
	}
	out := make([]*unstructured.Unstructured, 0, len(parts))
	for i, p := range parts {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(p, &u.Object); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		out = append(out, u)
	}
	return out, nil
}

// Find returns the object of that kind and name (any namespace), or nil.
func Find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

// Decode converts u into the typed object out, strictly: an unknown field
// (a typo in a manifest) is an error.
func Decode(u *unstructured.Unstructured, out any) error {
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		return err
	}
	if err := yaml.UnmarshalStrict(b, out); err != nil {
		return fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err)
	}
	return nil
}

// WebhookConfigurations returns the Guardrails webhook configurations in
// rendered documents.
func WebhookConfigurations(docs []byte) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration, error) {
	objs, err := Objects(docs)
	if err != nil {
		return nil, nil, err
	}
	vu := Find(objs, "ValidatingWebhookConfiguration", WebhookConfigName)
	mu := Find(objs, "MutatingWebhookConfiguration", WebhookConfigName)
	if vu == nil || mu == nil {
		return nil, nil, fmt.Errorf("deployrender: the rendered manifests lack the %q webhook configurations", WebhookConfigName)
	}
	v := &admissionregistrationv1.ValidatingWebhookConfiguration{}
	m := &admissionregistrationv1.MutatingWebhookConfiguration{}
	if err := Decode(vu, v); err != nil {
		return nil, nil, err
	}
	if err := Decode(mu, m); err != nil {
		return nil, nil, err
	}
	return v, m, nil
}

// Local renders deploy/base's webhook configurations for a webhook served
// at baseURL (e.g. https://127.0.0.1:9443) with caBundle (PEM), replacing
// the service reference by URL (baseURL + the service path). Everything
// else — rules, selectors (the webhook's own namespace stays excluded),
// match conditions, failure policies, timeouts — is as installed.
func Local(repoRoot, baseURL string, caBundle []byte) (*admissionregistrationv1.ValidatingWebhookConfiguration, *admissionregistrationv1.MutatingWebhookConfiguration, error) {
	if !strings.HasPrefix(baseURL, "https://") {
		return nil, nil, fmt.Errorf("deployrender: webhook URL %q must be https", baseURL)
	}
	docs, err := Build(filepath.Join(repoRoot, BaseDir))
	if err != nil {
		return nil, nil, err
	}
	v, m, err := WebhookConfigurations(docs)
	if err != nil {
		return nil, nil, err
	}
	base := strings.TrimRight(baseURL, "/")
	local := func(cc *admissionregistrationv1.WebhookClientConfig, name string) error {
		if cc.Service == nil || cc.Service.Path == nil {
			return fmt.Errorf("deployrender: webhook %s has no service path", name)
		}
		url := base + *cc.Service.Path
		*cc = admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: append([]byte(nil), caBundle...)}
		return nil
	}
	for i := range v.Webhooks {
		if err := local(&v.Webhooks[i].ClientConfig, v.Webhooks[i].Name); err != nil {
			return nil, nil, err
		}
	}
	for i := range m.Webhooks {
		if err := local(&m.Webhooks[i].ClientConfig, m.Webhooks[i].Name); err != nil {
			return nil, nil, err
		}
	}
	return v, m, nil
}

// StageSelfSigned copies deploy/ of repoRoot into a new temporary
// directory and puts serving certificates into its self-signed overlay:
// the files of certDir (ca.crt, tls.crt, tls.key) when certDir is set,
// otherwise newly generated ones for the Service. It returns the overlay
// directory, ready for `kubectl kustomize` or `kubectl apply -k`, and a
// cleanup function. The repository is not written to.
func StageSelfSigned(repoRoot, certDir string) (overlay string, cleanup func(), err error) {
	tmp, err := os.MkdirTemp("", "guardrails-deploy-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { _ = os.RemoveAll(tmp) }
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	deploy := filepath.Join(tmp, "deploy")
	if err := CopyTree(filepath.Join(repoRoot, "deploy"), deploy); err != nil {
		return "", nil, err
	}
	overlay = filepath.Join(deploy, "self-signed")
	dst := filepath.Join(overlay, selfSignedCertDir)
	if certDir == "" {
		if _, err := certs.Ensure(dst, certs.EnsureOptions{DNSNames: certs.ServiceDNSNames(ServiceName, Namespace)}); err != nil {
			return "", nil, err
		}
		return overlay, cleanup, nil
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return "", nil, err
	}
	for _, f := range []string{certs.CAFile, certs.CertFile, certs.KeyFile} {
		b, err := os.ReadFile(filepath.Join(certDir, f))
		if err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o600); err != nil {
			return "", nil, err
		}
	}
	return overlay, cleanup, nil
}

// BuildSelfSigned renders deploy/self-signed with freshly generated
// certificates (see StageSelfSigned).
func BuildSelfSigned(repoRoot string) ([]byte, error) {
	overlay, cleanup, err := StageSelfSigned(repoRoot, "")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	return Build(overlay)
}

// CopyTree copies the regular files under src to dst, leaving out the
// self-signed overlay's generated certificates.
func CopyTree(src, dst string) error {
	skip := filepath.Join(src, "self-signed", selfSignedCertDir)
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path == skip {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// RepoRoot returns the repository root: the nearest directory upwards from
// the working directory that holds go.mod and deploy/.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, "deploy")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("deployrender: no repository root (go.mod and deploy/) above the working directory")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
