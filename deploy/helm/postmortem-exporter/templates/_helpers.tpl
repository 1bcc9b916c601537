{{/* The name of the chart's objects: the release name, with the chart's unless it holds it already. */}}
{{- define "pme.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "pme.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "pme.labels" -}}
{{ include "pme.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The web config Secret exists when TLS or basic auth is on. */}}
{{- define "pme.webConfig" -}}
{{- if or .Values.webConfig.tls.enabled .Values.webConfig.basicAuth.enabled -}}true{{- end -}}
{{- end -}}

{{/* The plain credentials the ServiceMonitor and the probes use, when given. */}}
{{- define "pme.client" -}}
{{- $c := .Values.webConfig.basicAuth.client -}}
{{- if and .Values.webConfig.basicAuth.enabled $c.username $c.password -}}true{{- end -}}
{{- end -}}

{{- define "pme.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* The container securityContext every container of the chart runs with. */}}
{{- define "pme.securityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The database URL, read from the user's Secret as a file. */}}
{{- define "pme.databaseEnv" -}}
- name: POSTMORTEM_DATABASE_URL_FILE
  value: /etc/postmortem-exporter/database/{{ .Values.records.postgres.urlSecret.key }}
{{- end -}}
{{- define "pme.databaseVolume" -}}
- name: database-url
  secret:
    secretName: {{ required "records.postgres.urlSecret.name is required with records.source=postgres" .Values.records.postgres.urlSecret.name }}
    items:
      - key: {{ .Values.records.postgres.urlSecret.key }}
        path: {{ .Values.records.postgres.urlSecret.key }}
{{- end -}}
{{- define "pme.databaseMount" -}}
- name: database-url
  mountPath: /etc/postmortem-exporter/database
  readOnly: true
{{- end -}}

{{/* A git-sync container; "oneTime" makes the init container that clones before the exporter starts. */}}
{{- define "pme.gitSync" -}}
{{- $g := .root.Values.records.git -}}
- name: {{ if .oneTime }}git-clone{{ else }}git-sync{{ end }}
  image: {{ printf "%s:%s" $g.image.repository $g.image.tag }}
  imagePullPolicy: {{ $g.image.pullPolicy }}
  args:
    - --repo={{ required "records.git.repository is required with records.source=git" $g.repository }}
    - --ref={{ $g.ref }}
    - --root=/git
    - --link=current
    - --depth=1
    {{- if .oneTime }}
    - --one-time
    {{- else }}
    - --period={{ $g.period }}
    {{- end }}
  env:
    # git-sync writes its git configuration under HOME: the root
    # filesystem is read-only.
    - name: HOME
      value: /tmp
    {{- if and $g.credentials.secretName (eq $g.credentials.type "https") }}
    - name: GITSYNC_USERNAME
      valueFrom:
        secretKeyRef: {name: {{ $g.credentials.secretName }}, key: username}
    - name: GITSYNC_PASSWORD
      valueFrom:
        secretKeyRef: {name: {{ $g.credentials.secretName }}, key: password}
    {{- else if $g.credentials.secretName }}
    - name: GITSYNC_SSH_KEY_FILE
      value: /etc/git-secret/ssh
    - name: GITSYNC_SSH_KNOWN_HOSTS_FILE
      value: /etc/git-secret/known_hosts
    {{- end }}
  securityContext:
    {{- include "pme.securityContext" . | nindent 4 }}
  resources:
    {{- toYaml $g.resources | nindent 4 }}
  volumeMounts:
    - name: records
      mountPath: /git
    - name: git-tmp
      mountPath: /tmp
    {{- if and $g.credentials.secretName (eq $g.credentials.type "ssh") }}
    - name: git-secret
      mountPath: /etc/git-secret
      readOnly: true
    {{- end }}
{{- end -}}
