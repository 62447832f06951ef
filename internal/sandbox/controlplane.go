package sandbox

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/guardrails-dev/guardrails/certs"
)

// controlPlane runs etcd and kube-apiserver on loopback with the flags
// controller-runtime's envtest gives them, and issues client certificates
// for users. It does not use envtest: envtest's process package renders
// arguments with html/template, and a program in which html/template is
// reachable keeps every exported method of every type it links (the
// linker cannot tell which methods a template calls). Through this package
// that was 19 MB of the 55 MB webhook binary, and 6 MiB of the memory of
// every `webhook check`.
type controlPlane struct {
	etcdPath, apiPath string
	// dir holds etcd's data (dir/etcd) and the API server's certificates
	// and keys (dir/apiserver).
	dir                              string
	etcdOut, etcdErr, apiOut, apiErr io.Writer
	startTimeout, stopTimeout        time.Duration
	// args are kube-apiserver's flags: configure sets the defaults, the
	// caller may add or replace flags before start.
	args map[string][]string

	etcdURL  string
	apiPort  int
	serverCA *certs.CA // signs the API server's serving certificate
	clientCA *certs.CA // signs the users' client certificates
	etcd     *process
	api      *process
}

// process is a started child process.
type process struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed once it has exited
}

// configure prepares certificates, ports and the default flags; the caller
// may then change args before start.
func (cp *controlPlane) configure() error {
	apiDir := filepath.Join(cp.dir, "apiserver")
	for _, d := range []string{filepath.Join(cp.dir, "etcd"), apiDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	var err error
	if cp.serverCA, err = certs.NewCA("guardrails-sandbox-apiserver-ca", 0); err != nil {
		return err
	}
	if cp.clientCA, err = certs.NewCA("guardrails-sandbox-client-ca", 0); err != nil {
		return err
	}
	saSigner, err := certs.NewCA("guardrails-sandbox-service-accounts", 0)
	if err != nil {
		return err
	}
	crt, key, err := cp.serverCA.Issue(certs.Options{DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}})
	if err != nil {
		return err
	}
	saKey, err := saSigner.KeyPEM()
	if err != nil {
		return err
	}
	files := map[string][]byte{"apiserver.crt": crt, "apiserver.key": key, "client-ca.crt": cp.clientCA.CertPEM, "sa.key": saKey}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(apiDir, name), data, 0o600); err != nil {
			return err
		}
	}
	etcdPort, err := freePort()
	if err != nil {
		return err
	}
	if cp.apiPort, err = freePort(); err != nil {
		return err
	}
	cp.etcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdPort)
	port := strconv.Itoa(cp.apiPort)
	// envtest's defaults: RBAC, no ServiceAccount admission plugin (no
	// controller-manager creates the default service accounts).
	cp.args = map[string][]string{
		"bind-address":                     {"127.0.0.1"},
		"secure-port":                      {port},
		"etcd-servers":                     {cp.etcdURL},
		"cert-dir":                         {apiDir},
		"tls-cert-file":                    {filepath.Join(apiDir, "apiserver.crt")},
		"tls-private-key-file":             {filepath.Join(apiDir, "apiserver.key")},
		"client-ca-file":                   {filepath.Join(apiDir, "client-ca.crt")},
		"service-cluster-ip-range":         {"10.0.0.0/24"},
		"allow-privileged":                 {"true"},
		"disable-admission-plugins":        {"ServiceAccount"},
		"authorization-mode":               {"RBAC"},
		"service-account-issuer":           {"https://127.0.0.1:" + port + "/"},
		"service-account-key-file":         {filepath.Join(apiDir, "sa.key")},
		"service-account-signing-key-file": {filepath.Join(apiDir, "sa.key")},
	}
	return nil
}

// start starts etcd, then kube-apiserver, each once it answers its health
// check.
func (cp *controlPlane) start() error {
	var err error
	cp.etcd, err = startProcess("etcd", cp.etcdPath, []string{
		"--data-dir=" + filepath.Join(cp.dir, "etcd"),
		"--listen-client-urls=" + cp.etcdURL,
		"--advertise-client-urls=" + cp.etcdURL,
		"--listen-peer-urls=http://localhost:0",
	}, cp.etcdOut, cp.etcdErr)
	if err != nil {
		return err
	}
	if err := cp.waitHealthy(cp.etcd, http.DefaultClient, cp.etcdURL+"/health"); err != nil {
		return err
	}
	return cp.startAPIServer()
}

// startAPIServer starts kube-apiserver with args and waits for /healthz.
func (cp *controlPlane) startAPIServer() error {
	var err error
	if cp.api, err = startProcess("kube-apiserver", cp.apiPath, flags(cp.args), cp.apiOut, cp.apiErr); err != nil {
		return err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cp.serverCA.Cert)
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	return cp.waitHealthy(cp.api, client, cp.host()+"/healthz")
}

// stopAPIServer stops kube-apiserver; startAPIServer starts it again.
func (cp *controlPlane) stopAPIServer() error {
	err := cp.api.stop(cp.stopTimeout)
	cp.api = nil
	return err
}

// stop stops kube-apiserver, then etcd.
func (cp *controlPlane) stop() error {
	var errs []error
	for _, p := range []*process{cp.api, cp.etcd} {
		if err := p.stop(cp.stopTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	cp.api, cp.etcd = nil, nil
	return errors.Join(errs...)
}

func (cp *controlPlane) host() string { return "https://127.0.0.1:" + strconv.Itoa(cp.apiPort) }

// user issues a client certificate for name in groups and returns the
// REST configuration and a kubeconfig that authenticate with it.
func (cp *controlPlane) user(name string, groups []string) (*rest.Config, []byte, error) {
	crt, key, err := cp.clientCA.Issue(certs.Options{CommonName: name, Organization: groups, Client: true})
	if err != nil {
		return nil, nil, err
	}
	cfg := &rest.Config{Host: cp.host(), TLSClientConfig: rest.TLSClientConfig{CAData: cp.serverCA.CertPEM, CertData: crt, KeyData: key}}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["sandbox"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cp.serverCA.CertPEM}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{ClientCertificateData: crt, ClientKeyData: key}
	kc.Contexts["sandbox"] = &clientcmdapi.Context{Cluster: "sandbox", AuthInfo: name}
	kc.CurrentContext = "sandbox"
	data, err := clientcmd.Write(*kc)
	return cfg, data, err
}

// waitHealthy polls url until it answers 200, p exits or the start
// timeout passes.
func (cp *controlPlane) waitHealthy(p *process, client *http.Client, url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), cp.startTimeout)
	defer cancel()
	var last error
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("%s: %s", url, resp.Status)
		}
		last = err
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was healthy: %v (last check: %v)", p.name, p.cmd.ProcessState, last)
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy after %s: %v", p.name, cp.startTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// startProcess starts path with args in its own process group, killed by
// the kernel when the sandbox's process dies (Linux).
func startProcess(name, path string, args []string, stdout, stderr io.Writer) (*process, error) {
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM to the process group and SIGKILL after timeout. A nil
// process is stopped.
func (p *process) stop(timeout time.Duration) error {
	if p == nil {
		return nil
	}
	terminate(p.cmd.Process)
	select {
	case <-p.done:
		return nil
	case <-time.After(timeout):
	}
	kill(p.cmd.Process)
	<-p.done
	return fmt.Errorf("%s did not stop within %s: killed", p.name, timeout)
}

// flags renders args as --name=value, one per value, in name order.
func flags(args map[string][]string) []string {
	names := make([]string, 0, len(args))
	for n := range args {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		for _, v := range args[n] {
			out = append(out, "--"+n+"="+v)
		}
	}
	return out
}
