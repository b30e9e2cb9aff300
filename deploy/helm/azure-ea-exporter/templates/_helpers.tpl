{{- define "azure-ea-exporter.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "azure-ea-exporter.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "azure-ea-exporter.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "azure-ea-exporter.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "azure-ea-exporter.selectorLabels" -}}
app.kubernetes.io/name: {{ include "azure-ea-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The Secret entry that holds an enrollment's credential: "<number>.key" (an
EA API key), "<number>.secret" (an ARM client secret), "<number>.pem" (an
ARM client certificate and its key), or nothing (workload or managed
identity). The value is apiKeys.keys["<number>"] either way.
*/}}
{{- define "azure-ea-exporter.credentialEntry" -}}
{{- if eq (.source | default "ea") "arm" -}}
{{- $c := .credential | default "clientSecret" -}}
{{- if eq $c "clientSecret" }}{{ printf "%s.secret" .number }}{{ else if eq $c "clientCertificate" }}{{ printf "%s.pem" .number }}{{ end -}}
{{- else -}}
{{- printf "%s.key" .number -}}
{{- end -}}
{{- end }}

{{- define "azure-ea-exporter.secretName" -}}
{{- if .Values.apiKeys.existingSecret }}{{ .Values.apiKeys.existingSecret }}{{ else }}{{ include "azure-ea-exporter.fullname" . }}-keys{{ end }}
{{- end }}

{{/*
Refuse values that would render a broken release: the install fails with a
message instead of a pod that crash-loops or never starts. values.schema.json
checks types first; these checks hold even with --skip-schema-validation.
*/}}
{{- define "azure-ea-exporter.validate" -}}
{{- $v := .Values }}
{{- if gt (int $v.replicaCount) 1 }}
{{- fail (printf "replicaCount is %v, but the exporter runs as one replica: every replica would poll Azure for the same enrollments (twice the API calls) and share one storage volume. To split the work, install one release per set of enrollments, each with its own enrollments list." $v.replicaCount) }}
{{- end }}
{{- if not $v.enrollments }}
{{- fail "enrollments is empty: list the enrollments to read, e.g. --set-string 'enrollments[0].number=12345678'" }}
{{- end }}
{{- $seen := dict }}
{{- range $i, $e := $v.enrollments }}
{{- if not (kindIs "string" $e.number) }}
{{- fail (printf "enrollments[%d].number is %v (a %s), not a string: quote enrollment numbers in values files (number: \"12345678\") and use --set-string on the command line" $i $e.number (kindOf $e.number)) }}
{{- end }}
{{- if not (regexMatch "^[0-9]+$" $e.number) }}
{{- fail (printf "enrollments[%d].number %q is not an enrollment number (digits only)" $i $e.number) }}
{{- end }}
{{- if hasKey $seen $e.number }}
{{- fail (printf "enrollments[%d].number %q is listed twice" $i $e.number) }}
{{- end }}
{{- $_ := set $seen $e.number true }}
{{- $source := $e.source | default "ea" }}
{{- if eq $source "arm" }}
{{- $c := $e.credential | default "clientSecret" }}
{{- if not (has $c (list "clientSecret" "clientCertificate" "workloadIdentity" "managedIdentity")) }}
{{- fail (printf "enrollments[%d].credential %q is not one of clientSecret, clientCertificate, workloadIdentity, managedIdentity" $i $c) }}
{{- end }}
{{- if not $e.tenantId }}
{{- fail (printf "enrollments[%d] (source: arm) has no tenantId: the Microsoft Entra ID tenant of its identity" $i) }}
{{- end }}
{{- if and (not $e.clientId) (ne $c "managedIdentity") }}
{{- fail (printf "enrollments[%d] (source: arm) has no clientId: the app registration of its identity (only a system-assigned managed identity goes without)" $i) }}
{{- end }}
{{- if and (eq $c "workloadIdentity") (not $v.serviceAccountName) }}
{{- fail (printf "enrollments[%d] uses workloadIdentity, but serviceAccountName is empty: name the service account annotated azure.workload.identity/client-id, and set podLabels azure.workload.identity/use: \"true\"" $i) }}
{{- end }}
{{- else if ne $source "ea" }}
{{- fail (printf "enrollments[%d].source %q is not ea or arm" $i $source) }}
{{- end }}
{{- end }}
{{- range $i, $b := $v.budgets }}
{{- if and (hasKey $b "enrollment") (not (kindIs "string" $b.enrollment)) }}
{{- fail (printf "budgets[%d].enrollment is %v (a %s), not a string: quote it (enrollment: \"12345678\")" $i $b.enrollment (kindOf $b.enrollment)) }}
{{- end }}
{{- end }}
{{- $keys := $v.apiKeys.keys | default dict }}
{{- if $v.apiKeys.existingSecret }}
{{- /* With access to a cluster (install, upgrade, --dry-run=server), check the
       Secret; helm template and client-side dry runs cannot see it.
       kube-root-ca.crt is in every namespace: finding it shows that lookups
       reach the cluster, so an empty answer for the Secret means it is missing. */}}
{{- if lookup "v1" "ConfigMap" .Release.Namespace "kube-root-ca.crt" }}
{{- $secret := lookup "v1" "Secret" .Release.Namespace $v.apiKeys.existingSecret }}
{{- if not $secret }}
{{- fail (printf "apiKeys.existingSecret: there is no Secret %q in namespace %q. Create it with one entry \"<number>.key\" per enrollment (kubectl -n %s create secret generic %s --from-file=12345678.key=./12345678.key), or set apiKeys.keys and let the chart create it." $v.apiKeys.existingSecret .Release.Namespace .Release.Namespace $v.apiKeys.existingSecret) }}
{{- end }}
{{- range $v.enrollments }}
{{- $entry := include "azure-ea-exporter.credentialEntry" . }}
{{- if and $entry (not (index ($secret.data | default dict) $entry)) }}
{{- fail (printf "apiKeys.existingSecret: Secret %q has no entry %q (the credential of enrollment %s)" $v.apiKeys.existingSecret $entry .number) }}
{{- end }}
{{- end }}
{{- end }}
{{- else if not $v.apiKeys.create }}
{{- fail "apiKeys.create is false but apiKeys.existingSecret is empty: name the Secret that holds \"<number>.key\" for every enrollment, or set apiKeys.keys and apiKeys.create=true" }}
{{- else }}
{{- range $v.enrollments }}
{{- $entry := include "azure-ea-exporter.credentialEntry" . }}
{{- $key := index $keys .number | default "" | toString | trim }}
{{- if and $entry (not $key) }}
{{- fail (printf "apiKeys.keys has no credential for enrollment %s (its %s): set it (--set-file 'apiKeys.keys.%s=./%s') or name a Secret in apiKeys.existingSecret" .number $entry .number $entry) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The exporter's configuration file. */}}
{{- define "azure-ea-exporter.config" -}}
enrollments:
{{- range .Values.enrollments }}
  - number: {{ .number | quote }}
    {{- if eq (.source | default "ea") "arm" }}
    {{- $c := .credential | default "clientSecret" }}
    source: arm
    tenant_id: {{ .tenantId | quote }}
    {{- with .clientId }}
    client_id: {{ . | quote }}
    {{- end }}
    {{- if eq $c "clientSecret" }}
    client_secret_file: {{ printf "/etc/azure_ea_exporter/keys/%s.secret" .number | quote }}
    {{- with .clientSecretExpiry }}
    client_secret_expiry: {{ . | quote }}
    {{- end }}
    {{- else if eq $c "clientCertificate" }}
    client_certificate_file: {{ printf "/etc/azure_ea_exporter/keys/%s.pem" .number | quote }}
    {{- else if eq $c "workloadIdentity" }}
    workload_identity: true
    {{- else }}
    managed_identity: true
    {{- end }}
    {{- with .cloud }}
    cloud: {{ . | quote }}
    {{- end }}
    {{- with .armEndpoint }}
    arm_endpoint: {{ . | quote }}
    {{- end }}
    {{- with .authorityHost }}
    authority_host: {{ . | quote }}
    {{- end }}
    {{- else }}
    api_key_file: {{ printf "/etc/azure_ea_exporter/keys/%s.key" .number | quote }}
    {{- with .baseUrl }}
    base_url: {{ . | quote }}
    {{- end }}
    {{- end }}
    {{- with .billingPeriods }}
    billing_periods: {{ . }}
    {{- end }}
{{- end }}
{{- with .Values.reports }}
reports:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.usageDetails }}
usage_details:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.budgets }}
budgets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
