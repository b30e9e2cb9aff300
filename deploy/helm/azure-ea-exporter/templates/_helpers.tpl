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
{{- if not (index ($secret.data | default dict) (printf "%s.key" .number)) }}
{{- fail (printf "apiKeys.existingSecret: Secret %q has no entry %q (the API key of enrollment %s)" $v.apiKeys.existingSecret (printf "%s.key" .number) .number) }}
{{- end }}
{{- end }}
{{- end }}
{{- else if not $v.apiKeys.create }}
{{- fail "apiKeys.create is false but apiKeys.existingSecret is empty: name the Secret that holds \"<number>.key\" for every enrollment, or set apiKeys.keys and apiKeys.create=true" }}
{{- else }}
{{- range $v.enrollments }}
{{- $key := index $keys .number | default "" | toString | trim }}
{{- if not $key }}
{{- fail (printf "apiKeys.keys has no API key for enrollment %s: set it (--set-file 'apiKeys.keys.%s=./%s.key') or name a Secret in apiKeys.existingSecret" .number .number .number) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* The exporter's configuration file. */}}
{{- define "azure-ea-exporter.config" -}}
enrollments:
{{- range .Values.enrollments }}
  - number: {{ .number | quote }}
    api_key_file: {{ printf "/etc/azure_ea_exporter/keys/%s.key" .number | quote }}
    {{- with .baseUrl }}
    base_url: {{ . | quote }}
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
