{{- define "slurm-exporter.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "slurm-exporter.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "slurm-exporter.labels" -}}
app.kubernetes.io/name: {{ include "slurm-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "slurm-exporter.selector" -}}
app.kubernetes.io/name: {{ include "slurm-exporter.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "slurm-exporter.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default (printf "%s-slurm%s" .Chart.AppVersion .Values.image.slurmVersion) }}
{{- end -}}

{{- define "slurm-exporter.slurmConfigMap" -}}
{{- if .Values.slurm.existingConfigMap -}}
{{ .Values.slurm.existingConfigMap }}
{{- else -}}
{{ include "slurm-exporter.fullname" . }}-slurm-conf
{{- end -}}
{{- end -}}

{{/* munged sidecar, the init container preparing its key, and the volumes they share. */}}
{{- define "slurm-exporter.mungeInit" -}}
- name: munge-key
  image: {{ include "slurm-exporter.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  # install replaces a key left by an earlier start of the pod (cp cannot open its 0400 file).
  command: ["install", "-m", "0400", "/munge-secret/munge.key", "/etc/munge/munge.key"]
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
    runAsUser: {{ .Values.munge.uid }}
    runAsGroup: {{ .Values.munge.uid }}
  volumeMounts:
    - {name: munge-secret, mountPath: /munge-secret, readOnly: true}
    - {name: munge-etc, mountPath: /etc/munge}
{{- end -}}

{{- define "slurm-exporter.mungeSidecar" -}}
- name: munged
  image: {{ include "slurm-exporter.image" . }}
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  command: ["munged", "--foreground", "--force", "--key-file=/etc/munge/munge.key",
            "--socket=/run/munge/munge.socket.2", "--seed-file=/var/lib/munge/munged.seed",
            "--pid-file=/run/munge/munged.pid", "--log-file=/dev/stderr"]
  securityContext:
    {{- toYaml .Values.securityContext | nindent 4 }}
    runAsUser: {{ .Values.munge.uid }}
    runAsGroup: {{ .Values.munge.uid }}
  {{- with .Values.munge.resources }}
  resources:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  volumeMounts:
    - {name: munge-etc, mountPath: /etc/munge, readOnly: true}
    - {name: munge-run, mountPath: /run/munge}
    - {name: munge-lib, mountPath: /var/lib/munge}
{{- end -}}

{{- define "slurm-exporter.sharedVolumes" -}}
- name: munge-secret
  secret:
    secretName: {{ .Values.munge.keySecret }}
    items: [{key: {{ .Values.munge.keySecretKey }}, path: munge.key}]
    defaultMode: 0440
- {name: munge-etc, emptyDir: {medium: Memory}}
- {name: munge-run, emptyDir: {}}
- {name: munge-lib, emptyDir: {}}
- name: slurm-conf
  configMap:
    name: {{ include "slurm-exporter.slurmConfigMap" . }}
{{- end -}}

{{/* TLS of a daemon: args, probes, volume mount and volume. Called with
     (dict "tls" .Values.X.tls "port" "portname" "mount" "/etc/..."). */}}
{{- define "slurm-exporter.tlsArgs" -}}
{{- if .tls.enabled }}
- --web.tls-cert-file={{ .mount }}/tls.crt
- --web.tls-key-file={{ .mount }}/tls.key
- --web.tls-min-version={{ .tls.minVersion }}
{{- if .tls.clientAuth }}
- --web.tls-client-ca-file={{ .mount }}/ca.crt
{{- end }}
{{- end }}
{{- end }}

{{/* Probes: HTTPS when TLS is on (the kubelet does not verify the certificate); a TCP check
     when client certificates are required (the kubelet presents none). */}}
{{- define "slurm-exporter.probes" -}}
{{- if and .tls.enabled .tls.clientAuth }}
livenessProbe:
  tcpSocket: {port: {{ .port }}}
  periodSeconds: 20
readinessProbe:
  tcpSocket: {port: {{ .port }}}
  periodSeconds: 10
{{- else }}
livenessProbe:
  httpGet: {path: /-/healthy, port: {{ .port }}{{ if .tls.enabled }}, scheme: HTTPS{{ end }}}
  periodSeconds: 20
readinessProbe:
  httpGet: {path: /-/ready, port: {{ .port }}{{ if .tls.enabled }}, scheme: HTTPS{{ end }}}
  periodSeconds: 10
{{- end }}
{{- end }}

{{- define "slurm-exporter.tlsVolume" -}}
{{- if .tls.enabled }}
{{- if not .tls.secretName }}
{{- fail "tls.enabled needs tls.secretName (a kubernetes.io/tls Secret; ca.crt for clientAuth)" }}
{{- end }}
- name: tls
  secret:
    secretName: {{ .tls.secretName }}
    defaultMode: 0440
{{- end }}
{{- end }}
