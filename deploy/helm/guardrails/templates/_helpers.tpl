{{/*
Names. With the release name "guardrails" every object is named as in
deploy/ (kustomize): guardrails-webhook, guardrails-config, the webhook
configurations guardrails.
*/}}
{{- define "guardrails.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" -}}
{{- else if contains "guardrails" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-guardrails" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* ServiceAccount, Deployment, Service, PDB, NetworkPolicy, ClusterRole(Binding). */}}
{{- define "guardrails.webhookName" -}}
{{- printf "%s-webhook" (include "guardrails.fullname" .) -}}
{{- end -}}

{{/* The Secret the pods mount: tls.crt, tls.key (and ca.crt). */}}
{{- define "guardrails.tlsSecretName" -}}
{{- if eq .Values.certificate.mode "existingSecret" -}}
{{- required "certificate.existingSecret.name is required with certificate.mode existingSecret" .Values.certificate.existingSecret.name -}}
{{- else -}}
{{- printf "%s-webhook-tls" (include "guardrails.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/*
The background audit's Lease (in the release namespace): guardrails-audit,
the flag's default, when the release is named as deploy/ (no flag passed,
as deploy/components/audit), else <fullname>-audit.
*/}}
{{- define "guardrails.auditLease" -}}
{{- printf "%s-audit" (include "guardrails.fullname" .) -}}
{{- end -}}

{{/* Labels every object carries: deploy/base's part-of plus Helm's own. */}}
{{- define "guardrails.labels" -}}
app.kubernetes.io/part-of: guardrails
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The webhook's pods, as deploy/base selects them. */}}
{{- define "guardrails.selectorLabels" -}}
app.kubernetes.io/name: guardrails
app.kubernetes.io/component: webhook
{{- end -}}

{{/*
The configuration file the webhook reads: .Values.config, or the embedded
default (files/config.yaml, a copy of internal/config/default.yaml), with
ingress.tlsSecretLookups switched on for secretLookups. A configuration of
your own must agree with secretLookups.enabled: a webhook told to look up
Secrets without the RBAC to watch them never becomes ready.
*/}}
{{- define "guardrails.config" -}}
{{- $lookups := .Values.secretLookups.enabled -}}
{{- if .Values.config -}}
{{- $cfg := fromYaml .Values.config -}}
{{- if hasKey $cfg "Error" -}}
{{- fail (printf "config: not a YAML document: %s" (get $cfg "Error")) -}}
{{- end -}}
{{- if or (ne (toString (get $cfg "apiVersion")) "guardrails.dev/v1alpha1") (ne (toString (get $cfg "kind")) "Config") -}}
{{- fail "config: want a Guardrails configuration (apiVersion: guardrails.dev/v1alpha1, kind: Config), e.g. a copy of files/config.yaml" -}}
{{- end -}}
{{- $inConfig := eq (toString (dig "ingress" "tlsSecretLookups" false $cfg)) "true" -}}
{{- if and $lookups (not $inConfig) -}}
{{- fail "secretLookups.enabled is true but config does not set ingress.tlsSecretLookups: true" -}}
{{- end -}}
{{- if and $inConfig (not $lookups) -}}
{{- fail "config sets ingress.tlsSecretLookups: true: set secretLookups.enabled=true too (the webhook needs to watch Secrets, or it never becomes ready)" -}}
{{- end -}}
{{- .Values.config -}}
{{- else -}}
{{- $def := .Files.Get "files/config.yaml" -}}
{{- if $lookups -}}
{{- $on := replace "\n  tlsSecretLookups: false\n" "\n  tlsSecretLookups: true\n" $def -}}
{{- if eq $on $def -}}
{{- fail "files/config.yaml has no `  tlsSecretLookups: false` line: update the chart" -}}
{{- end -}}
{{- $on -}}
{{- else -}}
{{- $def -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
guardrails.selectorTerms rewrites a namespaceSelector of deploy/'s files for
this release (a dict, changed in place): the own-namespace exclusion names
the release namespace instead of guardrails-system, and the extra terms of
namespaceSelectorTerms are appended. Arguments: (list $ $selector).
*/}}
{{- define "guardrails.selectorTerms" -}}
{{- $root := index . 0 -}}
{{- $sel := index . 1 -}}
{{- $exprs := list -}}
{{- range $e := (get $sel "matchExpressions" | default list) -}}
{{- if and (eq $e.key "kubernetes.io/metadata.name") (eq $e.operator "NotIn") -}}
{{- $vals := list -}}
{{- range $v := $e.values -}}
{{- $vals = append $vals (ternary $root.Release.Namespace $v (eq $v "guardrails-system")) -}}
{{- end -}}
{{- $_ := set $e "values" $vals -}}
{{- end -}}
{{- $exprs = append $exprs $e -}}
{{- end -}}
{{- range $t := $root.Values.namespaceSelectorTerms -}}
{{- $exprs = append $exprs (deepCopy $t) -}}
{{- end -}}
{{- $_ := set $sel "matchExpressions" $exprs -}}
{{- end -}}

{{/* Checks of values that the schema cannot express. */}}
{{- define "guardrails.validate" -}}
{{- if and .Values.apiServerFallback.enabled (not (semverCompare ">=1.33.0-0" .Capabilities.KubeVersion.Version)) -}}
{{- fail (printf "apiServerFallback needs Kubernetes 1.33 or newer (this cluster: %s); set apiServerFallback.enabled=false" .Capabilities.KubeVersion.Version) -}}
{{- end -}}
{{- if and .Values.config .Values.apiServerFallback.enabled (not .Values.apiServerFallback.policies) -}}
{{- fail "config is set: the fallback policies must be generated from it (webhook vap --config my-config.yaml --namespace <release namespace> > policies.yaml; --set-file apiServerFallback.policies=policies.yaml), or set apiServerFallback.enabled=false" -}}
{{- end -}}
{{- end -}}
