// Command gencerts writes a private CA and a serving certificate for the
// Guardrails webhook (ECDSA P-256): for the in-cluster Service by default,
// for this machine with --local. deploy/self-signed installs what it
// writes:
//
//	go run ./certs/cmd/gencerts --out deploy/self-signed/certs
//	kubectl apply -k deploy/self-signed
//
// It writes ca.crt, ca.key, tls.crt and tls.key into --out. A serving
// certificate that is still valid for the requested names is kept unless
// --force is given; a renewal reuses the CA while it is valid, so the CA
// bundle the API server trusts does not change. Exit code 0 on success
// (written or kept), 2 on bad usage or failure.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/guardrails-dev/guardrails/certs"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gencerts", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "directory to write ca.crt, ca.key, tls.crt and tls.key to (required)")
	service := fs.String("service", certs.DefaultService, "the webhook's Service name")
	namespace := fs.String("namespace", certs.DefaultNamespace, "the webhook's namespace")
	local := fs.Bool("local", false, "a certificate for localhost, 127.0.0.1 and ::1 instead of the Service")
	validity := fs.Duration("validity", certs.DefaultValidity, "validity of the serving certificate")
	force := fs.Bool("force", false, "replace a serving certificate that is still valid")
	client := fs.String("client", "", "also write client.crt/client.key with this common name, for the API server when the webhook runs with --client-ca")
	var dnsNames, ips listFlag
	fs.Var(&dnsNames, "dns", "an extra DNS name (repeatable)")
	fs.Var(&ips, "ip", "an extra IP address (repeatable)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: gencerts --out DIR [--service NAME --namespace NS | --local] [--dns NAME]... [--ip IP]... [--validity 8760h] [--force] [--client CN]\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return 2
	}
	o := certs.EnsureOptions{Validity: *validity, Force: *force}
	if *local {
		o.DNSNames, o.IPs = certs.LocalNames()
	} else {
		o.DNSNames = certs.ServiceDNSNames(*service, *namespace)
	}
	o.DNSNames = append(o.DNSNames, dnsNames...)
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			fmt.Fprintf(stderr, "gencerts: --ip %q is not an IP address\n", s)
			return 2
		}
		o.IPs = append(o.IPs, ip)
	}
	res, err := certs.Ensure(*out, o)
	if err != nil {
		fmt.Fprintln(stderr, "gencerts:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%s: %s; serving certificate valid until %s, CA until %s",
		*out, res.Reason, res.NotAfter.UTC().Format(time.DateOnly), res.CANotAfter.UTC().Format(time.DateOnly))
	if res.NewCA {
		fmt.Fprint(stdout, " (new CA: re-apply the webhook configurations' caBundle)")
	}
	fmt.Fprintln(stdout)
	if *client != "" {
		wrote, err := certs.EnsureClient(*out, *client, *validity, *force)
		if err != nil {
			fmt.Fprintln(stderr, "gencerts:", err)
			return 2
		}
		what := "kept"
		if wrote {
			what = "written"
		}
		fmt.Fprintf(stdout, "%s: client certificate %q %s (%s, %s)\n", *out, *client, what, certs.ClientCertFile, certs.ClientKeyFile)
	}
	return 0
}
