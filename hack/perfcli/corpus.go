package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// The generated corpora. Every object is a pure function of its index, so a
// corpus is the same bytes on every run and machine, and the first 10k
// objects of a 100k corpus are the 10k corpus: the scaling check compares
// the same mix at ten times the size. Namespaces hold 50 consecutive
// objects, so their number grows with the corpus too.
//
// Most objects are what a careful team writes (requests, probes, a
// securityContext, classes on Ingresses, narrow roles); a few percent carry
// the mistakes Guardrails is about, so both tools have findings to report.

// Mixes the generator knows.
const (
	mixPods  = "pods"
	mixMixed = "mixed"
)

// Counts is what a generated corpus holds.
type Counts struct {
	Objects int
	Bytes   int64
	Kinds   map[string]int
}

// String names the kinds of a corpus in a stable order, with their counts.
func (c Counts) String() string {
	kinds := make([]string, 0, len(c.Kinds))
	for k := range c.Kinds {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%s %d", k, c.Kinds[k])
	}
	return strings.Join(parts, ", ")
}

// Generate writes n objects of the mix as one multi-document YAML stream.
func Generate(w io.Writer, mix string, n int) (Counts, error) {
	var object func(g *gen, i int) string
	switch mix {
	case mixPods:
		object = func(g *gen, i int) string { g.pod(i); return "Pod" }
	case mixMixed:
		object = (*gen).mixed
	default:
		return Counts{}, fmt.Errorf("unknown mix %q: want %s or %s", mix, mixPods, mixMixed)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := &gen{w: bw}
	c := Counts{Kinds: map[string]int{}}
	for i := 0; i < n; i++ {
		c.Kinds[object(g, i)]++
		c.Objects++
	}
	if err := bw.Flush(); err != nil {
		return c, err
	}
	if g.err != nil {
		return c, g.err
	}
	c.Bytes = g.n
	return c, nil
}

type gen struct {
	w   io.Writer
	n   int64
	err error
}

func (g *gen) printf(format string, a ...any) {
	if g.err != nil {
		return
	}
	n, err := fmt.Fprintf(g.w, format, a...)
	g.n += int64(n)
	g.err = err
}

func namespace(i int) string { return fmt.Sprintf("team-%d", i/50) }

// mixed writes object i of the mixed corpus and returns its kind: 30%
// Deployments, 20% Pods, 20% Ingresses, 10% RoleBindings, 5%
// ClusterRoleBindings, 10% Roles, 5% ClusterRoles.
func (g *gen) mixed(i int) string {
	switch i % 20 {
	case 0, 1, 2, 3, 4, 5:
		g.deployment(i)
		return "Deployment"
	case 6, 7, 8, 9:
		g.pod(i)
		return "Pod"
	case 10, 11, 12, 13:
		g.ingress(i)
		return "Ingress"
	case 14, 15:
		g.roleBinding(i)
		return "RoleBinding"
	case 16:
		g.clusterRoleBinding(i)
		return "ClusterRoleBinding"
	case 17, 18:
		g.role(i)
		return "Role"
	default:
		g.clusterRole(i)
		return "ClusterRole"
	}
}

// resources is the resources block of an application container at the
// given indent: requests and a memory limit, except for one object in ten
// (of every kind with a pod spec), which has one of the common mistakes or
// a legitimate alternative.
func resources(indent string, i int) string {
	// The variant shifts by one every 40 objects, so that in the mixed
	// corpus every kind with a pod spec meets every variant.
	v := (i + i/40) % 40
	switch {
	case v == 3: // no requests at all: resources-requests
		return ""
	case v == 7: // limits only: the API server copies them to requests
		return indent + "resources:\n" + indent + "  limits: {cpu: 500m, memory: 256Mi}\n"
	case v == 11: // 512 bytes of memory: resources-implausible
		return indent + "resources:\n" + indent + "  requests: {cpu: 50m, memory: \"512\"}\n"
	case v == 15: // a cpu request only: resources-requests for memory
		return indent + "resources:\n" + indent + "  requests: {cpu: 250m}\n"
	}
	return fmt.Sprintf("%sresources:\n%s  requests: {cpu: %dm, memory: %dMi}\n%s  limits: {memory: %dMi}\n",
		indent, indent, 50+(i%8)*50, 64<<(i%4), indent, 128<<(i%4))
}

// podSpec writes a pod spec at the given indent (6 spaces in a template,
// 2 in a Pod).
func (g *gen) podSpec(ind string, i int, app string) {
	priority := ""
	if i%100 == 42 { // an ordinary app on a system class: priority-reserved-class
		priority = ind + "priorityClassName: system-cluster-critical\n"
	}
	g.printf(`%sserviceAccountName: %s
%s%ssecurityContext:
%s  runAsNonRoot: true
%s  runAsUser: 10001
%s  fsGroup: 10001
%sterminationGracePeriodSeconds: 30
`, ind, app, priority, ind, ind, ind, ind, ind)
	if i%4 == 1 {
		g.printf(`%sinitContainers:
%s- name: migrate
%s  image: ghcr.io/example/%s-migrate:1.%d.2
%s  command: [/bin/migrate, --to=latest, --timeout=120s]
%s  resources:
%s    requests: {cpu: 100m, memory: 64Mi}
`, ind, ind, ind, app, i%30, ind, ind, ind)
	}
	g.printf(`%scontainers:
%s- name: app
%s  image: ghcr.io/example/%s:1.%d.0
%s  imagePullPolicy: IfNotPresent
%s  args: [--port=8080, --metrics-port=9090, --log-format=json]
%s  ports:
%s  - {name: http, containerPort: 8080}
%s  - {name: metrics, containerPort: 9090}
%s  env:
%s  - {name: MODE, value: production}
%s  - {name: LOG_LEVEL, value: info}
%s  - name: POD_NAME
%s    valueFrom: {fieldRef: {fieldPath: metadata.name}}
%s%s  readinessProbe:
%s    httpGet: {path: /healthz, port: http}
%s    periodSeconds: 10
%s  livenessProbe:
%s    httpGet: {path: /livez, port: http}
%s    initialDelaySeconds: 10
%s    periodSeconds: 20
%s  securityContext:
%s    allowPrivilegeEscalation: false
%s    readOnlyRootFilesystem: true
%s    capabilities: {drop: [ALL]}
%s  volumeMounts:
%s  - {name: tmp, mountPath: /tmp}
%s  - {name: config, mountPath: /etc/%s, readOnly: true}
`, ind, ind, ind, app, i%50, ind, ind, ind, ind, ind, ind, ind, ind, ind, ind,
		resources(ind+"  ", i), ind, ind, ind, ind, ind, ind, ind, ind, ind, ind, ind, ind, ind, ind, app)
	if i%3 == 0 {
		g.printf(`%s- name: proxy
%s  image: envoyproxy/envoy:v1.31.%d
%s  args: [-c, /etc/envoy/envoy.yaml]
%s  ports: [{name: proxy, containerPort: 15001}]
%s  resources:
%s    requests: {cpu: 50m, memory: 64Mi}
%s    limits: {memory: 128Mi}
`, ind, ind, i%5, ind, ind, ind, ind, ind)
	}
	g.printf(`%svolumes:
%s- {name: tmp, emptyDir: {}}
%s- name: config
%s  configMap: {name: %s-config}
`, ind, ind, ind, ind, app)
}

// pod writes Pod i. Every 100th is CoreDNS in kube-system without a
// priority class (priority-critical-addon).
func (g *gen) pod(i int) {
	if i%100 == 67 {
		g.printf(`---
apiVersion: v1
kind: Pod
metadata:
  name: coredns-%d
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  serviceAccountName: coredns
  dnsPolicy: Default
  containers:
  - name: coredns
    image: registry.k8s.io/coredns/coredns:v1.11.3
    args: [-conf, /etc/coredns/Corefile]
    ports:
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: dns-tcp, containerPort: 53, protocol: TCP}
    resources:
      requests: {cpu: 100m, memory: 70Mi}
      limits: {memory: 170Mi}
    volumeMounts: [{name: config-volume, mountPath: /etc/coredns, readOnly: true}]
  volumes:
  - name: config-volume
    configMap: {name: coredns, items: [{key: Corefile, path: Corefile}]}
`, i)
		return
	}
	app := fmt.Sprintf("web-%d", i)
	g.printf(`---
apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: %s
  labels:
    app.kubernetes.io/name: %s
    app.kubernetes.io/part-of: shop
    app.kubernetes.io/version: "1.%d.0"
  annotations:
    prometheus.io/scrape: "true"
    prometheus.io/port: "9090"
spec:
`, app, namespace(i), app, i%50)
	g.podSpec("  ", i, app)
}

func (g *gen) deployment(i int) {
	app := fmt.Sprintf("app-%d", i)
	g.printf(`---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: %s
  labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop}
spec:
  replicas: %d
  revisionHistoryLimit: 5
  strategy:
    type: RollingUpdate
    rollingUpdate: {maxSurge: 25%%, maxUnavailable: 0}
  selector:
    matchLabels: {app.kubernetes.io/name: %s}
  template:
    metadata:
      labels: {app.kubernetes.io/name: %s, app.kubernetes.io/part-of: shop}
      annotations: {prometheus.io/scrape: "true", prometheus.io/port: "9090"}
    spec:
`, app, namespace(i), app, 2+i%3, app, app)
	g.podSpec("      ", i, app)
}

// ingress writes Ingress i: its own host and class, a few annotations.
// Mistakes: a configuration snippet (ingress-snippet), a catch-all rule
// (ingress-wildcard-host), a host and path already routed from another
// namespace (ingress-conflict), a value that does not parse
// (ingress-annotation).
func (g *gen) ingress(i int) {
	name := fmt.Sprintf("app-%d", i)
	host := name + ".shop.example.com"
	path := "/"
	annotations := "    nginx.ingress.kubernetes.io/proxy-body-size: 8m\n    nginx.ingress.kubernetes.io/ssl-redirect: \"true\"\n"
	switch {
	case i%200 == 10:
		annotations += "    nginx.ingress.kubernetes.io/configuration-snippet: |\n      more_set_headers \"X-Frame-Options: DENY\";\n"
	case i%200 == 50:
		annotations += "    nginx.ingress.kubernetes.io/proxy-read-timeout: 60s\n"
	case i%200 == 90:
		host = "api.shop.example.com" // claimed from namespace after namespace
		path = "/v1"
	}
	rule := fmt.Sprintf("  - host: %s\n    http:\n", host)
	if i%500 == 130 {
		rule = "  - http:\n"
	}
	g.printf(`---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: %s
  namespace: %s
  labels: {app.kubernetes.io/name: %s}
  annotations:
    cert-manager.io/cluster-issuer: letsencrypt
%sspec:
  ingressClassName: nginx
  tls:
  - hosts: [%s]
    secretName: %s-tls
  rules:
%s      paths:
      - path: %s
        pathType: Prefix
        backend:
          service: {name: %s, port: {name: http}}
      - path: /static
        pathType: Prefix
        backend:
          service: {name: %s-static, port: {number: 80}}
`, name, namespace(i), name, annotations, host, name, rule, path, name, name)
}

// role writes Role i: read access to the application's objects; every
// 100th grants every verb on everything (rbac-escalation).
func (g *gen) role(i int) {
	rules := `- apiGroups: [""]
  resources: [configmaps, services, endpoints]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments, replicasets]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/log]
  verbs: [get]
`
	if i%100 == 17 {
		rules = "- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n"
	}
	g.printf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader-%d
  namespace: %s
  labels: {app.kubernetes.io/part-of: shop}
rules:
%s`, i, namespace(i), rules)
}

// roleBinding writes RoleBinding i to the Role written just before or
// after it in the same namespace, or to the built-in edit ClusterRole.
// Every 400th binds all authenticated users (rbac-broad-subject).
func (g *gen) roleBinding(i int) {
	roleRef := fmt.Sprintf("{apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader-%d}", i+3)
	if i%20 == 15 {
		roleRef = "{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}"
	}
	subject := fmt.Sprintf("{kind: ServiceAccount, name: app-%d, namespace: %s}", i, namespace(i))
	if i%400 == 14 {
		subject = "{kind: Group, apiGroup: rbac.authorization.k8s.io, name: \"system:authenticated\"}"
	}
	g.printf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: app-%d
  namespace: %s
subjects:
- %s
- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: "shop:developers"}
roleRef: %s
`, i, namespace(i), subject, roleRef)
}

// clusterRoleBinding writes ClusterRoleBinding i to ClusterRole i+3; every
// 200th binds cluster-admin (rbac-cluster-admin), and the ClusterRole of
// every 500th grants everything (cluster-admin in all but name).
func (g *gen) clusterRoleBinding(i int) {
	role := fmt.Sprintf("ops-%d", i+3)
	if i%200 == 36 {
		role = "cluster-admin"
	}
	g.printf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ops-%d
subjects:
- {kind: ServiceAccount, name: operator-%d, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: %s}
`, i, i, namespace(i), role)
}

// clusterRole writes ClusterRole i: an operator's access to its own
// resources; every 500th grants everything, every 100th may escalate.
func (g *gen) clusterRole(i int) {
	rules := fmt.Sprintf(`- apiGroups: [ops%d.example.com]
  resources: [widgets, widgets/status]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, create, update]
`, i%37)
	switch {
	case i%500 == 479:
		rules = "- apiGroups: [\"*\"]\n  resources: [\"*\"]\n  verbs: [\"*\"]\n"
	case i%100 == 39:
		rules += "- apiGroups: [rbac.authorization.k8s.io]\n  resources: [clusterroles]\n  verbs: [bind, escalate]\n"
	}
	g.printf(`---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ops-%d
  labels: {app.kubernetes.io/part-of: ops}
rules:
%s`, i, rules)
}
