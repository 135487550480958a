{{/* Names and labels. */}}
{{- define "sag.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sag.fullname" -}}
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

{{- define "sag.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sag.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sag.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sag.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: gateway
{{- end }}

{{/* The rollup pod's (influxdb.rollupDeployment): another name, so no selector of the gateway's matches it. */}}
{{- define "sag.rollupSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sag.name" . }}-rollup
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "sag.rollupLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sag.rollupSelectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/component: rollup
{{- end }}

{{- define "sag.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sag.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "sag.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* True ("true") when either store is the embedded DuckDB one. */}}
{{- define "sag.embedded" -}}
{{- if or (eq .Values.config.sessionStore "duckdb") (eq .Values.config.uveStore "duckdb") }}true{{ end }}
{{- end }}

{{/* The claim of /var/lib/gateway, or "" for an emptyDir. */}}
{{- define "sag.claimName" -}}
{{- if and (include "sag.embedded" .) .Values.persistence.enabled }}
{{- default (printf "%s-data" (include "sag.fullname" .)) .Values.persistence.existingClaim }}
{{- end }}
{{- end }}

{{/*
Puts one variable into a dict: (list $env "NAME" value). Nothing for null or
"", so the gateway's default applies; a list is joined with commas; a number
is written as an integer (values are parsed as float64, which would print
2.68435456e+08).
*/}}
{{- define "sag.put" -}}
{{- $env := index . 0 }}
{{- $name := index . 1 }}
{{- $v := index . 2 }}
{{- if kindIs "invalid" $v }}
{{- else if kindIs "slice" $v }}
{{- if $v }}{{ $_ := set $env $name (join "," $v) }}{{ end }}
{{- else if or (kindIs "float64" $v) (kindIs "int64" $v) (kindIs "int" $v) }}
{{- $_ := set $env $name (int64 $v | toString) }}
{{- else if and (kindIs "string" $v) (eq $v "") }}
{{- else }}
{{- $_ := set $env $name (toString $v) }}
{{- end }}
{{- end }}

{{/* The port of an http(s) URL: the explicit one, else 443 or 80. */}}
{{- define "sag.urlPort" -}}
{{- $u := urlParse . }}
{{- $hostport := splitList ":" (get $u "host") }}
{{- if gt (len $hostport) 1 }}
{{- last $hostport }}
{{- else if eq (get $u "scheme") "https" }}443
{{- else }}80
{{- end }}
{{- end }}

{{/*
Refusals the schema cannot say well: combinations of values that the gateway
or Kubernetes would refuse later, with a message naming the values to change.
*/}}
{{- define "sag.validate" -}}
{{- $v := .Values }}
{{- if include "sag.embedded" . }}
{{- if $v.autoscaling.enabled }}
{{- fail "the embedded store (config.sessionStore or config.uveStore = duckdb) runs exactly one replica: set autoscaling.enabled=false, or use influxdb and opensearch" }}
{{- end }}
{{- if ne (int $v.replicaCount) 1 }}
{{- fail (printf "the embedded store (config.sessionStore or config.uveStore = duckdb) runs exactly one replica, not replicaCount=%v: one DuckDB file has one writer" $v.replicaCount) }}
{{- end }}
{{- end }}
{{- if eq $v.config.sessionStore "influxdb" }}
{{- if not $v.influxdb.url }}{{ fail "config.sessionStore=influxdb needs influxdb.url" }}{{ end }}
{{- if not $v.influxdb.org }}{{ fail "config.sessionStore=influxdb needs influxdb.org" }}{{ end }}
{{- if not $v.influxdb.token.existingSecret }}{{ fail "config.sessionStore=influxdb needs influxdb.token.existingSecret (a Secret holding the API token)" }}{{ end }}
{{- end }}
{{- if $v.influxdb.rollupDeployment.enabled }}
{{- if ne $v.config.sessionStore "influxdb" }}{{ fail "influxdb.rollupDeployment.enabled needs config.sessionStore=influxdb: the embedded store rolls up in its one replica" }}{{ end }}
{{- if not (kindIs "invalid" $v.influxdb.rollup) }}{{ fail "influxdb.rollupDeployment.enabled sets INFLUX_ROLLUP itself (true in the rollup pod, false on the replicas): leave influxdb.rollup null" }}{{ end }}
{{- end }}
{{- if eq $v.config.uveStore "opensearch" }}
{{- if not $v.opensearch.url }}{{ fail "config.uveStore=opensearch needs opensearch.url" }}{{ end }}
{{- if and $v.opensearch.credentials.existingSecret $v.opensearch.apiKey.existingSecret }}
{{- fail "set opensearch.credentials.existingSecret or opensearch.apiKey.existingSecret, not both" }}
{{- end }}
{{- if and (or $v.opensearch.ca.existingSecret $v.opensearch.insecureSkipVerify) (not (hasPrefix "https://" $v.opensearch.url)) }}
{{- fail "opensearch.ca and opensearch.insecureSkipVerify apply to an https:// opensearch.url only" }}
{{- end }}
{{- end }}
{{- $tokens := $v.auth.tokens.existingSecret }}
{{- $jwt := or $v.auth.jwt.issuer $v.auth.jwt.jwksUrl $v.auth.jwt.publicKey.existingSecret $v.auth.jwt.audience }}
{{- if eq $v.auth.mode "none" }}
{{- if or $tokens $jwt }}{{ fail "auth.mode=none turns authentication off, but auth.tokens or auth.jwt is set: drop one of them" }}{{ end }}
{{- else if not (or $tokens $jwt) }}
{{- fail "configure authentication: auth.tokens.existingSecret (a tokens file) or auth.jwt (issuer, audience, jwksUrl or publicKey); or auth.mode=none to run without it (unsafe: docs/security.md)" }}
{{- end }}
{{- if $jwt }}
{{- if not $v.auth.jwt.issuer }}{{ fail "auth.jwt needs issuer" }}{{ end }}
{{- if not $v.auth.jwt.audience }}{{ fail "auth.jwt needs audience (a list)" }}{{ end }}
{{- if eq (not $v.auth.jwt.jwksUrl) (not $v.auth.jwt.publicKey.existingSecret) }}
{{- fail "auth.jwt needs exactly one of jwksUrl and publicKey.existingSecret" }}
{{- end }}
{{- end }}
{{- if lt (int $v.terminationGracePeriodSeconds) (add (int $v.preStopSleepSeconds) 15) }}
{{- fail (printf "terminationGracePeriodSeconds (%v) must be at least preStopSleepSeconds (%v) + 15: in-flight ingest needs time to finish after the sleep" $v.terminationGracePeriodSeconds $v.preStopSleepSeconds) }}
{{- end }}
{{- if and $v.autoscaling.enabled (gt (int $v.autoscaling.minReplicas) (int $v.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- if and $v.podDisruptionBudget.enabled (not (kindIs "invalid" $v.podDisruptionBudget.minAvailable)) (not (kindIs "invalid" $v.podDisruptionBudget.maxUnavailable)) }}
{{- fail "set podDisruptionBudget.minAvailable or podDisruptionBudget.maxUnavailable, not both (null the other)" }}
{{- end }}
{{- if and $v.forward.enabled (eq (int $v.forward.port) (int $v.containerPort)) }}
{{- fail "forward.port must differ from containerPort" }}
{{- end }}
{{- end }}

{{/* The container's env entries: secrets by secretKeyRef, then extraEnv. */}}
{{- define "sag.secretEnv" -}}
{{- if and .Values.forward.enabled .Values.forward.sharedKey.existingSecret }}
- name: FORWARD_SHARED_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.forward.sharedKey.existingSecret }}
      key: {{ .Values.forward.sharedKey.key }}
{{- end }}
{{- if eq .Values.config.sessionStore "influxdb" }}
- name: INFLUX_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.influxdb.token.existingSecret }}
      key: {{ .Values.influxdb.token.key }}
{{- end }}
{{- if eq .Values.config.uveStore "opensearch" }}
{{- with .Values.opensearch.credentials }}
{{- if .existingSecret }}
- name: OPENSEARCH_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .usernameKey }}
- name: OPENSEARCH_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .passwordKey }}
{{- end }}
{{- end }}
{{- with .Values.opensearch.apiKey }}
{{- if .existingSecret }}
- name: OPENSEARCH_API_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .existingSecret }}
      key: {{ .key }}
{{- end }}
{{- end }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}
