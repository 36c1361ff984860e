{{/*
Names, labels and the environment of both apps. The variable list comes from files/variables.json, generated from
the apps' configuration schemas by deploy/scripts/generate.ts: every variable is either set by the chart
("managed"), read from the Secret, or taken from .Values.config — nothing is left out.
*/}}

{{- define "delta-writer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "delta-writer.fullname" -}}
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

{{/* <fullname>-<component>, for committer and ingestor objects */}}
{{- define "delta-writer.componentName" -}}
{{- printf "%s-%s" (include "delta-writer.fullname" .root | trunc 52 | trimSuffix "-") .component }}
{{- end }}

{{- define "delta-writer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "delta-writer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: delta-writer
{{- end }}

{{- define "delta-writer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "delta-writer.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "delta-writer.componentLabels" -}}
{{ include "delta-writer.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "delta-writer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "delta-writer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "delta-writer.secretName" -}}
{{- if .Values.secrets.existingSecret }}
{{- .Values.secrets.existingSecret }}
{{- else }}
{{- include "delta-writer.fullname" . }}
{{- end }}
{{- end }}

{{- define "delta-writer.image" -}}
{{- $image := index .root.Values .component "image" }}
{{- $repository := $image.repository }}
{{- if .root.Values.image.registry }}
{{- $repository = printf "%s/%s" (trimSuffix "/" .root.Values.image.registry) $image.repository }}
{{- end }}
{{- if $image.digest }}
{{- printf "%s@%s" $repository $image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .root.Chart.AppVersion $image.tag) }}
{{- end }}
{{- end }}

{{/* The generated variable list: {committer: {secret: [...], config: [...], managed: [...], defaults: {...}}, ...} */}}
{{- define "delta-writer.variables" -}}
{{- .Files.Get "files/variables.json" }}
{{- end }}

{{/* A value of .Values.config as the string the app reads: YAML numbers arrive as floats, so whole numbers are
printed without an exponent (67108864, not 6.7108864e+07) and fractions as they are (0.3). */}}
{{- define "delta-writer.envValue" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) }}{{ printf "%d" (int64 .) }}{{ else }}{{ toString . }}{{ end }}
{{- end }}

{{/* The ConfigMap data of one app: shared and app settings that are set (empty means unset, as in the apps). */}}
{{- define "delta-writer.configData" -}}
{{- $vars := index (include "delta-writer.variables" .root | fromJson) .component }}
{{- $values := merge (dict) (index .root.Values.config .component) .root.Values.config.shared }}
{{- range $name := $vars.config }}
{{- $v := index $values $name }}
{{- if and (not (kindIs "invalid" $v)) (ne (toString $v) "") }}
{{ $name }}: {{ include "delta-writer.envValue" $v | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Secret variables of one app: each read from the Secret, optional (a missing key means unset). */}}
{{- define "delta-writer.secretEnv" -}}
{{- $vars := index (include "delta-writer.variables" .root | fromJson) .component }}
{{- range $name := $vars.secret }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "delta-writer.secretName" $.root }}
      key: {{ $name }}
      optional: true
{{- end }}
{{- end }}

{{/* Milliseconds of a duration variable of one app: the configured value, else the schema default. */}}
{{- define "delta-writer.configMs" -}}
{{- $vars := index (include "delta-writer.variables" .root | fromJson) .component }}
{{- $v := index (index .root.Values.config .component) .name }}
{{- if or (kindIs "invalid" $v) (eq (toString $v) "") }}{{ $v = index $vars.defaults .name }}{{ end }}
{{- include "delta-writer.envValue" $v }}
{{- end }}

{{- define "delta-writer.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 1000
runAsGroup: 1000
fsGroup: 1000
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "delta-writer.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
{{- end }}

{{/* Volumes both apps may mount: /tmp (the root filesystem is read-only), TLS material, an S3 credentials file. */}}
{{- define "delta-writer.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if .root.Values.grpcTls.enabled }}
- name: grpc-tls
  secret:
    secretName: {{ required "grpcTls.secretName is required when grpcTls.enabled" .root.Values.grpcTls.secretName }}
{{- end }}
{{- if and (eq .component "ingestor") .root.Values.kafkaTls.caSecretName }}
- name: kafka-tls
  secret:
    secretName: {{ .root.Values.kafkaTls.caSecretName }}
{{- end }}
{{- if .root.Values.s3CredentialsFile.secretName }}
- name: s3-credentials
  secret:
    secretName: {{ .root.Values.s3CredentialsFile.secretName }}
{{- end }}
{{- with (index .root.Values .component).extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "delta-writer.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .root.Values.grpcTls.enabled }}
- name: grpc-tls
  mountPath: /etc/delta-writer/grpc-tls
  readOnly: true
{{- end }}
{{- if and (eq .component "ingestor") .root.Values.kafkaTls.caSecretName }}
- name: kafka-tls
  mountPath: /etc/delta-writer/kafka-tls
  readOnly: true
{{- end }}
{{- if .root.Values.s3CredentialsFile.secretName }}
- name: s3-credentials
  mountPath: /etc/delta-writer/s3
  readOnly: true
{{- end }}
{{- with (index .root.Values .component).extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* S3 credentials from a mounted AWS credentials file, read by the AWS SDK's default chain (MINIO_ACCESS_KEY unset). */}}
{{- define "delta-writer.s3FileEnv" -}}
{{- if .Values.s3CredentialsFile.secretName }}
- name: AWS_SHARED_CREDENTIALS_FILE
  value: /etc/delta-writer/s3/{{ .Values.s3CredentialsFile.key }}
{{- with .Values.s3CredentialsFile.profile }}
- name: AWS_PROFILE
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
