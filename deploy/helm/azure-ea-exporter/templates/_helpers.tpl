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

{{/* The exporter's configuration file. */}}
{{- define "azure-ea-exporter.config" -}}
enrollments:
{{- range .Values.enrollments }}
  - number: {{ .number | quote }}
    api_key_file: /etc/azure_ea_exporter/keys/{{ .number }}.key
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
